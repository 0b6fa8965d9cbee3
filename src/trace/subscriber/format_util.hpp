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
#include <type_traits>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <fmt/format.h>

#include "line_formatter.hpp"
#include "lucid/base/source_path.hpp"
#include "lucid/trace/level.hpp"
#include "lucid/trace/subscriber/span_record.hpp"

namespace lucid::trace::fmt_detail {

// ---- appending --------------------------------------------------------------

/// Makes room for at least n bytes (with slack); out of line: rarely taken.
[[gnu::noinline, gnu::cold]] void grow(buffer& b, std::size_t n);

/// Makes room for n more bytes after size (b.size()): afterwards the compiler
/// knows they fit (see set_size).
[[gnu::always_inline]] inline void reserve_more(buffer& b, std::size_t size, std::size_t n) {
  if (size + n > b.capacity()) [[unlikely]]
    grow(b, size + n);  // grows or throws
  if (size + n > b.capacity()) __builtin_unreachable();
}

/// Sets the size of b to n <= capacity (after reserve_more): one store.
[[gnu::always_inline]] inline void set_size(buffer& b, std::size_t n) {
  b.resize(n);
}

/// Copies n bytes without a call for short (non-constant) lengths.
[[gnu::always_inline]] inline void copy_bytes(char* d, const char* s, std::size_t n) {
  if (__builtin_constant_p(n) || n > 16) {
    std::memcpy(d, s, n);
  } else if (n >= 8) {  // two overlapping 8-byte moves
    std::uint64_t head, tail;
    std::memcpy(&head, s, 8);
    std::memcpy(&tail, s + n - 8, 8);
    std::memcpy(d, &head, 8);
    std::memcpy(d + n - 8, &tail, 8);
  } else if (n >= 4) {
    std::uint32_t head, tail;
    std::memcpy(&head, s, 4);
    std::memcpy(&tail, s + n - 4, 4);
    std::memcpy(d, &head, 4);
    std::memcpy(d + n - 4, &tail, 4);
  } else if (n > 0) {  // 1 to 3 bytes
    d[0] = s[0];
    d[n / 2] = s[n / 2];
    d[n - 1] = s[n - 1];
  }
}

// Appends without going through fmt's generic (out-of-line) copy loop: one
// capacity check, then the copy (inlined for literals, whose size is constant).
[[gnu::always_inline]] inline void put_raw(buffer& b, const char* p, std::size_t n) {
  std::size_t size = b.size();
  reserve_more(b, size, n);
  set_size(b, size + n);  // before the copy, which could alias the capacity
  copy_bytes(b.data() + size, p, n);
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
/// Appends the decimal digits of v, written in place (formatting into a
/// separate array and copying reloaded its 2-byte stores with wider loads, a
/// store-forwarding stall per number).
void put_uint(buffer& b, std::uint64_t v);
template <class Int>
inline void put_int(buffer& b, Int v) {
  if constexpr (std::is_signed_v<Int>) {
    if (v < 0) {
      put(b, '-');
      put_uint(b, 0 - static_cast<std::uint64_t>(v));
      return;
    }
  }
  put_uint(b, static_cast<std::uint64_t>(v));
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

#if defined(__SSE2__)
// The bytes of v in a class of Mask, as 0xff lanes.
template <std::uint8_t Mask>
[[gnu::always_inline]] inline __m128i class_lanes(__m128i v) noexcept {
  __m128i hit = _mm_setzero_si128();
  if constexpr ((Mask & k_ctl) != 0) {
    // c <= 0x1f (unsigned) or c == 0x7f
    hit = _mm_or_si128(hit, _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(0x1f)), v));
    hit = _mm_or_si128(hit, _mm_cmpeq_epi8(v, _mm_set1_epi8(0x7f)));
  }
  if constexpr ((Mask & k_json) != 0) {
    hit = _mm_or_si128(hit, _mm_cmpeq_epi8(v, _mm_set1_epi8('"')));
    hit = _mm_or_si128(hit, _mm_cmpeq_epi8(v, _mm_set1_epi8('\\')));
  }
  if constexpr ((Mask & k_brace) != 0) {
    hit = _mm_or_si128(hit, _mm_cmpeq_epi8(v, _mm_set1_epi8('{')));
    hit = _mm_or_si128(hit, _mm_cmpeq_epi8(v, _mm_set1_epi8('}')));
  }
  return hit;
}
#endif

// Whether any character of s is in a class of Mask: (scan(s) & Mask) != 0,
// 16 bytes at a time. Every load stays inside s: short strings are read as two
// overlapping halves (a repeated byte does not change the answer).
template <std::uint8_t Mask>
inline bool any_in_class(std::string_view s) noexcept {
#if defined(__SSE2__)
  const char* p = s.data();
  std::size_t n = s.size();
  auto hits = [](__m128i v) { return _mm_movemask_epi8(class_lanes<Mask>(v)) != 0; };
  if (n >= 16) {
    for (std::size_t i = 0; i + 16 <= n; i += 16) {
      if (hits(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i)))) return true;
    }
    return n % 16 != 0 && hits(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + n - 16)));
  }
  if (n >= 8) {
    std::uint64_t head, tail;
    std::memcpy(&head, p, 8);
    std::memcpy(&tail, p + n - 8, 8);
    return hits(_mm_set_epi64x(static_cast<long long>(head), static_cast<long long>(tail)));
  }
  if (n >= 4) {
    std::uint32_t head, tail;
    std::memcpy(&head, p, 4);
    std::memcpy(&tail, p + n - 4, 4);
    auto h = static_cast<int>(head), t = static_cast<int>(tail);
    return hits(_mm_set_epi32(h, t, h, t));  // no zero lanes: 0 is a control character
  }
  if (n == 0) return false;
  return ((k_classes[static_cast<unsigned char>(p[0])] |
           k_classes[static_cast<unsigned char>(p[n / 2])] |
           k_classes[static_cast<unsigned char>(p[n - 1])]) &
          Mask) != 0;
#else
  return (scan(s) & Mask) != 0;
#endif
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
    if (!any_in_class<need | k_brace>(f)) {
      put(b, f);
      return;
    }
  }
  {
    fmt_sink out(b);
    l.ev->format_message(out.it());
  }
  const bool clean = !any_in_class<need>(std::string_view(b.data() + start, b.size() - start));
  if (clean) return;
  escape_tail(b, start, Json);  // rare
}

}  // namespace lucid::trace::fmt_detail
