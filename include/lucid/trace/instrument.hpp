// lucid::trace::instrument(awaitable, span): runs an awaitable inside a span.
//
//   auto span = LUCID_INFO_SPAN("query_db", ("id", id));
//   auto rows = co_await lucid::trace::instrument(query_db(id), span);
//
// Contract: the span is entered on the awaiting task's current span stack
// just before the inner awaitable's await_suspend (so a lazily started child
// coroutine runs inside it) and exited after its await_resume; while the task
// is suspended, the runtime's stack swap exits and re-enters it (see
// context.hpp), so it never leaks into other tasks. If the inner awaitable is
// ready at once, the span is entered around await_resume only. Destroying the
// suspended coroutine (cancellation) pops the span without an exit
// notification, as the stack is swapped out. The result is an awaiter; the
// inner awaitable is moved in (lvalues are referenced: keep them alive).
// Thread safety: as for the inner awaitable.
#pragma once

#include <coroutine>
#include <type_traits>
#include <utility>

#include "lucid/trace/span.hpp"

namespace lucid::trace {

namespace detail {

template <class A>
concept has_member_co_await = requires(A&& a) {
  static_cast<A&&>(a).operator co_await();
};
template <class A>
concept has_free_co_await = requires(A&& a) {
  operator co_await(static_cast<A&&>(a));
};

template <class A>
decltype(auto) get_awaiter(A&& a) {
  if constexpr (has_member_co_await<A>) {
    return static_cast<A&&>(a).operator co_await();
  } else if constexpr (has_free_co_await<A>) {
    return operator co_await(static_cast<A&&>(a));
  } else {
    return static_cast<A&&>(a);
  }
}

// How instrumented<A> keeps the awaiter: a reference when get_awaiter returns
// an lvalue (an lvalue awaiter), else by value (moved out or returned).
template <class A>
using awaiter_storage_t =
    std::conditional_t<std::is_lvalue_reference_v<decltype(get_awaiter(std::declval<A>()))>,
                       decltype(get_awaiter(std::declval<A>())),
                       std::remove_cvref_t<decltype(get_awaiter(std::declval<A>()))>>;

}  // namespace detail

/// The awaiter returned by instrument(); see the file contract.
template <class A>
class [[nodiscard]] instrumented {
 public:
  instrumented(A&& inner, span s)
      : inner_(std::forward<A>(inner)),
        awaiter_(detail::get_awaiter(std::forward<A>(inner_))),
        span_(std::move(s)) {}
  instrumented(const instrumented&) = delete;
  instrumented& operator=(const instrumented&) = delete;

  bool await_ready() { return awaiter_.await_ready(); }

  template <class P>
  decltype(auto) await_suspend(std::coroutine_handle<P> h) {
    guard_ = span_.enter();
    return awaiter_.await_suspend(h);
  }

  decltype(auto) await_resume() {
    entered g = guard_ ? std::move(guard_) : span_.enter();
    return awaiter_.await_resume();
  }

  const span& get_span() const noexcept { return span_; }

 private:
  A inner_;  // the awaitable (a reference for lvalues)
  detail::awaiter_storage_t<A> awaiter_;
  span span_;
  entered guard_;
};

/// Runs awaitable inside span: `co_await instrument(child(), span)`.
template <class A>
instrumented<A> instrument(A&& awaitable, span s) {
  return instrumented<A>(std::forward<A>(awaitable), std::move(s));
}

}  // namespace lucid::trace
