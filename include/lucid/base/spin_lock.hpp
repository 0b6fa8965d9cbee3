// lucid::detail::spin_lock: a tiny test-and-test-and-set lock for very short
// critical sections (a few pointer updates) on runtime hot paths.
//
// Contract: never held across a suspension point, a blocking call, or a call
// into user code. Satisfies Lockable, so std::lock_guard works. A waiter that
// has spun for a while yields the CPU: with more runnable threads than cores
// the holder may have been preempted, and spinning out a whole time slice
// would only delay it.
#pragma once

#include <sched.h>

#include <atomic>

namespace lucid::detail {

class spin_lock {
 public:
  void lock() noexcept {
    // acquire: the critical section must see what the previous holder wrote.
    while (flag_.exchange(true, std::memory_order_acquire)) {
      unsigned spins = 0;
      while (flag_.load(std::memory_order_relaxed)) {
        if (++spins < kSpinsBeforeYield) {
          __builtin_ia32_pause();
        } else {
          ::sched_yield();
          spins = 0;
        }
      }
    }
  }
  bool try_lock() noexcept {
    return !flag_.load(std::memory_order_relaxed) &&
           !flag_.exchange(true, std::memory_order_acquire);
  }
  // release: publishes the critical section's writes to the next holder.
  void unlock() noexcept { flag_.store(false, std::memory_order_release); }

 private:
  static constexpr unsigned kSpinsBeforeYield = 128;
  std::atomic<bool> flag_{false};
};

}  // namespace lucid::detail
