// fmt_layer: full, compact, pretty and json lines.
//
// Contract: see fmt_layer.hpp. The per-thread buffers are reached only from
// these functions (never across a suspension).
#include "lucid/trace/subscriber/fmt_layer.hpp"

#include <time.h>

#include <array>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include <fmt/format.h>

#include "lucid/trace/subscriber/registry.hpp"

namespace lucid::trace {

std::optional<log_format> parse_log_format(std::string_view s) noexcept {
  auto eq = [&](std::string_view w) {
    if (s.size() != w.size()) return false;
    for (std::size_t i = 0; i < s.size(); ++i) {
      char c = s[i];
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      if (c != w[i]) return false;
    }
    return true;
  };
  if (eq("full")) return log_format::full;
  if (eq("compact")) return log_format::compact;
  if (eq("pretty")) return log_format::pretty;
  if (eq("json")) return log_format::json;
  return std::nullopt;
}

namespace {

using buffer = fmt::memory_buffer;

// Appends without going through fmt's generic (out-of-line) copy loop: one
// capacity check, then memcpy (inlined for literals, whose size is constant).
[[gnu::always_inline]] inline void put_raw(buffer& b, const char* p, std::size_t n) {
  std::size_t size = b.size();
  if (size + n > b.capacity()) b.reserve(size + n + size / 2);
  std::memcpy(b.data() + size, p, n);
  b.resize(size + n);  // within capacity: just sets the size
}
inline void put(buffer& b, std::string_view s) {
  put_raw(b, s.data(), s.size());
}
template <std::size_t N>
inline void put(buffer& b, const char (&lit)[N]) {
  put_raw(b, lit, N - 1);
}
inline void put(buffer& b, const char* s) {
  put_raw(b, s, std::strlen(s));
}
inline void put(buffer& b, char c) {
  put_raw(b, &c, 1);
}
template <class Int>
inline void put_int(buffer& b, Int v) {
  fmt::format_int f(v);
  put_raw(b, f.data(), f.size());
}

// ---- escaping ---------------------------------------------------------------

// Escapes s: control characters become \n, \r, \t or a hex escape
// (`json` ? \u00XX : \u{XX}); quote and backslash too when `quoted`.
void put_escaped_as(buffer& b, std::string_view s, bool quoted, bool json) {
  std::size_t run = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
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
          fmt::format_to(fmt::appender(b), "\\u{:04x}", c);
        } else {
          fmt::format_to(fmt::appender(b), "\\u{{{:x}}}", c);
        }
        break;
    }
  }
  put(b, s.substr(run));
}

// Text values.
void put_escaped(buffer& b, std::string_view s, bool quoted) {
  put_escaped_as(b, s, quoted, false);
}

// JSON string contents.
void put_json_escaped(buffer& b, std::string_view s) {
  put_escaped_as(b, s, true, true);
}

// ---- values -----------------------------------------------------------------

void put_float(buffer& b, double f) {
  if (std::isnan(f)) return put(b, "NaN");
  if (std::isinf(f)) return put(b, f > 0 ? "inf" : "-inf");
  std::size_t start = b.size();
  fmt::format_to(fmt::appender(b), "{}", f);
  std::string_view s(b.data() + start, b.size() - start);
  if (s.find_first_of(".e") == std::string_view::npos) put(b, ".0");
}

thread_local buffer t_scratch;  // formatting erased values

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
      buffer& s = t_scratch;
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
      buffer& s = t_scratch;
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
  std::int64_t sec = INT64_MIN;
  char prefix[32];  // "YYYY-MM-DDTHH:MM:SS."
  std::size_t len = 0;
};
thread_local ts_cache t_ts;

void two(char* p, unsigned v) noexcept {
  p[0] = static_cast<char>('0' + v / 10);
  p[1] = static_cast<char>('0' + v % 10);
}

