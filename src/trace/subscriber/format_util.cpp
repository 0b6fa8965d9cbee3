// The shared pieces of the line formats: escaping, values, timestamps,
// durations, ANSI levels, span fields, and the choice of formatter.
//
// Contract: see format_util.hpp and line_formatter.hpp.
#include "format_util.hpp"

#include <time.h>

#include <cmath>
#include <string>

#include "lucid/base/utf8.hpp"

namespace lucid::trace::fmt_detail {

std::unique_ptr<line_formatter> make_line_formatter(const fmt_options& opts, bool ansi) {
  switch (opts.format) {
    case log_format::json:
      return make_json_formatter(opts);
    case log_format::pretty:
      return make_pretty_formatter(opts, ansi);
    case log_format::compact:
      return make_compact_formatter(opts, ansi);
    case log_format::full:
      break;
  }
  return make_full_formatter(opts, ansi);
}

namespace {

thread_local fmt::memory_buffer t_scratch;  // formatting erased values, re-escaping messages

// Escapes s: control characters become \n, \r, \t or a hex escape
// (`json` ? \u00XX : \u{XX}); quote and backslash too when `quoted`.
void put_escaped_as(buffer& b, std::string_view s, bool quoted, bool json) {
  std::size_t run = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (json && c >= 0x80) {
      // A JSON line must be valid UTF-8 (strict parsers refuse it otherwise):
      // a byte that starts no valid sequence becomes U+FFFD.
      const std::size_t n = lucid::detail::utf8_sequence(s, i);
      if (n != 0) {
        i += n - 1;
        continue;
      }
      put(b, s.substr(run, i - run));
      put(b, lucid::detail::kReplacementCharacter);
      run = i + 1;
      continue;
    }
    bool special = c < 0x20 || c == 0x7f || (quoted && (c == '"' || c == '\\'));
    if (!special) continue;
    put(b, s.substr(run, i - run));
    run = i + 1;
    switch (c) {
      case '\n':
        put(b, "\\n");
        break;
      case '\r':
        put(b, "\\r");
        break;
      case '\t':
        put(b, "\\t");
        break;
      case '"':
        put(b, "\\\"");
        break;
      case '\\':
        put(b, "\\\\");
        break;
      default:
        if (json) {
          fmt_sink out(b);
          fmt::format_to(out.it(), "\\u{:04x}", c);
        } else {
          fmt_sink out(b);
          fmt::format_to(out.it(), "\\u{{{:x}}}", c);
        }
        break;
    }
  }
  put(b, s.substr(run));
}

void put_float(buffer& b, double f) {
  if (std::isnan(f)) return put(b, "NaN");
  if (std::isinf(f)) return put(b, f > 0 ? "inf" : "-inf");
  std::size_t start = b.size();
  {
    fmt_sink out(b);
    fmt::format_to(out.it(), "{}", f);
  }
  std::string_view s(b.data() + start, b.size() - start);
  if (s.find_first_of(".e") == std::string_view::npos) put(b, ".0");
}

// Days since 1970-01-01 to y/m/d (proleptic Gregorian).
void civil_from_days(std::int64_t z, std::int64_t& y, unsigned& m, unsigned& d) noexcept {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y += (m <= 2);
}

struct ts_cache {
  std::int64_t base_ns = 0;  // the start of the cached second, in ns
  char prefix[32];           // "YYYY-MM-DDTHH:MM:SS."
  std::size_t len = 0;       // 0: nothing cached yet
};
thread_local ts_cache t_ts;

void two(char* p, unsigned v) noexcept {
  p[0] = static_cast<char>('0' + v / 10);
  p[1] = static_cast<char>('0' + v % 10);
}

void build_fields(const span_record& rec, field_style style, std::string& out) {
  buffer b;
  bool first = true;
  for (const owned_field& f : rec.fields) {
    if (f.kind == value_kind::none) continue;
    if (!first) put(b, style == field_style::json ? "," : " ");
    first = false;
    if (style == field_style::json) {
      put(b, '"');
      put_json_escaped(b, f.name);
      put(b, "\":");
      put_json_value(b, f.view());
    } else {
      put(b, f.name);
      put(b, '=');
      put_text_value(b, f.view());
    }
  }
  out.assign(b.data(), b.size());
}

}  // namespace

// ---- appending --------------------------------------------------------------

void grow(buffer& b, std::size_t n) {
  b.reserve(n + n / 2);
}

line_buffer::~line_buffer() {
  if (data_ != inline_) delete[] data_;
}

