// The poll harness: polling a task once, cancelling it, and finishing it.
//
// Contract: poll_task() is called by a worker that took the task from a run
// queue (the task is NOTIFIED and not RUNNING); it sets RUNNING, resumes the
// task's strand with the task's trace context swapped in, and applies the
// transitions of task/cell.hpp at the end of the poll. cancel_task() and
// finish_task() are called by the thread that holds RUNNING (a worker, or
// the thread running shutdown), exactly once per task.
#pragma once

#include <cstdint>

#include "context.hpp"
#include "lucid/base/assert.hpp"
#include "lucid/rt/detail/task_stats.hpp"
#include "lucid/rt/observer.hpp"
#include "task/cell.hpp"
#include "task/trace_context.hpp"
#include "thread_check.hpp"

namespace lucid::detail {

/// What a poll left to do.
enum class poll_result : std::uint8_t {
  idle,            ///< the task suspended and waits for a wake-up
  notified,        ///< it was woken during the poll: queue it again
  notified_local,  ///< the same, for a local task (spawn_local)
  yielded,         ///< it yielded: queue it again once timers and I/O were looked at
  yielded_local,   ///< the same, for a local task (spawn_local)
  finished,        ///< it completed or was cancelled
};

/// Destroys c's frame at its suspension point (if it still has one) and
/// finishes it as cancelled.
void cancel_task(task_cell* c) noexcept;
/// Records the outcome, releases the frame, wakes the joiner, reports an
/// unobserved panic, and drops the scheduler's reference. `now_ns`: the
/// stats clock's time if the caller just read it (the end of the last poll),
/// or 0 (then it is read if the task has stats).
void finish_task(task_cell* c, task_outcome o, std::int64_t now_ns = 0) noexcept;

/// Spins until no inspector holds c (cold: inspections are rare and short).
[[gnu::cold, gnu::noinline]] void wait_inspection(task_cell* c) noexcept;

/// Polls c once (see above). Inline: it is the worker loop's hot path.
/// `stats_clock`: the worker's (worker::stats_clock_ns): on entry, the stats
/// clock's time if this poll may start at that instant (the previous poll
/// on this thread ended then and nothing but picking c happened since), or
/// 0; on return, the end of this poll if the next may start then, or 0.
[[gnu::always_inline]] inline poll_result poll_task(task_cell* c,
                                                    std::int64_t& stats_clock) noexcept {
  std::uint32_t s = c->state_.load(std::memory_order_relaxed);
  for (;;) {
    if (__builtin_expect((s & st_inspected) != 0, 0)) {  // an inspector reads the frames: wait
      stats_clock = 0;
      wait_inspection(c);
      s = c->state_.load(std::memory_order_relaxed);
      continue;
    }
    // acquire: see what the previous poller (maybe another worker) wrote.
    if (c->state_.compare_exchange_weak(s, (s | st_running) & ~(st_notified | st_yielded),
                                        std::memory_order_acquire, std::memory_order_relaxed)) {
      break;
    }
  }
  LUCID_ASSERT((s & (st_running | st_complete)) == 0, "task polled while running or complete");
  set_current_cell(c);
#if LUCID_CHECK_THREADS
  poll_on_worker(c);  // migration record and check (thread_check.hpp); not in release
#endif
  if (s & st_cancelled) {
    stats_clock = 0;
    cancel_task(c);
    set_current_cell(nullptr);
    return poll_result::finished;
  }
  task_stats* stats = nullptr;  // stats: see lucid/rt/detail/task_stats.hpp
  if (__builtin_expect(task_stats_enabled(), 0)) stats = stats_poll_begin(c, stats_clock);
  LUCID_OBSERVE(on_poll_begin, c->id_);
  trace::detail::span_stack* prev_ctx = enter_trace_context(c);
  c->root_.run();
  leave_trace_context(c, prev_ctx);
  std::int64_t end_ns = 0;  // the poll's end on the stats clock, reused for completion
  if (stats != nullptr) end_ns = stats_poll_end(c, stats);  // before the task can be queued again
  LUCID_OBSERVE(on_poll_end, c->id_);
  if (c->root_.complete) {
    stats_clock = 0;  // finishing (the frame's destructors) takes time of its own
    finish_task(c, c->root_.leaf->threw() ? task_outcome::exception : task_outcome::value, end_ns);
    set_current_cell(nullptr);
    return poll_result::finished;
  }
  s = c->state_.load(std::memory_order_relaxed);
  for (;;) {
    if (s & st_cancelled) {
      stats_clock = 0;
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
  stats_clock = end_ns;  // 0 without stats
  // Woken while running (yield_now, or a wake during the poll): queue it again.
  if (!(s & st_notified)) return poll_result::idle;
  if (!(s & st_yielded))
    return (s & st_local) ? poll_result::notified_local : poll_result::notified;
  return (s & st_local) ? poll_result::yielded_local : poll_result::yielded;
}

}  // namespace lucid::detail
