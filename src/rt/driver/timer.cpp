// Arming and cancelling timers on the current runtime's driver, and its clock
// (the functions of include/lucid/rt/detail/timer.hpp).
#include "lucid/rt/detail/timer.hpp"

#include "context.hpp"
#include "lucid/base/assert.hpp"
#include "scheduler/scheduler.hpp"

namespace lucid::detail {

bool register_timer(timer_entry* e) noexcept {
  scheduler* s = current_scheduler();
  LUCID_ASSERT(s != nullptr, "a lucid timer was armed outside a runtime");
  driver& d = s->drv();
  if (e->deadline <= d.now()) return false;
  e->sched = s;
  e->w.registered(e);
  // The arming worker's own shard: workers arming timers at once take
  // different locks (driver/timer_queue.hpp).
  worker* w = s->own_worker();
  const unsigned shard = w != nullptr ? w->index : 0;
  if (d.timers().insert(e, shard)) d.timer_armed_earlier();
  return true;
}

void cancel_timer(timer_entry* e) noexcept {
  if (e->sched == nullptr) return;
  e->sched->drv().timers().remove(e);  // no-op if it fired
}

time_point now() noexcept {
  scheduler* s = current_scheduler();
  return s ? s->drv().now() : clock::now();
}

void advance_paused_clock(duration d) {
  scheduler* s = current_scheduler();
  LUCID_ASSERT(s != nullptr, "time::advance called outside a runtime");
  s->drv().advance(d);
}

}  // namespace lucid::detail
