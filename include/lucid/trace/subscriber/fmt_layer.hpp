// lucid::trace::fmt_layer: formats events (and, when asked, span closes) as
// text lines or JSON objects and hands them to a writer.
//
// Formats (LUCID_LOG_FORMAT):
//   full    (default) 2026-01-02T03:04:05.123456Z  INFO outer{a=1}:inner{c=3.0}: app: msg i=5
//   compact           2026-01-02T03:04:05.123456Z  INFO outer:inner: app: msg i=5 a=1 c=3.0
//   pretty            multi-line: message and fields, `at file:line`, `in span with k: v` per span
//   json              {"timestamp":..,"level":"INFO","fields":{"message":"msg","i":5},
//                      "target":"app","span":{..,"name":"inner"},"spans":[..]}
// Timestamps are RFC 3339 UTC with microseconds. String field values are
// quoted; control characters in messages and values are escaped (\n, \u{1b}),
// so one event is always one line (except pretty). ANSI colours are used only
// when the writer is a terminal (or forced), and never when NO_COLOR is set
// to a non-empty value. With span_close_events, a span's close prints an
// event "close" with time.busy and time.idle.
//
// Contract: formatting allocates nothing once warm: each thread reuses one
// buffer, the seconds part of the timestamp is cached per thread, and span
// fields are formatted once per span (cached in its record). Thread safety:
// any thread, concurrently.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

#include "lucid/trace/subscriber/layer.hpp"
#include "lucid/trace/subscriber/writer.hpp"

namespace lucid::trace {

namespace fmt_detail {
class line_formatter;
}

/// The line formats of fmt_layer.
enum class log_format : std::uint8_t { full, compact, pretty, json };

/// Parses "full", "compact", "pretty" or "json" (any case).
std::optional<log_format> parse_log_format(std::string_view s) noexcept;

/// When fmt_layer uses ANSI colours (NO_COLOR always wins).
enum class ansi_mode : std::uint8_t { auto_detect, always, never };

/// Wall clock in nanoseconds since the Unix epoch (injectable for tests).
using realtime_clock = std::int64_t (*)() noexcept;

/// fmt_layer settings.
struct fmt_options {
  log_format format = log_format::full;
  ansi_mode ansi = ansi_mode::auto_detect;
  bool with_timestamp = true;
  bool with_level = true;
  bool with_target = true;
  bool with_task_id = true;        ///< print the task id of events logged inside a task
  bool with_file_line = false;     ///< full/compact/json: add file:line (pretty always has it)
  bool span_close_events = false;  ///< print "close" with time.busy/time.idle when a span ends
  realtime_clock clock = nullptr;  ///< nullptr: the system clock
};

/// A layer that writes formatted events.
class fmt_layer final : public layer {
 public:
  explicit fmt_layer(std::shared_ptr<writer> w, fmt_options opts = {});
  ~fmt_layer() override;

  void on_attach(registry& reg, unsigned index) override;
  void on_event(const event& e, span_record* parent) override;
  void on_close(span_record& rec) override;
  bool wants_timing() const override { return opts_.span_close_events; }
  void flush() override { writer_->flush(); }

  /// Whether this layer emits colours (decided at construction).
  bool ansi() const noexcept { return ansi_; }
  const fmt_options& options() const noexcept { return opts_; }

 private:
  void write_line(const event* ev, span_record* scope, std::uint64_t task_id, std::uint64_t busy_ns,
                  std::uint64_t idle_ns);

  std::shared_ptr<writer> writer_;
  fmt_options opts_;
  bool ansi_ = false;
  std::unique_ptr<const fmt_detail::line_formatter> formatter_;  // for opts_.format, chosen once
  std::uint64_t bit_ = ~std::uint64_t{0};  // this layer's bit in span_record::layer_mask
};

}  // namespace lucid::trace
