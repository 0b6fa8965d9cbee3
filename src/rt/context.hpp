// Per-thread runtime context: which worker, scheduler and task the calling
// thread is running.
//
// Contract: thread_locals set by a worker (or a thread inside
// block_on) for as long as it runs the scheduler, and by the poll harness for
// the length of one poll. They are read only through the non-inlined
// accessors below: Clang may cache a thread_local's address across a
// suspension point, and a task can resume on another worker (DESIGN.md,
// "Compiler hazards").
// Thread safety: each thread sees and writes only its own values, except the
// current-cell word, which a worker publishes (worker::poll_word) for the
// console's stall detector to sample.
// Signal safety: the accessors are async-signal-safe (plain loads), so the
// crash handler may call them.
#pragma once

#include "lucid/rt/detail/inspect.hpp"

namespace lucid::detail {

class scheduler;
struct worker;
struct task_cell;
struct promise_base;
struct strand;

/// The worker of the calling thread, or null.
worker* current_worker() noexcept;
/// The task the calling thread is polling, or null.
task_cell* current_cell() noexcept;
/// The scheduler of the calling thread (a worker, or inside block_on); null outside.
scheduler* current_scheduler() noexcept;
/// Sets the task being polled (the poll harness only).
void set_current_cell(task_cell* c) noexcept;
/// The innermost frame running now in task c, which the calling thread
/// polls: inside the combinator branch being run, if any, else the leaf of
/// c's root strand. Async-signal-safe.
const promise_base* running_frame(const task_cell* c) noexcept;

/// Marks the calling thread's poll as the runtime's own work for the
/// scope's life (a panic report symbolizing a backtrace), which the stall
/// detector does not report.
class stall_exempt_scope {
 public:
  stall_exempt_scope() noexcept;
  ~stall_exempt_scope();
  stall_exempt_scope(const stall_exempt_scope&) = delete;
  stall_exempt_scope& operator=(const stall_exempt_scope&) = delete;
};

/// Makes the calling thread a thread of `s` (as worker `w`, or null for a
/// thread that only runs shutdown) for the scope's life; restores the
/// previous context at the end.
class context_scope {
 public:
  context_scope(worker* w, scheduler* s) noexcept;
  ~context_scope();
  context_scope(const context_scope&) = delete;
  context_scope& operator=(const context_scope&) = delete;

 private:
  worker* prev_worker_;
  scheduler* prev_sched_;
  known_thread_scope known_;  ///< a runtime thread is one the "all asleep" detector knows
};

}  // namespace lucid::detail
