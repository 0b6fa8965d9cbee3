// lucid::interval: a periodic ticker.
//
// Contract: the first tick() completes at once; each later one at the
// previous deadline plus the period. A task that falls behind gets the missed
// ticks immediately, one per tick() (like tokio's Burst behaviour).
// Thread safety: used by one task at a time. Cancellation: safe; a cancelled
// tick() loses no tick (the deadline only advances when a tick completes).
#pragma once

#include <chrono>

#include "lucid/time/sleep.hpp"

namespace lucid {

class interval {
 public:
  explicit interval(duration period) : period_(period), next_(detail::now()) {
    LUCID_ASSERT(period.count() > 0, "interval period must be positive");
  }
  template <class Rep, class Period>
  explicit interval(std::chrono::duration<Rep, Period> p)
      : interval(detail::to_clock_duration(p)) {}

  class [[nodiscard]] tick_awaiter {
   public:
    explicit tick_awaiter(interval* iv) : iv_(iv), sleep_(iv->next_) {}
    bool await_ready() const noexcept { return sleep_.deadline() <= detail::now(); }
    template <class P>
    bool await_suspend(std::coroutine_handle<P> h) noexcept {
      return sleep_.await_suspend(h);
    }
    time_point await_resume() noexcept {
      time_point t = iv_->next_;
      iv_->next_ = detail::saturating_add(iv_->next_, iv_->period_);
      return t;
    }

   private:
    interval* iv_;
    sleep_awaiter sleep_;
  };

  /// Waits for the next tick; returns its scheduled time.
  tick_awaiter tick() { return tick_awaiter(this); }
  duration period() const noexcept { return period_; }

 private:
  duration period_;
  time_point next_;
};

}  // namespace lucid
