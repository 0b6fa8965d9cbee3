// The join side of a task: awaiting its completion, detaching, and what the
// join handle learns of the outcome (see include/lucid/rt/join_handle.hpp).
// Registration happens under the cell's join_lock_, which finish_task() holds
// while it wakes the joiner, so a wake-up never reaches a cancelled joiner.
#include <mutex>

#include "lucid/rt/instrument.hpp"
#include "lucid/rt/join_handle.hpp"
#include "scheduler/scheduler.hpp"
#include "task/panic.hpp"

namespace lucid::detail {

void detach_handle(task_cell* c) noexcept {
  std::uint32_t prev = c->state_.fetch_or(st_detached, std::memory_order_acq_rel);
  if ((prev & st_complete) && c->outcome_ == task_outcome::exception && !c->panic_reported_) {
    // The task ended with an exception that nobody will now observe.
    c->panic_reported_ = true;
    report_unobserved_panic(c);
    c->sched_->on_unobserved_panic();
  }
  c->release();
}

bool join_register(task_cell* c, strand* waiter) noexcept {
  std::lock_guard g(c->join_lock_);
  if (c->is_complete()) return false;
  c->joiner_ = reinterpret_cast<std::uintptr_t>(waiter);
  LUCID_HOOK(on_waker_registered, waiter->cell ? waiter->cell->id_ : 0, c);
  return true;
}

void join_deregister(task_cell* c, strand* waiter) noexcept {
  std::lock_guard g(c->join_lock_);
  if (c->joiner_ == reinterpret_cast<std::uintptr_t>(waiter)) {
    c->joiner_ = 0;
    LUCID_HOOK(on_waker_released, waiter->cell ? waiter->cell->id_ : 0, c);
  }
}

void join_check_cancelled(task_cell* c) {
  if (c->outcome_ == task_outcome::cancelled) throw task_aborted();
}

}  // namespace lucid::detail
