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

/// The line buffer: 500 bytes inline, growth out of line, and a size the
/// appends set with one store. (fmt::memory_buffer inlines its grow into every
/// resize, which made each append too big to inline.) fmt writes into it
/// through fmt_sink.
class line_buffer {
 public:
  line_buffer() noexcept = default;
  ~line_buffer();
  line_buffer(const line_buffer&) = delete;
  line_buffer& operator=(const line_buffer&) = delete;

  char* data() noexcept { return data_; }
  const char* data() const noexcept { return data_; }
  std::size_t size() const noexcept { return size_; }
  std::size_t capacity() const noexcept { return cap_; }
  void clear() noexcept { size_ = 0; }
  /// Capacity for at least n bytes (keeps the first size() bytes).
  void reserve(std::size_t n) {
    if (n > cap_) [[unlikely]]
      grow(n);
  }
  /// Sets the size, growing when n exceeds the capacity.
  void resize(std::size_t n) {
    reserve(n);
    size_ = n;
  }

 private:
  friend class fmt_sink;
  [[gnu::noinline]] void grow(std::size_t n);

  char* data_ = inline_;
  std::size_t size_ = 0;
  std::size_t cap_ = sizeof inline_;
  char inline_[500];
};
using buffer = line_buffer;

static_assert(FMT_VERSION < 100000,
              "fmt_sink derives from fmt 9's buffer<char> (virtual grow); "
              "fmt 10 replaced it with a grow function pointer");

/// fmt output appended to a line buffer: an fmt buffer over its spare
/// capacity, added to its size when the sink is destroyed. Nothing else may
/// append to the line buffer while the sink lives.
///
///   { fmt_sink out(b); fmt::format_to(out.it(), "{}", x); }
class fmt_sink final : public fmt::appender::container_type {
  using base = fmt::appender::container_type;

 public:
  explicit fmt_sink(line_buffer& b) noexcept
      : base(b.data_ + b.size_, 0, b.cap_ - b.size_), line_(b) {}
  ~fmt_sink() { line_.size_ += size(); }
  fmt_sink(const fmt_sink&) = delete;
  fmt_sink& operator=(const fmt_sink&) = delete;

  fmt::appender it() noexcept { return fmt::appender(*this); }

 protected:
  void grow(std::size_t n) override;

 private:
  line_buffer& line_;
};

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