// RFC 3339 UTC with microseconds: 2026-01-02T03:04:05.123456Z
void put_timestamp(buffer& b, std::int64_t ns) {
  std::int64_t sec = ns >= 0 ? ns / 1000000000 : (ns - 999999999) / 1000000000;
  auto us = static_cast<unsigned>((ns - sec * 1000000000) / 1000);
  ts_cache& c = t_ts;
  if (c.sec != sec) {
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
    c.sec = sec;
  }
  char tail[8];
  for (int i = 5; i >= 0; --i) {
    tail[i] = static_cast<char>('0' + us % 10);
    us /= 10;
  }
  tail[6] = 'Z';
  b.append(c.prefix, c.prefix + c.len);
  b.append(tail, tail + 7);
}

// tracing's TimingDisplay: three significant digits and a unit.
void put_duration(buffer& b, std::uint64_t ns) {
  double t = static_cast<double>(ns);
  for (const char* unit : {"ns", "µs", "ms"}) {
    if (t < 10.0) {
      fmt::format_to(fmt::appender(b), "{:.2f}{}", t, unit);
      return;
    }
    if (t < 100.0) {
      fmt::format_to(fmt::appender(b), "{:.1f}{}", t, unit);
      return;
    }
    if (t < 1000.0) {
      fmt::format_to(fmt::appender(b), "{:.0f}{}", t, unit);
      return;
    }
    t /= 1000.0;
  }
  fmt::format_to(fmt::appender(b), "{:.2f}s", t);
}

// ---- ANSI -------------------------------------------------------------------

constexpr std::string_view k_reset = "\x1b[0m";
constexpr std::string_view k_dim = "\x1b[2m";
constexpr std::string_view k_bold = "\x1b[1m";
constexpr std::string_view k_italic = "\x1b[3m";

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

// ---- span fields (cached per record) ----------------------------------------

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

// Appends rec's formatted fields; returns false when it has none.
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

// Each owned field as (name, value) for pretty output, under the lock.
template <class F>
void for_each_span_field(span_record& rec, F&& f) {
  std::lock_guard<lucid::detail::spin_lock> g(rec.lock);
  for (const owned_field& of : rec.fields) {
    if (of.kind != value_kind::none) f(of.name, of.view());
  }
}

thread_local buffer t_line;

// Character classes for the message scan.
constexpr std::uint8_t k_ctl = 1;    // control character: escaped in every format
constexpr std::uint8_t k_json = 2;   // '"' or '\\': escaped in JSON
constexpr std::uint8_t k_brace = 4;  // '{' or '}': the format string needs fmt

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
constexpr std::array<std::uint8_t, 256> k_classes = make_classes();

// The union of the classes of s's characters.
inline std::uint8_t scan(std::string_view s) noexcept {
  std::uint8_t acc = 0;
  for (char ch : s)
    acc |= k_classes[static_cast<unsigned char>(ch)];
  return acc;
}

}  // namespace

// ---- fmt_layer ----------------------------------------------------------------

struct fmt_layer::line_ctx {
  const metadata* meta;
  span_record* scope;  // innermost span, or nullptr
  const event* ev;     // nullptr for close lines
  std::uint64_t task_id;
  std::uint64_t busy_ns;
  std::uint64_t idle_ns;
};

fmt_layer::fmt_layer(std::shared_ptr<writer> w, fmt_options opts)
    : writer_(std::move(w)), opts_(opts) {
  if (opts_.clock == nullptr) opts_.clock = &system_realtime_ns;
  ansi_ = opts_.ansi == ansi_mode::always ||
          (opts_.ansi == ansi_mode::auto_detect && writer_->is_terminal());
  const char* no_color = std::getenv("NO_COLOR");
  if (no_color != nullptr && *no_color != '\0') ansi_ = false;
}

void fmt_layer::on_attach(registry&, unsigned index) {
  bit_ = std::uint64_t{1} << index;
}

void fmt_layer::on_event(const event& e, span_record* parent) {
  format_line(line_ctx{e.meta, parent, &e, e.task_id, 0, 0});
}

void fmt_layer::on_close(span_record& rec) {
  if (!opts_.span_close_events) return;
  std::uint64_t busy, idle;
  {
    std::lock_guard<lucid::detail::spin_lock> g(rec.lock);
    busy = rec.busy_ns;
    idle = rec.idle_ns;
  }
  format_line(line_ctx{rec.meta, &rec, nullptr, 0, busy, idle});
}

