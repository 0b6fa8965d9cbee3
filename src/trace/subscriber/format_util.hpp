// The pieces every line format shares: appending to a buffer, escaping,
// field values, RFC 3339 timestamps, durations, ANSI styles, the timestamp,
// level and target of the text and pretty formats, span fields (cached per
// record) and the event message. Private to trace_subscriber.
//
// Contract: nothing here allocates once the buffers are warm; the per-thread
// scratch buffers are reached only from these functions (never across a
// suspension). Thread safety: any thread, concurrently.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <string_view>

#include <fmt/format.h>

#include "line_formatter.hpp"
#include "lucid/base/source_path.hpp"
#include "lucid/trace/level.hpp"
#include "lucid/trace/subscriber/span_record.hpp"

namespace lucid::trace::fmt_detail {

// ---- appending --------------------------------------------------------------

/// Makes room for at least n bytes (with slack); out of line: rarely taken.
[[gnu::noinline, gnu::cold]] void grow(buffer& b, std::size_t n);

/// Makes room for n more bytes after size (b.size()). Afterwards the compiler
/// knows they fit, so a following b.resize(size + n) compiles to a store
/// instead of carrying fmt's inlined grow path (and its register spills).
[[gnu::always_inline]] inline void reserve_more(buffer& b, std::size_t size, std::size_t n) {
  if (size + n > b.capacity()) [[unlikely]]
    grow(b, size + n);  // grows or throws
  if (size + n > b.capacity()) __builtin_unreachable();
}

// Appends without going through fmt's generic (out-of-line) copy loop: one
// capacity check, then memcpy (inlined for literals, whose size is constant).
[[gnu::always_inline]] inline void put_raw(buffer& b, const char* p, std::size_t n) {
  std::size_t size = b.size();
  reserve_more(b, size, n);
  b.resize(size + n);  // only stores the size (see reserve_more)
  std::memcpy(b.data() + size, p, n);
}
[[gnu::always_inline]] inline void put(buffer& b, std::string_view s) {
  put_raw(b, s.data(), s.size());
}
template <std::size_t N>
[[gnu::always_inline]] inline void put(buffer& b, const char (&lit)[N]) {
  put_raw(b, lit, N - 1);
}
[[gnu::always_inline]] inline void put(buffer& b, const char* s) {
  put_raw(b, s, std::strlen(s));
}
[[gnu::always_inline]] inline void put(buffer& b, char c) {
  put_raw(b, &c, 1);
}
template <class Int>
inline void put_int(buffer& b, Int v) {
  fmt::format_int f(v);
  put_raw(b, f.data(), f.size());
}

// ---- escaping and values ----------------------------------------------------

/// Text values: control characters become \n, \r, \t or \u{XX}; quote and
/// backslash too when `quoted`.
void put_escaped(buffer& b, std::string_view s, bool quoted);
/// JSON string contents.
void put_json_escaped(buffer& b, std::string_view s);
/// A value as text (strings quoted, display values bare).
void put_text_value(buffer& b, const value& v);
/// A value as JSON.
void put_json_value(buffer& b, const value& v);

// ---- time -------------------------------------------------------------------

/// CLOCK_REALTIME in nanoseconds since the Unix epoch.
std::int64_t system_realtime_ns() noexcept;
/// RFC 3339 UTC with microseconds: 2026-01-02T03:04:05.123456Z
void put_timestamp(buffer& b, std::int64_t ns);
/// tracing's TimingDisplay: three significant digits and a unit.
void put_duration(buffer& b, std::uint64_t ns);

// ---- ANSI -------------------------------------------------------------------

inline constexpr std::string_view k_reset = "\x1b[0m";
inline constexpr std::string_view k_dim = "\x1b[2m";
inline constexpr std::string_view k_bold = "\x1b[1m";
inline constexpr std::string_view k_italic = "\x1b[3m";

std::string_view level_color(level l) noexcept;
/// "TRACE", "DEBUG", " INFO", " WARN", "ERROR".
std::string_view padded_level(level l) noexcept;

// ---- text and pretty: timestamp, level, target ------------------------------

/// The prefix of the text and pretty formats, `TIMESTAMP LEVEL `, each part as
/// opts enables it; with ansi the timestamp is dimmed and the level coloured.
inline void put_timestamp_and_level(buffer& b, const fmt_options& opts, level lvl, bool ansi) {
  if (opts.with_timestamp) {
    if (ansi) put(b, k_dim);
    put_timestamp(b, opts.clock());
    if (ansi) put(b, k_reset);
    put(b, ' ');
  }
  if (opts.with_level) {
    if (ansi) put(b, level_color(lvl));
    put(b, padded_level(lvl));
    if (ansi) put(b, k_reset);
    put(b, ' ');
  }
}

/// The text and pretty formats' `target: ` (when opts enables it), dimmed
/// with ansi.
inline void put_target(buffer& b, const fmt_options& opts, std::string_view target, bool ansi) {
  if (!opts.with_target) return;
  if (ansi) put(b, k_dim);
  put(b, target);
  put(b, ':');
  if (ansi) put(b, k_reset);
  put(b, ' ');
}

// ---- span fields ------------------------------------------------------------

/// Appends rec's formatted fields (formatted once per record and style);
/// returns false when it has none.
bool put_span_fields(buffer& b, span_record& rec, field_style style);

/// Calls f(name, value) for each of rec's fields, under its lock.
template <class F>
void for_each_span_field(span_record& rec, F&& f) {
  std::lock_guard<lucid::detail::spin_lock> g(rec.lock);
  for (const owned_field& of : rec.fields) {
    if (of.kind != value_kind::none) f(of.name, of.view());
  }
}

// ---- the message ------------------------------------------------------------

// Character classes for the message scan.
inline constexpr std::uint8_t k_ctl = 1;    // control character: escaped in every format
inline constexpr std::uint8_t k_json = 2;   // '"' or '\\': escaped in JSON
inline constexpr std::uint8_t k_brace = 4;  // '{' or '}': the format string needs fmt

constexpr std::array<std::uint8_t, 256> make_classes() {
  std::array<std::uint8_t, 256> t{};
  for (int i = 0; i < 0x20; ++i)
    t[i] = k_ctl;
  t[0x7f] = k_ctl;
  t['"'] = k_json;
  t['\\'] = k_json;
  t['{'] = k_brace;
  t['}'] = k_brace;
  return t;
}
inline constexpr std::array<std::uint8_t, 256> k_classes = make_classes();

// The union of the classes of s's characters.
inline std::uint8_t scan(std::string_view s) noexcept {
  std::uint8_t acc = 0;
  for (char ch : s)
    acc |= k_classes[static_cast<unsigned char>(ch)];
  return acc;
}

/// Re-appends b[start..] escaped (text, or JSON when json).
void escape_tail(buffer& b, std::size_t start, bool json);

/// Appends the message of l's event ("close" for a close line), escaped for
/// text or (Json) for a JSON string.
template <bool Json>
inline void put_message(buffer& b, const line& l) {
  if (l.ev == nullptr) {
    put(b, "close");
    return;
  }
  constexpr std::uint8_t need = Json ? (k_ctl | k_json) : k_ctl;
  std::size_t start = b.size();
  std::string_view f(l.ev->format.data(), l.ev->format.size());
  if (!l.ev->args.get(0)) {
    // No arguments: without braces or characters to escape, the message is
    // the format string itself (one branch-free scan, no formatting).
    if ((scan(f) & (need | k_brace)) == 0) {
      put(b, f);
      return;
    }
  }
  l.ev->format_message(fmt::appender(b));
  const bool clean = (scan(std::string_view(b.data() + start, b.size() - start)) & need) == 0;
  if (clean) return;
  escape_tail(b, start, Json);  // rare
}

}  // namespace lucid::trace::fmt_detail
