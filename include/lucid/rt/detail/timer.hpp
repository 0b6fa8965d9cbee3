// lucid::detail::timer_entry: one armed deadline in a runtime's timer queue.
//
// Contract: an entry is owned by the awaitable that armed it (sleep, timeout,
// interval) and lives in that awaitable's frame. register_timer() arms it;
// cancel_timer() (called by the awaitable's destructor) disarms it. The queue
// fires an entry by setting `fired` and waking its waker while holding the
// lock of the entry's shard, and cancel_timer() takes the same lock, so a
// wake-up never reaches a destroyed frame. `fired` is read by the owner after it is woken
// (under the lock or after the wake's acquire).
#pragma once

#include <chrono>
#include <cstdint>

#include "lucid/base/clock.hpp"
#include "lucid/rt/detail/waker.hpp"

namespace lucid::detail {

class scheduler;

struct timer_entry {
  time_point deadline{};
  waker w;
  std::uint32_t heap_index = UINT32_MAX;  ///< position in the heap; UINT32_MAX = not armed
  bool fired = false;
  std::uint16_t shard = 0;  ///< the timer queue's shard it was last armed in
  scheduler* sched = nullptr;
};

/// Arms `e` on the current runtime; false if `e->deadline` has already passed
/// (then nothing is registered and the caller should not suspend).
bool register_timer(timer_entry* e) noexcept;
/// Disarms `e` if it is armed. Safe to call on an entry that fired or never armed.
void cancel_timer(timer_entry* e) noexcept;
/// The current runtime's clock reading (virtual when paused); steady_clock outside a runtime.
time_point now() noexcept;
/// The deadline `d` from now, saturating (lucid/base/clock.hpp): a duration
/// too long for the clock is a deadline that never comes.
template <class Rep, class Period>
time_point deadline_after(std::chrono::duration<Rep, Period> d) noexcept {
  return saturating_add(now(), to_clock_duration(d));
}
/// Advances a paused clock by `d` and fires what expired. Fatal if the clock is not paused.
void advance_paused_clock(duration d);

}  // namespace lucid::detail