void line_buffer::grow(std::size_t n) {
  std::size_t cap = cap_ + cap_ / 2;
  if (cap < n) cap = n;
  char* fresh = new char[cap];
  std::memcpy(fresh, data_, size_);
  if (data_ != inline_) delete[] data_;
  data_ = fresh;
  cap_ = cap;
}

void fmt_sink::grow(std::size_t n) {
  // Keep what the sink wrote: count it in the line while the line grows.
  std::size_t start = line_.size_;
  line_.size_ = start + size();
  line_.reserve(start + n);
  line_.size_ = start;
  set(line_.data_ + start, line_.cap_ - start);
}

void put_uint(buffer& b, std::uint64_t v) {
  static constexpr char k_pairs[] =
      "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
      "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
      "8081828384858687888990919293949596979899";
  static constexpr std::uint64_t k_pow10[] = {1,
                                              10,
                                              100,
                                              1000,
                                              10000,
                                              100000,
                                              1000000,
                                              10000000,
                                              100000000,
                                              1000000000,
                                              10000000000,
                                              100000000000,
                                              1000000000000,
                                              10000000000000,
                                              100000000000000,
                                              1000000000000000,
                                              10000000000000000,
                                              100000000000000000,
                                              1000000000000000000,
                                              10000000000000000000u};
  // Digits: floor(log10(v)) + 1, from the bit length (1233/4096 ~ log10(2)).
  unsigned t = static_cast<unsigned>(64 - __builtin_clzll(v | 1)) * 1233 >> 12;
  std::size_t n = t + (v >= k_pow10[t] ? 1 : 0);
  if (n == 0) n = 1;  // v == 0
  std::size_t size = b.size();
  reserve_more(b, size, n);
  set_size(b, size + n);
  char* p = b.data() + size + n;
  while (v >= 100) {
    const char* d = k_pairs + (v % 100) * 2;
    v /= 100;
    *--p = d[1];
    *--p = d[0];
  }
  if (v >= 10) {
    *--p = k_pairs[v * 2 + 1];
    *--p = k_pairs[v * 2];
  } else {
    *--p = static_cast<char>('0' + v);
  }
}

// ---- escaping and values ----------------------------------------------------

void put_escaped(buffer& b, std::string_view s, bool quoted) {
  put_escaped_as(b, s, quoted, false);
}

void put_json_escaped(buffer& b, std::string_view s) {
  put_escaped_as(b, s, true, true);
}

void put_text_value(buffer& b, const value& v) {
  switch (v.kind) {
    case value_kind::none:
      break;
    case value_kind::i64:
      put_int(b, v.i);
      break;
    case value_kind::u64:
      put_int(b, v.u);
      break;
    case value_kind::f64:
      put_float(b, v.f);
      break;
    case value_kind::boolean:
      put(b, v.b ? "true" : "false");
      break;
    case value_kind::str:
      put(b, '"');
      put_escaped(b, v.str(), true);
      put(b, '"');
      break;
    case value_kind::display:
      put_escaped(b, v.str(), false);
      break;
    case value_kind::erased: {
      fmt::memory_buffer& s = t_scratch;
      s.clear();
      v.e.fn(fmt::appender(s), v.e.obj);
      put_escaped(b, std::string_view(s.data(), s.size()), false);
      break;
    }
  }
}

void put_json_value(buffer& b, const value& v) {
  switch (v.kind) {
    case value_kind::none:
      put(b, "null");
      break;
    case value_kind::i64:
      put_int(b, v.i);
      break;
    case value_kind::u64:
      put_int(b, v.u);
      break;
    case value_kind::f64:
      if (std::isfinite(v.f)) {
        put_float(b, v.f);
      } else {
        put(b, "null");
      }
      break;
    case value_kind::boolean:
      put(b, v.b ? "true" : "false");
      break;
    case value_kind::str:
    case value_kind::display:
      put(b, '"');
      put_json_escaped(b, v.str());
      put(b, '"');
      break;
    case value_kind::erased: {
      fmt::memory_buffer& s = t_scratch;
      s.clear();
      v.e.fn(fmt::appender(s), v.e.obj);
      put(b, '"');
      put_json_escaped(b, std::string_view(s.data(), s.size()));
      put(b, '"');
      break;
    }
  }
}

// ---- time -------------------------------------------------------------------

