// lucid::trace::subscriber: the interface that receives spans and events,
// with the records it is handed (span_attributes, event).
//
// Contract: a subscriber is called from any thread, concurrently; every
// override must be thread-safe. Calls made while a subscriber runs on the
// same thread (an event logged from inside a subscriber) are dropped by the
// dispatcher, so a subscriber never re-enters itself. A subscriber must
// outlive every span created while it was a default (global defaults live
// until exit). Span ids are assigned by lucid, unique for the life of the
// process; the subscriber may attach a handle (its own record pointer) to each
// span, which it gets back on every later call about that span.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include <fmt/core.h>

#include "lucid/trace/callsite.hpp"
#include "lucid/trace/field.hpp"

namespace lucid::trace {

/// A span's id: unique for the life of the process; 0 is "no span".
using span_id = std::uint64_t;

/// How a subscriber finds a span: its id and the handle new_span returned.
struct span_ref {
  span_id id = 0;
  void* handle = nullptr;
  explicit operator bool() const noexcept { return id != 0; }
};

/// What a subscriber gets when a span is created.
struct span_attributes {
  const metadata* meta;
  span_id id;
  span_ref parent;  ///< the current span at creation (or an explicit parent), or none
  std::span<const field_ref> fields;
};

/// One event, handed to a subscriber by reference during the logging call.
struct event {
  const metadata* meta;
  std::span<const field_ref> fields;
  fmt::string_view format;  ///< the message's format string
  fmt::format_args args;    ///< its arguments, formatted lazily by the subscriber
  span_ref parent;          ///< the current span, or none
  std::uint64_t task_id;    ///< the runtime task that logged it, 0 outside tasks

  /// Appends the formatted message to out (e.g. fmt::appender(memory_buffer)).
  void format_message(fmt::appender out) const { fmt::vformat_to(out, format, args); }
  /// The formatted message as a string (allocates; for tests and simple layers).
  std::string message() const { return fmt::vformat(format, args); }
};

/// Receives spans and events. See the file contract for thread safety.
class subscriber {
 public:
  virtual ~subscriber() = default;

  /// The cached interest for a callsite (asked once per callsite and rebuild).
  /// Default: always or never by enabled(meta, {}).
  virtual interest register_callsite(const metadata& meta) {
    return enabled(meta, span_ref{}) ? interest::always : interest::never;
  }
  /// Whether a span or event at meta is enabled, given the span it would be in.
  /// Called only for callsites whose interest is `sometimes`.
  virtual bool enabled(const metadata& meta, span_ref parent) = 0;
  /// The most verbose level this subscriber may ever enable.
  virtual level_filter max_level_hint() { return level_filter::trace; }

  /// A span was created; returns the handle lucid passes back in span_ref.
  virtual void* new_span(const span_attributes& attrs) = 0;
  /// Fields recorded on an existing span (span.record).
  virtual void record(span_ref span, std::span<const field_ref> fields) {
    (void)span;
    (void)fields;
  }
  /// span follows from cause (causality without nesting).
  virtual void record_follows_from(span_ref span, span_ref cause) {
    (void)span;
    (void)cause;
  }
  /// An enabled event.
  virtual void on_event(const event& e) = 0;
  virtual void enter(span_ref span) { (void)span; }
  virtual void exit(span_ref span) { (void)span; }
  /// A new handle to span was made (span copied); balanced by one more close.
  virtual void clone_span(span_ref span) { (void)span; }
  /// A handle to span was dropped; the span ends when its last handle does.
  virtual void close(span_ref span) = 0;
  /// Writes out anything buffered. Must not block for long (see trace::flush).
  virtual void flush() {}
};

}  // namespace lucid::trace
