// lucid::detail::blocking_pool: the bounded pool of threads behind
// spawn_blocking (blocking system calls, CPU-heavy work).
//
// Threads are started on demand, up to `max_threads`, and stay until
// shutdown; an idle thread waits on `cv_`. `jobs_`, `threads_`, `idle_` and
// `stop_` are guarded by `mu_`. `in_flight` counts jobs submitted and not yet
// finished; the paused clock reads it (it must not jump ahead while a job may
// still wake a task).
// Thread safety: submit() from any thread; shutdown() from the runtime's
// owner, once the workers stopped (it joins the threads).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace lucid::detail {

class blocking_pool {
 public:
  explicit blocking_pool(unsigned max_threads) : max_threads_(max_threads ? max_threads : 1) {}
  ~blocking_pool() { shutdown(); }
  blocking_pool(const blocking_pool&) = delete;
  blocking_pool& operator=(const blocking_pool&) = delete;

  /// Queues `job`; starts a thread if none is idle and the bound allows.
  /// False (and `job` dropped) once shutdown() began: the runtime is gone.
  /// Throws std::system_error (job dropped) if no thread runs and none can
  /// be started.
  bool submit(std::function<void()> job);
  /// Stops accepting jobs, lets the running ones finish, joins the threads
  /// and drops the jobs that never started.
  void shutdown();
  /// Jobs submitted and not yet finished.
  std::uint32_t in_flight() const noexcept {
    // acquire: pairs with the release in run(), so a job's effects are seen.
    return in_flight_.load(std::memory_order_acquire);
  }

 private:
  void run();

  std::atomic<std::uint32_t> in_flight_{0};
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  std::vector<std::thread> threads_;
  unsigned idle_ = 0;
  unsigned max_threads_;
  bool stop_ = false;
};

}  // namespace lucid::detail
