// lucid::detail::scheduler: the machinery behind lucid::runtime.
//
// Workers. A current_thread runtime has one worker, driven by the thread in
// block_on; a multi_thread runtime has N worker threads and block_on only
// waits. Each worker owns a local_queue, a LIFO slot (the task last woken by
// the running task: it runs next, hot in cache, at most kMaxLifoPolls times in
// a row) and a parker. Shared state: the injection queue (tasks queued from
// outside a worker, and local-queue overflow), the list of parked workers, the
// timer queue, the live-task list, the blocking pool.
//
// Who touches what:
//   worker::queue    push/pop by its owner; steal by the other workers
//   worker::lifo     owner only
//   inject_, sleepers_   under mu_
//   timers_          its own lock; fired by the worker that holds driver_
//   live_[k]         under live_[k].lock
//
// No lost wake-ups: a task queued from outside a worker goes to inject_ under
// mu_, and a worker registers itself as a sleeper under mu_ only after finding
// inject_ empty, so the pusher either sees the sleeper (and unparks it) or the
// worker sees the task. A task pushed to a local queue is run by the queue's
// owner before it parks; waking a sleeper for it is only for parallelism.
// Timers and I/O: one parked worker at a time holds `driver_` and sleeps in
// the reactor (epoll) until an I/O event or the earliest deadline; arming an
// earlier timer unparks it (timer_queue::insert), through the eventfd. It
// leaves the sleeper list before it wakes the tasks of the I/O events, so
// those wake-ups spread to the other sleepers. Busy workers poll the reactor
// and the timers without blocking every kGlobalQueueInterval polls.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "local_queue.hpp"
#include "lucid/base/intrusive_list.hpp"
#include "lucid/base/spin_lock.hpp"
#include "lucid/rt/detail/task_cell.hpp"
#include "lucid/rt/runtime.hpp"
#include "parker.hpp"
#include "reactor.hpp"
#include "timer_queue.hpp"

namespace lucid::detail {

class scheduler;

struct worker {
  worker(std::uint32_t capacity, bool growable) : queue(capacity, growable) {}
  scheduler* sched = nullptr;
  std::uint32_t index = 0;
  local_queue queue;
  task_cell* lifo = nullptr;
  std::uint32_t lifo_polls = 0;
  std::uint32_t tick = 0;
  std::uint32_t rng = 0;
  parker park;
  bool searching = false;  ///< set by a notifier under scheduler::mu_
  bool sleeping = false;   ///< in scheduler::sleepers_, under scheduler::mu_
  /// Set while the worker fires timers or dispatches I/O events: those wake
  /// tasks under the registration's spin lock, so notifying a sleeper (a
  /// syscall) is deferred until the batch is done (owner only).
  bool batching = false;
  bool notify_pending = false;
  std::thread thread;
};

class blocking_pool {
 public:
  explicit blocking_pool(unsigned max_threads) : max_threads_(max_threads ? max_threads : 1) {}
  ~blocking_pool() { shutdown(); }
  void submit(std::function<void()> job);
  void shutdown();
  std::atomic<std::uint32_t> in_flight{0};

 private:
  void run();
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  std::vector<std::thread> threads_;
  unsigned idle_ = 0;
  unsigned max_threads_;
  bool stop_ = false;
};

class scheduler {
 public:
  explicit scheduler(const runtime_options& opts);
  ~scheduler();

  /// Queues a task that was just spawned or woken.
  void schedule(task_cell* c) noexcept;
  /// Runs tasks on the calling thread until `root` completes (current_thread),
  /// or waits for it (multi_thread).
  void block_until_complete(task_cell* root);
  /// Stops the workers and destroys every live task.
  void shutdown();

  void add_live(task_cell* c) noexcept;
  void remove_live(task_cell* c) noexcept;

  timer_queue& timers() noexcept { return timers_; }
  reactor& io() noexcept { return *io_; }
  void timer_armed_earlier() noexcept;
  time_point now() const noexcept;
  void advance(duration d);
  bool paused() const noexcept { return opts_.paused_clock; }
  blocking_pool& blocking() noexcept { return blocking_; }
  const runtime_options& options() const noexcept { return opts_; }
  bool is_shutting_down() const noexcept { return shutdown_.load(std::memory_order_acquire); }
  void on_unobserved_panic() noexcept;
  /// An unobserved panic shut the runtime down (panic_policy::shutdown).
  bool panicked() const noexcept { return panicked_.load(std::memory_order_acquire); }

  /// Tasks alive now (for dumps and tests).
  std::size_t live_count() noexcept;
  template <class F>
  void for_each_live(F&& f) {
    for (auto& s : live_) {
      std::lock_guard g(s.lock);
      s.list.for_each([&](task_cell* c) { f(c); });
    }
  }

  std::vector<std::unique_ptr<worker>> workers;

 private:
  friend struct worker_access;
  void worker_main(worker* w);
  void run_loop(worker* w, task_cell* stop_when_complete);
  task_cell* next_task(worker* w) noexcept;
  task_cell* steal(worker* w) noexcept;
  task_cell* take_inject(worker* w) noexcept;
  void push_local(worker* w, task_cell* c) noexcept;
  void push_inject(task_cell* c) noexcept;
  void notify_parked() noexcept;
  /// Takes one parked worker off the sleeper list, marked searching (mu_ held).
  worker* pop_sleeper() noexcept;
  void found_work(worker* w) noexcept;
  void park_worker(worker* w, task_cell* stop_when_complete);
  bool maintain_timers() noexcept;
  /// Polls the reactor without blocking if no one drives it (busy workers).
  void maintain_io() noexcept;
  void leave_sleepers(worker* w) noexcept;
  /// Runs f (timer firing, I/O dispatch) with sleeper notification deferred to its end.
  template <class F>
  auto batch_wakes(F&& f) noexcept;
  void run_task(worker* w, task_cell* c) noexcept;
  void finish_task(task_cell* c, task_outcome o) noexcept;
  void cancel_task(task_cell* c) noexcept;

  runtime_options opts_;
  std::atomic<bool> shutdown_{false};
  std::atomic<bool> panicked_{false};
  std::atomic<bool> shutdown_done_{false};  ///< shutdown() ran (shutdown_ alone only stops workers)
  bool threads_started_ = false;

  std::mutex mu_;
  task_cell* inject_head_ = nullptr;
  task_cell* inject_tail_ = nullptr;
  std::atomic<std::size_t> inject_len_{0};
  std::vector<worker*> sleepers_;
  std::atomic<std::uint32_t> num_sleepers_{0};
  std::atomic<std::uint32_t> num_searching_{0};

  timer_queue timers_;
  reactor* io_;  ///< reference counted: see reactor.hpp
  std::atomic<bool> driver_{false};
  std::atomic<worker*> driver_parker_{nullptr};
  std::atomic<std::int64_t> paused_now_ns_{0};

  struct alignas(64) live_shard {
    spin_lock lock;
    intrusive_list<task_cell> list;
  };
  std::vector<live_shard> live_;

  blocking_pool blocking_;
  std::atomic<parker*> block_on_parker_{nullptr};
};

/// The worker of the calling thread, or null.
worker* current_worker() noexcept;
/// The task the calling thread is polling, or null.
task_cell* current_cell() noexcept;

}  // namespace lucid::detail
