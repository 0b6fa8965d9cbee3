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
#include "task/trace_context.hpp"

namespace lucid::detail {

poll_result poll_task(task_cell* c) noexcept {
  std::uint32_t s = c->state_.load(std::memory_order_relaxed);
  // acquire: see what the previous poller (maybe another worker) wrote.
  while (!c->state_.compare_exchange_weak(s, (s | st_running) & ~(st_notified | st_yielded),
                                          std::memory_order_acquire, std::memory_order_relaxed)) {
  }
  LUCID_ASSERT((s & (st_running | st_complete)) == 0, "task polled while running or complete");
  set_current_cell(c);
  if (s & st_cancelled) {
    cancel_task(c);
    set_current_cell(nullptr);
    return poll_result::finished;
  }
  LUCID_OBSERVE(on_poll_begin, c->id_);
  trace::detail::span_stack* prev_ctx = enter_trace_context(c);
  c->root_.run();
  leave_trace_context(c, prev_ctx);
  LUCID_OBSERVE(on_poll_end, c->id_);
  if (c->root_.complete) {
    finish_task(c, c->root_.leaf->exception_ ? task_outcome::exception : task_outcome::value);
    set_current_cell(nullptr);
    return poll_result::finished;
  }
  s = c->state_.load(std::memory_order_relaxed);
  for (;;) {
    if (s & st_cancelled) {
      cancel_task(c);
      set_current_cell(nullptr);
      return poll_result::finished;
    }
    // release: the next poller (any worker) sees this poll's writes.
    if (c->state_.compare_exchange_weak(s, s & ~(st_running | st_yielded),
                                        std::memory_order_acq_rel, std::memory_order_relaxed)) {
      break;
    }
  }
  set_current_cell(nullptr);
  // Woken while running (yield_now, or a wake during the poll): queue it again.
  if (!(s & st_notified)) return poll_result::idle;
  return (s & st_yielded) ? poll_result::yielded : poll_result::notified;
}

void cancel_task(task_cell* c) noexcept {
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

void finish_task(task_cell* c, task_outcome o) noexcept {
  c->outcome_ = o;
  c->result_ = nullptr;  // the union's next_ may hold a stale queue link
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
  LUCID_OBSERVE(on_complete, c->id_, o);
  std::uint32_t prev;
  {
    std::lock_guard g(c->join_lock_);
    prev = c->state_.load(std::memory_order_relaxed);
    // release: the joiner that sees COMPLETE sees the result.
    while (!c->state_.compare_exchange_weak(prev,
                                            (prev & ~(st_running | st_notified)) | st_complete,
                                            std::memory_order_acq_rel, std::memory_order_relaxed)) {
    }
    if (c->joiner_ & 1) {
      reinterpret_cast<parker*>(c->joiner_ & ~std::uintptr_t{1})->unpark();
    } else if (strand* w = c->join_waker()) {
      c->joiner_ = 0;
      LUCID_OBSERVE(on_waker_released, w->cell ? w->cell->id_ : 0, c);
      w->wake();
    }
  }
  if ((prev & st_detached) && o == task_outcome::exception && !c->panic_reported_) {
    c->panic_reported_ = true;
    report_unobserved_panic(c);
    c->sched_->on_unobserved_panic();
  }
  c->sched_->remove_live(c);
  c->release();
}

}  // namespace lucid::detail
