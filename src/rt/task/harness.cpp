// The poll harness (see harness.hpp) and the state transitions of a poll.
#include "task/harness.hpp"

#include <coroutine>
#include <mutex>

#include "context.hpp"
#include "lucid/base/assert.hpp"
#include "lucid/rt/observer.hpp"
#include "scheduler/parker.hpp"
#include "scheduler/scheduler.hpp"
#include "task/panic.hpp"
#include "task/stats.hpp"
#include "task/trace_context.hpp"

namespace lucid::detail {

void cancel_task(task_cell* c) noexcept {
  // A task cancelled while queued (shutdown) may hold a queue link in the
  // word it shares with result_; a cancelled task has no value to keep.
  c->result_ = nullptr;
  if (c->frame_live_) {
    task_cell* prev = current_cell();
    set_current_cell(c);
    trace::detail::span_stack* prev_ctx = enter_trace_context(c);
    std::coroutine_handle<> f = c->root_frame();
    c->frame_live_ = false;
    f.destroy();
    leave_trace_context(c, prev_ctx);
    set_current_cell(prev);
  }
  finish_task(c, task_outcome::cancelled);
}

namespace {
/// RUNNING|NOTIFIED -> COMPLETE, giving back `refs` references in the same
/// step; returns the state before. release: the joiner (or the next owner)
/// that sees COMPLETE sees the result.
std::uint32_t mark_complete(task_cell* c, std::uint32_t refs) noexcept {
  std::uint32_t prev = c->state_.load(std::memory_order_relaxed);
  while (!c->state_.compare_exchange_weak(
      prev, ((prev & ~(st_running | st_notified)) | st_complete) - refs * st_ref_one,
      std::memory_order_acq_rel, std::memory_order_relaxed)) {
  }
  return prev;
}

/// The task is complete and this thread holds its only reference (the handle
/// is gone): an exception nobody observed is reported before the task leaves
/// the live list, so whoever waits for tasks to end (live_tasks(), the
/// console) finds the report written; then the cell is freed.
void finish_detached(task_cell* c) noexcept {
  report_if_unobserved(c);
  c->sched_->remove_live(c);
  destroy_cell(c);
}
}  // namespace

void finish_task(task_cell* c, task_outcome o, std::int64_t now_ns) noexcept {
  c->outcome_ = o;
  if (c->frame_live_) {
    // Move the outcome out and destroy the frame now: what the task owned is
    // released before anyone learns that it finished.
    trace::detail::span_stack* prev_ctx = enter_trace_context(c);
    extract_outcome(c);
    leave_trace_context(c, prev_ctx);
  }
  if (c->trace_context_ != nullptr) {
    trace::detail::destroy_span_stack(static_cast<trace::detail::span_stack*>(c->trace_context_));
    c->trace_context_ = nullptr;
  }
  if (__builtin_expect(task_stats_enabled(), 0)) stats_on_finish(c, o, now_ns);
  LUCID_OBSERVE(on_complete, c->id_, o);
  if (c->state_.load(std::memory_order_relaxed) & st_detached) {
    // No handle is left, so no joiner: no join lock. COMPLETE and the
    // scheduler's reference go in one step (DETACHED means the handle's
    // reference is gone: this was the last one).
    mark_complete(c, 1);
    finish_detached(c);
    return;
  }
  std::uint32_t prev;
  {
    std::lock_guard g(c->join_lock_);
    prev = mark_complete(c, 0);
    if (c->joiner_ & 1) {
      reinterpret_cast<parker*>(c->joiner_ & ~std::uintptr_t{1})->unpark();
    } else if (strand* w = c->join_waker()) {
      c->joiner_ = 0;
      LUCID_OBSERVE(on_waker_released, task_id_of(w), c);
      w->wake();
    }
  }
  if (prev & st_detached) {
    // The handle was dropped since the check above, before COMPLETE: it saw
    // the task running and left the report to us (raw_task::detach).
    finish_detached(c);
    return;
  }
  c->sched_->remove_live(c);
  c->release();
}

}  // namespace lucid::detail
