// lucid::sleep, sleep_until: suspend the current task until a deadline.
//
// Contract: nanosecond deadlines on the runtime's clock (steady, or paused in
// tests); a sleep whose deadline has passed completes without suspending.
// Thread safety: an awaitable belongs to the task that awaits it.
// Cancellation: safe; destroying a pending sleep disarms its timer.
#pragma once

#include <chrono>
#include <coroutine>

#include "lucid/base/assert.hpp"
#include "lucid/rt/detail/timer.hpp"
#include "lucid/rt/detail/wait_record.hpp"
#include "lucid/rt/observer.hpp"

namespace lucid {

/// The awaitable of sleep() and sleep_until().
///
/// It may be named and awaited later (`auto s = lucid::sleep(1s); co_await s;`),
/// also by reference in select() or timeout() inside a loop: a branch that
/// loses disarms the timer, and awaiting the same sleep again waits for the
/// same deadline (at once if it has passed).
class [[nodiscard]] sleep_awaiter {
 public:
  explicit sleep_awaiter(time_point deadline) noexcept { e_.deadline = deadline; }
  sleep_awaiter(sleep_awaiter&& o) noexcept {
    LUCID_ASSERT(o.e_.heap_index == UINT32_MAX, "a pending sleep cannot be moved");
    e_.deadline = o.e_.deadline;
  }
  sleep_awaiter(const sleep_awaiter&) = delete;
  sleep_awaiter& operator=(const sleep_awaiter&) = delete;
  ~sleep_awaiter() {
    detail::cancel_timer(&e_);
    if (rid_ != 0) {
      LUCID_OBSERVE(on_wait_end, e_.w.task(), rid_);
      LUCID_OBSERVE(on_resource_dropped, rid_);
    }
  }

  bool await_ready() const noexcept { return false; }
  template <class P>
  bool await_suspend(std::coroutine_handle<P> h) noexcept {
    e_.w = detail::waker::of(h);
    if (detail::observing()) observe_wait();
    if (!detail::register_timer(&e_)) return false;
    rec_ = detail::wait_record(detail::timer_resource, detail::wake_source::driver);
    rec_.set_deadline_ns(e_.deadline.time_since_epoch().count());
    rec_.begin(h.promise().strand());
    return true;
  }
  void await_resume() const noexcept {}

  time_point deadline() const noexcept { return e_.deadline; }

  /// The frame awaiting this named sleep was destroyed while it waited (see
  /// task.hpp, lvalue_awaiter): disarm the timer; the deadline stays.
  void lucid_abandon() noexcept {
    detail::cancel_timer(&e_);
    if (rid_ != 0) LUCID_OBSERVE(on_wait_end, e_.w.task(), rid_);
  }

 private:
  void observe_wait() noexcept;
  detail::timer_entry e_;
  resource_id rid_ = 0;
  detail::wait_record rec_;
};

/// Suspends the current task for `d`.
///
/// Example: co_await lucid::sleep(std::chrono::milliseconds(50));
template <class Rep, class Period>
sleep_awaiter sleep(std::chrono::duration<Rep, Period> d) noexcept {
  // Saturating: sleep(duration::max()) sleeps for ever, not for no time at all.
  return sleep_awaiter(detail::deadline_after(d));
}

/// Suspends the current task until `t`.
inline sleep_awaiter sleep_until(time_point t) noexcept {
  return sleep_awaiter(t);
}

namespace time {
/// The runtime's current time (virtual when the clock is paused).
inline time_point now() noexcept {
  return detail::now();
}
}  // namespace time

}  // namespace lucid
