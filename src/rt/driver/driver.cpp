// lucid::detail::driver (see driver.hpp).
#include "driver/driver.hpp"

#include <algorithm>

#include "lucid/base/assert.hpp"
#include "scheduler/scheduler.hpp"

namespace lucid::detail {

driver::driver(scheduler& s, bool paused_clock, unsigned timer_shards)
    : sched_(s), paused_(paused_clock), timers_(timer_shards), io_(new reactor) {
  paused_now_ns_.store(timer_queue::ns(clock::now()), std::memory_order_relaxed);
}

driver::~driver() {
  io_->detach();
}

time_point driver::now() const noexcept {
  if (paused_) {
    return time_point(std::chrono::nanoseconds(paused_now_ns_.load(std::memory_order_acquire)));
  }
  return clock::now();
}

void driver::advance(duration d) {
  LUCID_ASSERT(paused_, "time::advance needs a runtime with a paused clock");
  LUCID_ASSERT(d >= duration::zero(), "time::advance: the clock cannot go back");
  // Saturating, like every deadline (lucid/base/clock.hpp).
  const std::int64_t add = std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
  std::int64_t cur = paused_now_ns_.load(std::memory_order_relaxed);
  while (!paused_now_ns_.compare_exchange_weak(cur, cur > INT64_MAX - add ? INT64_MAX : cur + add,
                                               std::memory_order_acq_rel,
                                               std::memory_order_relaxed)) {
  }
  timers_.fire_expired(now());
}

void driver::timer_armed_earlier() noexcept {
  if (worker* w = parked_.load(std::memory_order_acquire)) w->park.unpark();
}

bool driver::fire_timers() noexcept {
  if (!try_take_token()) return false;
  std::size_t n = sched_.batch_wakes([&] { return timers_.fire_expired(now()); });
  give_token();
  return n != 0;
}

void driver::poll_io() noexcept {
  if (io_->registrations() == 0 || token_.load(std::memory_order_relaxed)) return;
  if (!try_take_token()) return;
  if (io_->poll(0)) sched_.batch_wakes([&] { return io_->dispatch(), 0; });
  give_token();
}

bool driver::park(worker* w) {
  if (!try_take_token()) return false;
  parked_.store(w, std::memory_order_release);
  std::int64_t until = timers_.set_parked_until_next();
  std::int64_t timeout = -1;
  if (until != timer_queue::no_deadline && !paused_) {
    timeout = std::max<std::int64_t>(0, until - timer_queue::ns(clock::now()));
  }
  w->park.park_io(*io_, timeout);
  timers_.clear_parked();
  parked_.store(nullptr, std::memory_order_release);
  // Leave the sleeper list first, so the wake-ups below go to other sleepers.
  sched_.leave_sleepers(w);
  sched_.batch_wakes([&] {
    io_->dispatch();
    return paused_ ? 0 : timers_.fire_expired(now());
  });
  give_token();
  return true;
}

driver::advanced driver::auto_advance(worker* w) noexcept {
  if (!try_take_token()) return advanced::nothing;
  advanced r = advanced::nothing;
  if (io_->registrations() != 0 && io_->poll(0)) {
    sched_.leave_sleepers(w);
    sched_.batch_wakes([&] { return io_->dispatch(), 0; });
    r = advanced::io_dispatched;
  } else if (std::int64_t next = timers_.next_deadline(); next != timer_queue::no_deadline) {
    std::int64_t cur = paused_now_ns_.load(std::memory_order_relaxed);
    if (next > cur) paused_now_ns_.store(next, std::memory_order_release);
    timers_.fire_expired(now());
    r = advanced::timers_fired;
  }
  give_token();
  return r;
}

}  // namespace lucid::detail