void fmt_layer::format_line(const line_ctx& c) const {
  // The visible spans, innermost first.
  span_record* chain[64];
  std::size_t n = 0;
  for (span_record* r = c.scope; r != nullptr && n < 64; r = r->parent) {
    if (r->layer_mask & bit_) chain[n++] = r;
  }
  buffer& b = t_line;
  b.clear();
  const bool ansi = ansi_;
  auto style = [&](std::string_view code) {
    if (ansi) put(b, code);
  };
  auto message = [&](bool json) {
    if (c.ev == nullptr) {
      put(b, "close");
      return;
    }
    const std::uint8_t need = json ? (k_ctl | k_json) : k_ctl;
    std::size_t start = b.size();
    std::string_view f(c.ev->format.data(), c.ev->format.size());
    if (!c.ev->args.get(0)) {
      // No arguments: without braces or characters to escape, the message is
      // the format string itself (one branch-free scan, no formatting).
      if ((scan(f) & (need | k_brace)) == 0) {
        put(b, f);
        return;
      }
    }
    c.ev->format_message(fmt::appender(b));
    const bool clean = (scan(std::string_view(b.data() + start, b.size() - start)) & need) == 0;
    if (clean) return;
    // Rare: re-append the message escaped.
    buffer& s = t_scratch;
    s.clear();
    s.append(b.data() + start, b.data() + b.size());
    b.resize(start);
    if (json) {
      put_json_escaped(b, std::string_view(s.data(), s.size()));
    } else {
      put_escaped(b, std::string_view(s.data(), s.size()), false);
    }
  };
  const level lvl = c.meta->lvl;

  if (opts_.format == log_format::json) {
    put(b, '{');
    bool comma = false;
    auto key = [&](std::string_view k) {
      if (comma) put(b, ',');
      comma = true;
      put(b, '"');
      put(b, k);
      put(b, "\":");
    };
    if (opts_.with_timestamp) {
      key("timestamp");
      put(b, '"');
      put_timestamp(b, opts_.clock());
      put(b, '"');
    }
    if (opts_.with_level) {
      key("level");
      put(b, '"');
      put(b, to_string(lvl));
      put(b, '"');
    }
    key("fields");
    put(b, "{\"message\":\"");
    message(true);
    put(b, '"');
    if (c.ev != nullptr) {
      for (const field_ref& f : c.ev->fields) {
        if (f.val.kind == value_kind::none) continue;
        put(b, ",\"");
        put_json_escaped(b, f.name);
        put(b, "\":");
        put_json_value(b, f.val);
      }
    } else {
      put(b, ",\"time.busy\":\"");
      put_duration(b, c.busy_ns);
      put(b, "\",\"time.idle\":\"");
      put_duration(b, c.idle_ns);
      put(b, '"');
    }
    put(b, '}');
    if (opts_.with_target) {
      key("target");
      put(b, '"');
      put_json_escaped(b, c.meta->target);
      put(b, '"');
    }
    if (opts_.with_file_line) {
      key("filename");
      put(b, '"');
      put_json_escaped(b, c.meta->file);
      put(b, '"');
      key("line_number");
      put_int(b, c.meta->line);
    }
    if (opts_.with_task_id && c.task_id != 0) {
      key("task_id");
      put_int(b, c.task_id);
    }
    auto span_obj = [&](span_record* r) {
      put(b, '{');
      if (put_span_fields(b, *r, field_style::json)) put(b, ',');
      put(b, "\"name\":\"");
      put_json_escaped(b, r->meta->name);
      put(b, "\"}");
    };
    if (n > 0) {
      key("span");
      span_obj(chain[0]);
      key("spans");
      put(b, '[');
      for (std::size_t i = n; i-- > 0;) {
        span_obj(chain[i]);
        if (i != 0) put(b, ',');
      }
      put(b, ']');
    }
    put(b, "}\n");
    writer_->write(std::string_view(b.data(), b.size()));
    return;
  }

  const bool pretty = opts_.format == log_format::pretty;
  if (pretty) put(b, "  ");
  if (opts_.with_timestamp) {
    style(k_dim);
    put_timestamp(b, opts_.clock());
    style(k_reset);
    put(b, ' ');
  }
  if (opts_.with_level) {
    style(level_color(lvl));
    put(b, padded_level(lvl));
    style(k_reset);
    put(b, ' ');
  }

  if (pretty) {
    if (opts_.with_target) {
      style(k_dim);
      put(b, c.meta->target);
      put(b, ':');
      style(k_reset);
      put(b, ' ');
    }
    message(false);
    auto pretty_field = [&](std::string_view name, const value& v) {
      put(b, ", ");
      style(k_italic);
      put(b, name);
      style(k_reset);
      put(b, ": ");
      put_text_value(b, v);
    };
    if (c.ev != nullptr) {
      for (const field_ref& f : c.ev->fields) {
        if (f.val.kind != value_kind::none) pretty_field(f.name, f.val);
      }
    } else {
      put(b, ", time.busy: ");
      put_duration(b, c.busy_ns);
      put(b, ", time.idle: ");
      put_duration(b, c.idle_ns);
    }
    put(b, '\n');
    put(b, "    ");
    style(k_dim);
    put(b, "at ");
    put(b, c.meta->file);
    put(b, ':');
    put_int(b, c.meta->line);
    if (opts_.with_task_id && c.task_id != 0) {
      put(b, " on task ");
      put_int(b, c.task_id);
    }
    style(k_reset);
    put(b, '\n');
    for (std::size_t i = 0; i < n; ++i) {
      put(b, "    ");
      style(k_dim);
      put(b, "in ");
      style(k_reset);
      style(k_bold);
      put(b, chain[i]->meta->name);
      style(k_reset);
      bool first = true;
      for_each_span_field(*chain[i], [&](const char* name, const value& v) {
        put(b, first ? " with " : ", ");
        first = false;
        style(k_italic);
        put(b, name);
        style(k_reset);
        put(b, ": ");
        put_text_value(b, v);
      });
      put(b, '\n');
    }
    put(b, '\n');
    writer_->write(std::string_view(b.data(), b.size()));
    return;
  }

  const bool compact = opts_.format == log_format::compact;
  if (opts_.with_task_id && c.task_id != 0) {
    put(b, "task=");
    put_int(b, c.task_id);
    put(b, ' ');
  }
  // span context, outermost first: full `outer{a=1}:inner{c=3.0}: `, compact `outer:inner: `
  for (std::size_t i = n; i-- > 0;) {
    style(k_bold);
    put(b, chain[i]->meta->name);
    if (!compact) {
      style(k_reset);
      std::size_t mark = b.size();
      put(b, '{');
      if (put_span_fields(b, *chain[i], field_style::text)) {
        put(b, '}');
      } else {
        b.resize(mark);
      }
      style(k_bold);
    }
    put(b, ':');
    style(k_reset);
  }
  if (n > 0) put(b, ' ');
  if (opts_.with_target) {
    style(k_dim);
    put(b, c.meta->target);
    put(b, ':');
    style(k_reset);
    put(b, ' ');
  }
  if (opts_.with_file_line) {
    style(k_dim);
    put(b, c.meta->file);
    put(b, ':');
    put_int(b, c.meta->line);
    put(b, ':');
    style(k_reset);
    put(b, ' ');
  }
  message(false);
  auto text_field = [&](std::string_view name, auto&& put_value) {
    put(b, ' ');
    style(k_italic);
    put(b, name);
    style(k_reset);
    put(b, '=');
    put_value();
  };
  if (c.ev != nullptr) {
    for (const field_ref& f : c.ev->fields) {
      if (f.val.kind != value_kind::none) {
        text_field(f.name, [&] { put_text_value(b, f.val); });
      }
    }
  } else {
    text_field("time.busy", [&] { put_duration(b, c.busy_ns); });
    text_field("time.idle", [&] { put_duration(b, c.idle_ns); });
  }
  if (compact) {
    for (std::size_t i = n; i-- > 0;) {
      std::size_t mark = b.size();
      put(b, ' ');
      if (!put_span_fields(b, *chain[i], field_style::text)) b.resize(mark);
    }
  }
  put(b, '\n');
  writer_->write(std::string_view(b.data(), b.size()));
}

}  // namespace lucid::trace
