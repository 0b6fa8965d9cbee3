// The poll harness: polling a task once, cancelling it, and finishing it.
//
// Contract: poll_task() is called by a worker that took the task from a run
// queue (the task is NOTIFIED and not RUNNING); it sets RUNNING, resumes the
// task's strand with the task's trace context swapped in, and applies the
// transitions of task_cell.hpp at the end of the poll. cancel_task() and
// finish_task() are called by the thread that holds RUNNING (a worker, or
// the thread running shutdown), exactly once per task.
#pragma once

#include <cstdint>

#include "task/cell.hpp"

namespace lucid::detail {

/// What a poll left to do.
enum class poll_result : std::uint8_t {
  idle,      ///< the task suspended and waits for a wake-up
  notified,  ///< it was woken during the poll: queue it again
  yielded,   ///< it yielded: queue it again once timers and I/O were looked at
  finished,  ///< it completed or was cancelled
};

/// Polls c once (see above).
poll_result poll_task(task_cell* c) noexcept;
/// Destroys c's frame at its suspension point (if it still has one) and
/// finishes it as cancelled.
void cancel_task(task_cell* c) noexcept;
/// Records the outcome, releases the frame, wakes the joiner, reports an
/// unobserved panic, and drops the scheduler's reference.
void finish_task(task_cell* c, task_outcome o) noexcept;

}  // namespace lucid::detail
