// lucid::detail::scheduler: the machinery behind lucid::runtime.
//
// Workers (worker.hpp). A current_thread runtime has one worker, driven by
// the thread in block_on; a multi_thread runtime has N worker threads and
// block_on only waits. Each worker owns a local_queue, a LIFO slot (the task
// last woken by the running task: it runs next, hot in cache, at most
// kMaxLifoPolls times in a row) and a parker. Shared: the injection queue
// (inject.hpp), the idle-worker list (idle.hpp), the driver of timers and I/O
// (driver/driver.hpp), the live-task list (live_tasks.hpp) and the blocking
// pool (blocking/pool.hpp).
//
// Files: scheduler.cpp builds and shuts down the runtime and queues tasks
// (schedule, the injection queue, waking idle workers); worker.cpp is the
// worker loop (finding the next task, stealing, parking). Polling a task is
// the poll harness's (task/harness.hpp).
//
// Who touches what:
//   workers_            built in the constructor, read-only after
//   inject_, idle_      under mu_ (idle_'s counters are read without it)
//   driver_             see driver.hpp
//   live_               its shard locks
//
// Local tasks (spawn_local) are queued only on their home worker's pinned
// list (worker.hpp), never in a local queue, the LIFO slot or inject_:
// schedule() (told by its caller, which just read the state word) and the
// end of a poll (poll_result::notified_local / yielded_local) send them
// there. Their home worker looks at the
// list when its local queue is empty, before parking (under mu_, after which
// a pusher's unpark of that worker cannot be lost: the parker keeps it), and
// in maintenance every kGlobalQueueInterval polls (up to kPinnedBurst in a
// row), so a busy local queue does not starve them.
//
// No lost wake-ups: a task queued from outside a worker goes to inject_ under
// mu_, and a worker registers itself as a sleeper under mu_ only after finding
// inject_ empty, so the pusher either sees the sleeper (and unparks it) or the
// worker sees the task. A task pushed to a local queue is run by the queue's
// owner before it parks; waking a sleeper for it is only for parallelism.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "blocking/pool.hpp"
#include "driver/driver.hpp"
#include "lucid/rt/runtime.hpp"
#include "scheduler/idle.hpp"
#include "scheduler/inject.hpp"
#include "scheduler/live_tasks.hpp"
#include "scheduler/worker.hpp"
#include "task/cell.hpp"

namespace lucid::detail {

class scheduler : public std::enable_shared_from_this<scheduler> {
 public:
  explicit scheduler(const runtime_options& opts);
  ~scheduler();

  /// Queues a task that was just spawned or woken; `local`: it is a local
  /// task (LOCAL, which the caller read in the state word it just changed).
  void schedule(task_cell* c, bool local) noexcept;
  /// Queues an ordinary task whose poll on worker w ended with a wake-up
  /// pending (it was woken while running): behind the tasks already runnable.
  void reschedule(worker* w, task_cell* c) noexcept;
  /// Runs tasks on the calling thread until `root` completes (current_thread),
  /// or waits for it (multi_thread).
  void block_until_complete(task_cell* root);
  /// Stops the workers and destroys every live task.
  void shutdown();

  /// Records a new task; false (and not recorded) once shutdown began.
  bool add_live(task_cell* c) noexcept;
  void remove_live(task_cell* c) noexcept { live_.remove(c); }
  /// Tasks alive now.
  std::size_t live_count() noexcept { return live_.count(); }
  /// Calls f(cell) for every live task (see live_tasks::for_each).
  template <class F>
  void for_each_live(F&& f) {
    live_.for_each(std::forward<F>(f));
  }
  /// See live_tasks::for_each_pausable.
  template <class F>
  void for_each_live_pausable(F&& f) {
    live_.for_each_pausable(std::forward<F>(f));
  }

  std::size_t worker_count() const noexcept { return workers_.size(); }
  worker& worker_at(std::size_t i) noexcept { return *workers_[i]; }
  /// Unique to this runtime for the life of the process (inspection).
  std::uint64_t serial() const noexcept { return serial_; }

  detail::driver& drv() noexcept { return driver_; }
  blocking_pool& blocking() noexcept { return blocking_; }
  const runtime_options& options() const noexcept { return opts_; }
  bool is_shutting_down() const noexcept { return shutdown_.load(std::memory_order_acquire); }
  void on_unobserved_panic() noexcept;
  /// An unobserved panic shut the runtime down (panic_policy::shutdown).
  bool panicked() const noexcept { return panicked_.load(std::memory_order_acquire); }

  /// Runs f (timer firing, I/O dispatch) on the calling worker with sleeper
  /// notification deferred to its end (see worker::batching).
  template <class F>
  auto batch_wakes(F&& f) noexcept;
  /// Takes w off the sleeper list if it is on it.
  void leave_sleepers(worker* w) noexcept;

  /// The calling thread's worker if it belongs to this scheduler, else null.
  worker* own_worker() const noexcept;

 private:
  void worker_main(worker* w);
  void run_loop(worker* w, task_cell* stop_when_complete);
  task_cell* next_task(worker* w) noexcept;
  task_cell* steal(worker* w) noexcept;
  task_cell* take_inject(worker* w) noexcept;
  /// Pushes ordinary task c on w's ring (half of it to inject_ when full).
  void push_ring(worker* w, task_cell* c) noexcept;
  void push_inject(task_cell* c) noexcept;
  /// Queues local task c on its home worker (`self`: the calling thread's
  /// worker, or null); wakes the home worker if it is not the caller.
  [[gnu::noinline]] void push_pinned(task_cell* c, worker* self) noexcept;
  /// Owner: the oldest runnable local task of w, or null.
  task_cell* take_pinned(worker* w) noexcept;
  void notify_parked() noexcept;
  void found_work(worker* w) noexcept;
  void park_worker(worker* w, task_cell* stop_when_complete);
  void run_task(worker* w, task_cell* c) noexcept;
  /// Every kGlobalQueueInterval polls: timers, I/O, yielded tasks, and the
  /// injection queue, so none of them starves behind the local queue.
  task_cell* maintenance(worker* w) noexcept;
  /// Only yielded tasks are left on w: fire timers and poll I/O, then queue
  /// the yielded tasks behind what that woke; the next task to run, or null.
  task_cell* run_deferred(worker* w) noexcept;
  /// Moves the worker's yielded tasks to the back of its local queue.
  void flush_deferred(worker* w) noexcept;

  const runtime_options opts_;
  std::uint64_t serial_ = 0;
  std::atomic<bool> shutdown_{false};
  std::atomic<bool> panicked_{false};
  std::atomic<bool> shutdown_done_{false};  ///< shutdown() ran (shutdown_ alone only stops workers)

  std::vector<std::unique_ptr<worker>> workers_;
  std::mutex mu_;
  inject_queue inject_;
  idle_workers idle_;
  detail::driver driver_;
  live_tasks live_;
  blocking_pool blocking_;
  std::atomic<parker*> block_on_parker_{nullptr};
};

template <class F>
auto scheduler::batch_wakes(F&& f) noexcept {
  worker* w = own_worker();
  if (w == nullptr) return f();
  w->batching = true;
  auto r = f();
  w->batching = false;
  // This worker runs what its queue holds next: a sleeper is woken only when
  // the queue holds more than one task (tokio's rule), so a lone wake-up
  // costs no futex wake and, later, no futex wait.
  if (std::exchange(w->notify_pending, false) && w->queue.size() > 1) notify_parked();
  return r;
}

}  // namespace lucid::detail
