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
/// step. release: the joiner (or the next owner) that sees COMPLETE sees the
/// result.
void mark_complete(task_cell* c, std::uint32_t refs) noexcept {
  std::uint32_t prev = c->state_.load(std::memory_order_relaxed);
  while (!c->state_.compare_exchange_weak(
      prev, ((prev & ~(st_running | st_notified)) | st_complete) - refs * st_ref_one,
      std::memory_order_acq_rel, std::memory_order_relaxed)) {
  }
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
    // scheduler's reference go in one step.
    mark_complete(c, 1);
    c->sched_->remove_live(c);
    // DETACHED means the handle's reference is gone: this was the last one.
    destroy_cell(c);
    return;
  }
  {
    std::lock_guard g(c->join_lock_);
    mark_complete(c, 0);
    if (c->joiner_ & 1) {
      reinterpret_cast<parker*>(c->joiner_ & ~std::uintptr_t{1})->unpark();
    } else if (strand* w = c->join_waker()) {
      c->joiner_ = 0;
      LUCID_OBSERVE(on_waker_released, task_id_of(w), c);
      w->wake();
    }
  }
  c->sched_->remove_live(c);
  c->release();
}

}  // namespace lucid::detail
