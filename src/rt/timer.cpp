#include "lucid/rt/detail/timer.hpp"

#include "scheduler.hpp"

namespace lucid::detail {

bool register_timer(timer_entry* e) noexcept {
  scheduler* s = current_scheduler();
  LUCID_ASSERT(s != nullptr, "a lucid timer was armed outside a runtime");
  if (e->deadline <= s->now()) return false;
  e->sched = s;
  e->w.registered(e);
  if (s->timers().insert(e)) s->timer_armed_earlier();
  return true;
}

void cancel_timer(timer_entry* e) noexcept {
  if (e->sched == nullptr) return;
  e->sched->timers().remove(e);  // no-op if it fired
}

time_point now() noexcept {
  scheduler* s = current_scheduler();
  return s ? s->now() : clock::now();
}

void advance_paused_clock(duration d) {
  scheduler* s = current_scheduler();
  LUCID_ASSERT(s != nullptr, "time::advance called outside a runtime");
  s->advance(d);
}

}  // namespace lucid::detail