std::int64_t system_realtime_ns() noexcept {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

namespace {

// Fills c with the second that holds ns.
[[gnu::noinline]] void refresh_timestamp(ts_cache& c, std::int64_t ns) {
  std::int64_t sec = ns >= 0 ? ns / 1000000000 : (ns - 999999999) / 1000000000;
  std::int64_t days = sec >= 0 ? sec / 86400 : (sec - 86399) / 86400;
  auto rem = static_cast<unsigned>(sec - days * 86400);
  std::int64_t y;
  unsigned m, d;
  civil_from_days(days, y, m, d);
  auto r = fmt::format_to_n(c.prefix, sizeof c.prefix, "{:04}-", y);
  char* p = r.out;
  two(p, m);
  p[2] = '-';
  two(p + 3, d);
  p[5] = 'T';
  two(p + 6, rem / 3600);
  p[8] = ':';
  two(p + 9, rem / 60 % 60);
  p[11] = ':';
  two(p + 12, rem % 60);
  p[14] = '.';
  c.len = static_cast<std::size_t>(p + 15 - c.prefix);
  c.base_ns = sec * 1000000000;
}

}  // namespace

void put_timestamp(buffer& b, std::int64_t ns) {
  ts_cache& c = t_ts;
  // Within the cached second: one unsigned compare (wraps for earlier times).
  std::uint64_t in_sec = static_cast<std::uint64_t>(ns) - static_cast<std::uint64_t>(c.base_ns);
  if (in_sec >= 1000000000 || c.len == 0) [[unlikely]] {
    refresh_timestamp(c, ns);
    in_sec = static_cast<std::uint64_t>(ns) - static_cast<std::uint64_t>(c.base_ns);
  }
  auto us = static_cast<unsigned>(in_sec / 1000);
  // The cached prefix and `uuuuuuZ`, written in place.
  std::size_t size = b.size();
  std::size_t n = c.len + 7;
  reserve_more(b, size, n);
  set_size(b, size + n);
  char* out = b.data() + size;
  if (c.len == 20) {  // years 1000-9999: a copy of constant size, inlined
    std::memcpy(out, c.prefix, 20);
  } else {
    std::memcpy(out, c.prefix, c.len);
  }
  out += c.len;
  two(out, us / 10000);
  two(out + 2, us / 100 % 100);
  two(out + 4, us % 100);
  out[6] = 'Z';
}

void put_duration(buffer& b, std::uint64_t ns) {
  fmt_sink out(b);
  double t = static_cast<double>(ns);
  for (const char* unit : {"ns", "µs", "ms"}) {
    if (t < 10.0) {
      fmt::format_to(out.it(), "{:.2f}{}", t, unit);
      return;
    }
    if (t < 100.0) {
      fmt::format_to(out.it(), "{:.1f}{}", t, unit);
      return;
    }
    if (t < 1000.0) {
      fmt::format_to(out.it(), "{:.0f}{}", t, unit);
      return;
    }
    t /= 1000.0;
  }
  fmt::format_to(out.it(), "{:.2f}s", t);
}

// ---- ANSI -------------------------------------------------------------------

std::string_view level_color(level l) noexcept {
  switch (l) {
    case level::trace:
      return "\x1b[35m";
    case level::debug:
      return "\x1b[34m";
    case level::info:
      return "\x1b[32m";
    case level::warn:
      return "\x1b[33m";
    case level::error:
      return "\x1b[31m";
  }
  return "";
}

std::string_view padded_level(level l) noexcept {
  switch (l) {
    case level::trace:
      return "TRACE";
    case level::debug:
      return "DEBUG";
    case level::info:
      return " INFO";
    case level::warn:
      return " WARN";
    case level::error:
      return "ERROR";
  }
  return "?????";
}

// ---- span fields and the message --------------------------------------------

bool put_span_fields(buffer& b, span_record& rec, field_style style) {
  std::lock_guard<lucid::detail::spin_lock> g(rec.lock);
  auto i = static_cast<std::size_t>(style);
  if (!rec.formatted_valid[i]) {
    build_fields(rec, style, rec.formatted[i]);
    rec.formatted_valid[i] = true;
  }
  put(b, rec.formatted[i]);
  return !rec.formatted[i].empty();
}

void escape_tail(buffer& b, std::size_t start, bool json) {
  fmt::memory_buffer& s = t_scratch;
  s.clear();
  s.append(b.data() + start, b.data() + b.size());
  b.resize(start);
  if (json) {
    put_json_escaped(b, std::string_view(s.data(), s.size()));
  } else {
    put_escaped(b, std::string_view(s.data(), s.size()), false);
  }
}

}  // namespace lucid::trace::fmt_detail
