// lucid::trace::span: a period of time with fields, and its entered guard;
// span macros and LUCID_INSTRUMENT (the analogue of #[instrument]).
//
//   auto s = LUCID_INFO_SPAN("process_request", ("id", id), ("status", lucid::trace::empty));
//   auto g = s.enter();        // events below are inside process_request{id=..}
//   s.record("status", 200);   // fill a field declared empty
//
//   task<void> handle(int id) {
//     LUCID_INSTRUMENT(("id", id));  // span "handle{id=..}" entered until return
//     ...
//   }
//
// Contract: a span is a handle; copies refer to the same span (the subscriber
// counts handles) and the span closes when the last handle is destroyed. A
// disabled span (level or filter) is an empty handle: every operation on it is
// a no-op. An entered guard must not outlive its span and pops the span from
// the stack it was pushed on (the task's stack under the runtime, see
// context.hpp), also when destroyed out of order. Creating a disabled span
// costs one load and one compare and evaluates no fields.
// Thread safety: a span handle may be used from any thread, but one handle
// object is not to be mutated concurrently; a guard stays with its task/thread.
#pragma once

#include <initializer_list>
#include <utility>

#include "lucid/trace/event.hpp"
#include "lucid/trace/subscriber.hpp"

namespace lucid::trace {

namespace detail {
struct span_stack;
}  // namespace detail

class span;

/// Guard returned by span::enter(): the span is entered until it is destroyed.
class [[nodiscard]] entered {
 public:
  entered() noexcept = default;
  entered(entered&& o) noexcept
      : stack_(std::exchange(o.stack_, nullptr)), sub_(o.sub_), ref_(o.ref_) {}
  entered& operator=(entered&& o) noexcept {
    if (this != &o) {
      exit();
      stack_ = std::exchange(o.stack_, nullptr);
      sub_ = o.sub_;
      ref_ = o.ref_;
    }
    return *this;
  }
  entered(const entered&) = delete;
  entered& operator=(const entered&) = delete;
  ~entered() { exit(); }

  /// Exits now (idempotent).
  void exit() noexcept;
  /// True while the guard holds an entered span.
  explicit operator bool() const noexcept { return stack_ != nullptr; }

 private:
  friend class span;
  entered(detail::span_stack* st, subscriber* sub, span_ref ref) noexcept
      : stack_(st), sub_(sub), ref_(ref) {}

  detail::span_stack* stack_ = nullptr;
  subscriber* sub_ = nullptr;
  span_ref ref_{};
};

/// A handle to a span (or to none, when disabled).
class span {
 public:
  /// A disabled span.
  span() noexcept = default;
  /// Adopts one handle of ref, owned by sub (used by the span macros).
  span(subscriber* sub, span_ref ref) noexcept : sub_(sub), ref_(ref) {}
  span(const span& o) noexcept;
  span& operator=(const span& o) noexcept;
  span(span&& o) noexcept : sub_(std::exchange(o.sub_, nullptr)), ref_(std::exchange(o.ref_, {})) {}
  span& operator=(span&& o) noexcept;
  ~span() { release(); }

  /// A new handle to the current span (innermost entered on this task/thread).
  static span current() noexcept;

  /// True when the span is disabled.
  bool is_none() const noexcept { return sub_ == nullptr; }
  explicit operator bool() const noexcept { return sub_ != nullptr; }
  /// The span's id, 0 when disabled.
  span_id id() const noexcept { return ref_.id; }
  span_ref ref() const noexcept { return ref_; }
  subscriber* owner() const noexcept { return sub_; }

  /// Enters the span until the guard is destroyed.
  entered enter() const& noexcept;
  /// Entering a temporary span would outlive it; keep the span in a variable.
  entered enter() && = delete;

  /// Records a value for a field (usually one declared with lucid::trace::empty).
  template <class T>
  void record(const char* name, const T& v) const {
    if (sub_ != nullptr) record_fields({field(name, v)});
  }
  /// Records several fields at once.
  void record_fields(std::initializer_list<field_ref> fields) const noexcept;

  /// Notes that this span follows from cause (causal, not a parent).
  void follows_from(const span& cause) const noexcept;

  /// Runs f inside the span.
  template <class F>
  decltype(auto) in_scope(F&& f) const& {
    auto g = enter();
    return std::forward<F>(f)();
  }

 private:
  void release() noexcept;

