// The join side of a task: awaiting its completion, detaching, and what the
// join handle learns of the outcome (see include/lucid/rt/join_handle.hpp).
// Registration happens under the cell's join_lock_, which finish_task() holds
// while it wakes the joiner, so a wake-up never reaches a cancelled joiner;
// and a joiner that resumes takes the lock too (join_handle's await_resume),
// so it never ends, and frees its frames or its task, inside that wake.
#include <mutex>

#include "lucid/rt/join_handle.hpp"
#include "lucid/rt/observer.hpp"
#include "scheduler/scheduler.hpp"
#include "task/cell.hpp"
#include "task/panic.hpp"

namespace lucid::detail {

task_id raw_task::id() const noexcept {
  return c_->id_;
}
bool raw_task::is_complete() const noexcept {
  return c_->is_complete();
}
void raw_task::abort() const noexcept {
  c_->abort();
}

void raw_task::detach() noexcept {
  task_cell* c = std::exchange(c_, nullptr);
  // One step: set DETACHED (only the handle sets it, once, so adding the bit
  // sets it) and give the handle's reference back. acq_rel: as release().
  // Who reports an exception nobody observed: if the task is COMPLETE in the
  // state this step replaces, this handle was its last chance to be
  // observed, and it reports here, first, while it still holds its reference
  // (the completing thread may still be taking the task off the live list,
  // and frees the cell if it gives the last reference back after this step;
  // it reads panic_reported_ only then, after this release). Otherwise the
  // completion sees DETACHED when it sets COMPLETE and reports before the
  // task leaves the live list (finish_task). Either way the report is out
  // before live_tasks() stops counting the task, or before this returns.
  std::uint32_t s = c->state_.load(std::memory_order_acquire);
  for (;;) {
    if (s & st_complete) report_if_unobserved(c);  // once: it sets panic_reported_
    if (c->state_.compare_exchange_weak(s, s - st_ref_one + st_detached, std::memory_order_acq_rel,
                                        std::memory_order_acquire))
      break;
  }
  // The last reference: the task had finished and its completion gave its
  // own back; free it (the report, if any, was made above).
  if ((s & st_ref_mask) == st_ref_one) destroy_cell(c);
}

bool raw_task::join_register(strand* waiter) const noexcept {
  std::lock_guard g(c_->join_lock_);
  if (c_->is_complete()) return false;
  c_->joiner_ = reinterpret_cast<std::uintptr_t>(waiter);
  LUCID_OBSERVE(on_waker_registered, task_id_of(waiter), c_);
  return true;
}

void raw_task::join_deregister(strand* waiter) const noexcept {
  std::lock_guard g(c_->join_lock_);
  if (c_->joiner_ == reinterpret_cast<std::uintptr_t>(waiter)) {
    c_->joiner_ = 0;
    LUCID_OBSERVE(on_waker_released, task_id_of(waiter), c_);
  }
}

std::exception_ptr raw_task::take_outcome() const {
  if (c_->outcome_ == task_outcome::cancelled) throw task_aborted();
  c_->panic_reported_ = true;
  std::exception_ptr e = c_->exception();
  if (e) inherit_panic_origin(c_);
  return e;
}

result_box* raw_task::take_box() const noexcept {
  return std::exchange(c_->result_, nullptr);
}

}  // namespace lucid::detail
