// The formatters behind fmt_layer: one per log_format, chosen once when the
// layer is built (make_line_formatter), each turning one line (an event, or a
// span's close) into bytes. Private to trace_subscriber.
//
// Contract: format() appends one complete line (pretty: one block) to the
// buffer it is given and allocates nothing once warm. Formatters are
// immutable after construction. Thread safety: any thread, concurrently.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include <fmt/format.h>

#include "lucid/trace/subscriber/fmt_layer.hpp"
#include "lucid/trace/subscriber/span_record.hpp"

namespace lucid::trace::fmt_detail {

using buffer = fmt::memory_buffer;

/// What one output line is about.
struct line {
  const metadata* meta;
  const event* ev;            ///< nullptr for a span's close line
  span_record* const* chain;  ///< the spans this layer sees, innermost first
  std::size_t n;              ///< entries in chain
  std::uint64_t task_id;      ///< 0: not inside a task
  std::uint64_t busy_ns;      ///< close lines only
  std::uint64_t idle_ns;      ///< close lines only
};

/// One output format.
class line_formatter {
 public:
  virtual ~line_formatter() = default;
  /// Appends the formatted line to b.
  virtual void format(buffer& b, const line& l) const = 0;
};

/// The formatter for opts.format; ansi: whether text formats emit colours.
std::unique_ptr<line_formatter> make_line_formatter(const fmt_options& opts, bool ansi);

// One factory per file (json_format.cpp, pretty_format.cpp, text_format.cpp).
std::unique_ptr<line_formatter> make_json_formatter(const fmt_options& opts);
std::unique_ptr<line_formatter> make_pretty_formatter(const fmt_options& opts, bool ansi);
std::unique_ptr<line_formatter> make_full_formatter(const fmt_options& opts, bool ansi);
std::unique_ptr<line_formatter> make_compact_formatter(const fmt_options& opts, bool ansi);

}  // namespace lucid::trace::fmt_detail