  subscriber* sub_ = nullptr;
  span_ref ref_{};
};

namespace detail {

/// Creates a span at cs with fields (cold, not inlined).
span make_span(callsite& cs, std::initializer_list<field_ref> fields) noexcept;

/// True when a span at cs may be enabled by its cached interest (the macros
/// check the level first).
inline bool span_interest_not_never(callsite& cs) noexcept {
  return cs.get_interest() != interest::never;
}

/// The span and guard LUCID_INSTRUMENT keeps for the rest of the scope.
class instrumented_scope {
 public:
  instrumented_scope() noexcept = default;
  instrumented_scope(callsite& cs, std::initializer_list<field_ref> fields) noexcept
      : span_(make_span(cs, fields)), guard_(span_.enter()) {}
  instrumented_scope(const instrumented_scope&) = delete;
  instrumented_scope& operator=(const instrumented_scope&) = delete;
  const trace::span& get() const noexcept { return span_; }

 private:
  trace::span span_;
  entered guard_;
};

}  // namespace detail
}  // namespace lucid::trace

/// A span at lvl with target target_ and a name (a string literal); fields as
/// `("name", value)` pairs. Evaluates to a lucid::trace::span.
#define LUCID_SPAN_AT(target_, lvl_, name_, ...)                                                   \
  ([&]() -> ::lucid::trace::span {                                                                 \
    static constinit ::lucid::trace::detail::callsite lucid_trace_cs_{::lucid::trace::metadata{    \
        name_, target_, __FILE__, __LINE__, lvl_, ::lucid::trace::callsite_kind::span}};           \
    if (!LUCID_TRACE_LEVEL_ON_(lvl_) ||                                                            \
        !::lucid::trace::detail::span_interest_not_never(lucid_trace_cs_))                         \
      return {};                                                                                   \
    return ::lucid::trace::detail::make_span(lucid_trace_cs_, {LUCID_TRACE_FIELDS_(__VA_ARGS__)}); \
  }())

/// A span at a level: LUCID_SPAN(lucid::trace::level::debug, "name", ("k", v)).
#define LUCID_SPAN(lvl_, name_, ...) LUCID_SPAN_AT(LUCID_TRACE_TARGET, lvl_, name_, __VA_ARGS__)
#define LUCID_TRACE_SPAN(name_, ...) \
  LUCID_SPAN(::lucid::trace::level::trace, name_ __VA_OPT__(, ) __VA_ARGS__)
#define LUCID_DEBUG_SPAN(name_, ...) \
  LUCID_SPAN(::lucid::trace::level::debug, name_ __VA_OPT__(, ) __VA_ARGS__)
#define LUCID_INFO_SPAN(name_, ...) \
  LUCID_SPAN(::lucid::trace::level::info, name_ __VA_OPT__(, ) __VA_ARGS__)
#define LUCID_WARN_SPAN(name_, ...) \
  LUCID_SPAN(::lucid::trace::level::warn, name_ __VA_OPT__(, ) __VA_ARGS__)
#define LUCID_ERROR_SPAN(name_, ...) \
  LUCID_SPAN(::lucid::trace::level::error, name_ __VA_OPT__(, ) __VA_ARGS__)

/// Opens an info span named after the enclosing function, with the given
/// fields, and enters it until the end of the scope (in a coroutine: across
/// its co_awaits, on the task's own span stack). A statement, not an expression.
#define LUCID_INSTRUMENT(...) \
  LUCID_INSTRUMENT_AT(::lucid::trace::level::info __VA_OPT__(, ) __VA_ARGS__)

/// LUCID_INSTRUMENT at a chosen level.
#define LUCID_INSTRUMENT_AT(lvl_, ...)                                \
  LUCID_INSTRUMENT_I_(LUCID_TRACE_CAT_(lucid_trace_instr_, __LINE__), \
                      lvl_ __VA_OPT__(, ) __VA_ARGS__)

#define LUCID_INSTRUMENT_I_(n_, lvl_, ...)                                                      \
  static constinit ::lucid::trace::detail::callsite LUCID_TRACE_CAT_(                           \
      n_, _cs){::lucid::trace::metadata{__func__, LUCID_TRACE_TARGET, __FILE__, __LINE__, lvl_, \
                                        ::lucid::trace::callsite_kind::span}};                  \
  ::lucid::trace::detail::instrumented_scope n_ =                                               \
      LUCID_TRACE_LEVEL_ON_(lvl_) &&                                                            \
              ::lucid::trace::detail::span_interest_not_never(LUCID_TRACE_CAT_(n_, _cs))        \
          ? ::lucid::trace::detail::instrumented_scope(LUCID_TRACE_CAT_(n_, _cs),               \
                                                       {LUCID_TRACE_FIELDS_(__VA_ARGS__)})      \
          : ::lucid::trace::detail::instrumented_scope()
