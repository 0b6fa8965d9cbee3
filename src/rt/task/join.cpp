// The join side of a task: awaiting its completion, detaching, and what the
// join handle learns of the outcome (see include/lucid/rt/join_handle.hpp).
// Registration happens under the cell's join_lock_, which finish_task() holds
// while it wakes the joiner, so a wake-up never reaches a cancelled joiner.
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
  std::uint32_t prev = c->state_.fetch_sub(st_ref_one - st_detached, std::memory_order_acq_rel);
  // The last reference: the task finished; an exception nobody observed is
  // reported there (destroy_cell).
  if ((prev & st_ref_mask) == st_ref_one) destroy_cell(c);
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
