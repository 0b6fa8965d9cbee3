// The runtime's side of thread-bound values (include/lucid/rt/thread_bound.hpp,
// implemented in thread_bound.cpp): the poll harness's migration record and
// check, and the shutdown exemption. Private to rt.
#pragma once

namespace lucid::detail {

struct task_cell;

/// A poll of c starts on the calling worker: records a move from the worker
/// that polled it last (the co_await it was suspended at), and stops the
/// program if c is not a local task and owns a thread-bound value. Only
/// called in LUCID_CHECK_THREADS builds of rt (task/harness.hpp).
void poll_on_worker(task_cell* c) noexcept;

/// While alive, the calling thread may touch thread-bound values of other
/// threads without a report: a runtime's shutdown destroys its remaining
/// tasks' frames on the thread that shuts it down, after the workers stopped.
class thread_check_exempt_scope {
 public:
  thread_check_exempt_scope() noexcept;
  ~thread_check_exempt_scope();
  thread_check_exempt_scope(const thread_check_exempt_scope&) = delete;
  thread_check_exempt_scope& operator=(const thread_check_exempt_scope&) = delete;

 private:
  bool prev_;
};

}  // namespace lucid::detail
