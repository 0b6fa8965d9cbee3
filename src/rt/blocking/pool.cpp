// lucid::detail::blocking_pool (see pool.hpp).
#include "blocking/pool.hpp"

#include "lucid/rt/detail/inspect.hpp"

#include <pthread.h>

#include <system_error>

#include "lucid/base/assert.hpp"
#include "lucid/debug/crash_handler.hpp"

namespace lucid::detail {

bool blocking_pool::submit(std::function<void()> job) {
  std::unique_lock l(mu_);
  if (stop_) return false;  // the caller reports it (spawn_blocking: task_aborted)
  in_flight_.fetch_add(1, std::memory_order_relaxed);
  jobs_.push_back(std::move(job));
  if (idle_ > 0) {
    cv_.notify_one();
  } else if (threads_.size() < max_threads_) {
    try {
      threads_.emplace_back([this] { run(); });
    } catch (const std::system_error&) {
      // The system refused a thread. With threads already running, the job
      // waits for one of them; with none, it would wait for ever: take it
      // back and let the caller's spawn_blocking throw.
      if (!threads_.empty()) return true;
      jobs_.pop_back();
      in_flight_.fetch_sub(1, std::memory_order_relaxed);
      throw;
    }
  }
  return true;
}

void blocking_pool::run() {
  pthread_setname_np(pthread_self(), "lucid-blocking");
  known_thread_scope known;
  debug::ensure_alt_stack();
  std::unique_lock l(mu_);
  for (;;) {
    while (jobs_.empty() && !stop_) {
      ++idle_;
      cv_.wait(l);
      --idle_;
    }
    if (jobs_.empty()) return;
    auto job = std::move(jobs_.front());
    jobs_.pop_front();
    l.unlock();
    job();
    job = nullptr;
    // release: the job's effects happen before a paused clock may advance.
    in_flight_.fetch_sub(1, std::memory_order_release);
    l.lock();
  }
}

void blocking_pool::shutdown() {
  std::vector<std::thread> ts;
  {
    std::lock_guard l(mu_);
    stop_ = true;
    ts.swap(threads_);
  }
  cv_.notify_all();
  for (auto& t : ts)
    t.join();
  std::lock_guard l(mu_);
  jobs_.clear();
}

}  // namespace lucid::detail
