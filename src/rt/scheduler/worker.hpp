// lucid::detail::worker: one thread of a runtime (or the thread in block_on of
// a current_thread runtime) and what it owns.
//
// Who touches what:
//   queue               push/pop by the owner; steal by the other workers
//   lifo, lifo_polls    owner only
//   deferred, deferred_local   owner only (tasks that yielded)
//   pinned, pinned_tail under pinned_lock: pushed by any thread (a wake of a
//                       local task), popped by the owner; pinned_len is
//                       written under the lock, read without it as a hint
//   pinned_burst        owner only (maintenance: local tasks run in a row)
//   tick, rng           owner only
//   stats_clock_ns      owner only: the stats clock at the end of its last
//                       poll while the next poll may start at that instant
//                       (task_stats.hpp), else 0; cleared by every path that
//                       does more between two polls than take the next task
//                       from the lifo slot, the local queue or the pinned list
//   batching, notify_pending   owner only
//   park                park() by the owner; unpark() by anyone
//   searching, sleeping changed under scheduler::mu_ (see idle.hpp)
//   poll_word, tid      set by the thread while it is the worker (context_scope);
//                       read by the console's watchdog (detail/inspect.hpp)
#pragma once

#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

#include "lucid/base/spin_lock.hpp"
#include "scheduler/local_queue.hpp"
#include "scheduler/parker.hpp"

namespace lucid::detail {

class scheduler;
struct task_cell;

struct worker {
  worker(scheduler* s, std::uint32_t idx, std::uint32_t capacity, bool growable)
      : sched(s), index(idx), rng(0x9E3779B9u * (idx + 1)), queue(capacity, growable) {
    deferred.reserve(capacity);
  }

  scheduler* const sched;
  const std::uint32_t index;
  std::uint32_t rng;
  local_queue queue;
  task_cell* lifo = nullptr;  ///< the task woken last by the running task: it runs next
  std::uint32_t lifo_polls = 0;
  /// Tasks that yielded: they go back to the queue once the queue ran dry
  /// and the worker looked at timers and I/O (see scheduler::next_task). An
  /// array, not a list through the cells: flushing it touches no cell.
  std::vector<task_cell*> deferred;
  std::vector<task_cell*> deferred_local;  ///< the local ones (flushed to `pinned`)
  std::uint32_t tick = 0;
  std::int64_t stats_clock_ns = 0;
  /// Runnable local tasks (spawn_local): this worker alone polls them, so
  /// they never enter `queue` (others steal from it) or the injection queue.
  /// A list through task_cell::next_, FIFO.
  spin_lock pinned_lock;
  task_cell* pinned = nullptr;
  task_cell* pinned_tail = nullptr;
  std::atomic<std::uint32_t> pinned_len{0};
  /// Local tasks left to run back to back from maintenance (see next_task).
  std::uint32_t pinned_burst = 0;
  parker park;
  bool searching = false;
  bool sleeping = false;
  /// Set while the worker fires timers or dispatches I/O events: those wake
  /// tasks under the registration's spin lock, so notifying a sleeper (a
  /// syscall) is deferred until the batch is done.
  bool batching = false;
  bool notify_pending = false;
  std::thread thread;
  /// The worker thread's current-cell word (context.cpp), while it runs as this worker.
  std::atomic<const std::atomic<std::uintptr_t>*> poll_word{nullptr};
  std::atomic<int> tid{0};  ///< its kernel thread id
};

}  // namespace lucid::detail
