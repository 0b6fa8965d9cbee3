// Event macros: LUCID_TRACE / DEBUG / INFO / WARN / ERROR and their _F forms
// with structured fields.
//
//   LUCID_INFO("Request complete with data: {}", processed);
//   LUCID_WARN_F(("id", 42), ("retry", true))("slow reply after {} ms", ms);
//
// Contract: the format string is checked at compile time (fmt::format_string).
// A disabled event costs one relaxed load and one compare, evaluates neither
// its fields nor its arguments and allocates nothing; its static callsite has
// no constructor to run. An enabled event builds its fields on the stack and
// hands them, with the unformatted message, to the current subscriber, which
// formats what it needs. The target is LUCID_TRACE_TARGET ("app" unless the
// translation unit defines it before including lucid headers, or the build
// sets it, e.g. target_compile_definitions(x PRIVATE LUCID_TRACE_TARGET="net")).
// Thread safety: any thread.
#pragma once

#include <array>
#include <cstddef>
#include <span>

#include <fmt/core.h>

#include "lucid/trace/callsite.hpp"
#include "lucid/trace/detail/macros.hpp"
#include "lucid/trace/field.hpp"
#include "lucid/trace/subscriber.hpp"

#ifndef LUCID_TRACE_TARGET
/// The target of events and spans in this translation unit.
#define LUCID_TRACE_TARGET "app"
#endif

#ifndef LUCID_TRACE_STATIC_MAX_LEVEL
/// Compile-time ceiling: levels above it (1 = error ... 5 = trace) compile to nothing.
#define LUCID_TRACE_STATIC_MAX_LEVEL 5
#endif

/// True when lvl_ passes the compile-time ceiling and the global maximum level
/// (in the macro, not an inline function, so that translation units may use
/// different ceilings without an ODR violation).
#define LUCID_TRACE_LEVEL_ON_(lvl_)                          \
  (static_cast<int>(lvl_) <= LUCID_TRACE_STATIC_MAX_LEVEL && \
   ::lucid::trace::detail::level_enabled(lvl_))

namespace lucid::trace::detail {

/// Hands one event to the current subscriber (cold, not inlined); fills in
/// e.parent and e.task_id.
void dispatch_event(callsite& cs, event& e) noexcept;

/// The callable an enabled event macro expands to; called with the message.
template <std::size_t N>
struct event_builder {
  callsite& cs;
  std::array<field_ref, N> fields;

  template <class... Args>
  void operator()(fmt::format_string<Args...> format, Args&&... args) const {
    // The event is built here and passed by reference: passed by value, the
    // 16-byte format_args went through two pushes that the callee reloaded
    // as one 16-byte load (a store-forwarding stall on every event).
    auto store = fmt::make_format_args(args...);
    event e{&cs.meta(), std::span<const field_ref>(fields.data(), N), format, store, {}, 0};
    dispatch_event(cs, e);
  }
};

template <class... F>
event_builder<sizeof...(F)> make_event_builder(callsite& cs, F... fields) noexcept {
  return event_builder<sizeof...(F)>{cs, {fields...}};
}

}  // namespace lucid::trace::detail

/// An event at lvl with target target_; fields as `("name", value)` pairs.
/// Expands to an expression to call with the message: `(...)("fmt {}", x)`.
#define LUCID_EVENT_AT(target_, lvl_, ...)                                            \
  if (!LUCID_TRACE_LEVEL_ON_(lvl_)) {                                                 \
  } else if (static constinit ::lucid::trace::detail::callsite lucid_trace_cs_{       \
                 ::lucid::trace::metadata{"event", target_, __FILE__, __LINE__, lvl_, \
                                          ::lucid::trace::callsite_kind::event}};     \
             lucid_trace_cs_.get_interest() == ::lucid::trace::interest::never) {     \
  } else                                                                              \
    ::lucid::trace::detail::make_event_builder(lucid_trace_cs_ __VA_OPT__(, )         \
                                                   LUCID_TRACE_FIELDS_(__VA_ARGS__))

/// An event at a level with fields; call the result with the message.
#define LUCID_EVENT_F(lvl_, ...) LUCID_EVENT_AT(LUCID_TRACE_TARGET, lvl_, __VA_ARGS__)

/// An event at lvl with a message: LUCID_EVENT(lucid::trace::level::info, "x={}", x).
#define LUCID_EVENT(lvl_, ...) LUCID_EVENT_AT(LUCID_TRACE_TARGET, lvl_)(__VA_ARGS__)

/// Events at each level: `LUCID_INFO("fmt {}", args...)`.
#define LUCID_TRACE(...) LUCID_EVENT(::lucid::trace::level::trace, __VA_ARGS__)
#define LUCID_DEBUG(...) LUCID_EVENT(::lucid::trace::level::debug, __VA_ARGS__)
#define LUCID_INFO(...) LUCID_EVENT(::lucid::trace::level::info, __VA_ARGS__)
#define LUCID_WARN(...) LUCID_EVENT(::lucid::trace::level::warn, __VA_ARGS__)
#define LUCID_ERROR(...) LUCID_EVENT(::lucid::trace::level::error, __VA_ARGS__)

/// Events with fields: `LUCID_INFO_F(("id", 42), ("ok", true))("fmt {}", args...)`.
#define LUCID_TRACE_F(...) LUCID_EVENT_F(::lucid::trace::level::trace, __VA_ARGS__)
#define LUCID_DEBUG_F(...) LUCID_EVENT_F(::lucid::trace::level::debug, __VA_ARGS__)
#define LUCID_INFO_F(...) LUCID_EVENT_F(::lucid::trace::level::info, __VA_ARGS__)
#define LUCID_WARN_F(...) LUCID_EVENT_F(::lucid::trace::level::warn, __VA_ARGS__)
#define LUCID_ERROR_F(...) LUCID_EVENT_F(::lucid::trace::level::error, __VA_ARGS__)
