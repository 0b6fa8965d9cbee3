// lucid::mutex slow paths (see include/lucid/sync/mutex.hpp for the state word).
#include "lucid/sync/mutex.hpp"

#include <mutex>

namespace lucid {

bool mutex::lock_or_park(node* n, detail::waker w) noexcept {
  std::lock_guard g(lock_);
  std::uint32_t s = state_.load(std::memory_order_relaxed);
  for (;;) {
    if ((s & kLocked) == 0) {
      // acquire: as in try_lock_raw. (WAITERS implies LOCKED, so s == 0 here.)
      if (state_.compare_exchange_weak(s, kLocked, std::memory_order_acquire,
                                       std::memory_order_relaxed)) {
        return true;
      }
      continue;
    }
    if ((s & kWaiters) != 0) break;
    // relaxed: WAITERS only tells the unlocker to take lock_, which orders the rest.
    if (state_.compare_exchange_weak(s, s | kWaiters, std::memory_order_relaxed,
                                     std::memory_order_relaxed)) {
      break;
    }
  }
  n->park(w, this, hdr_);
  waiters_.push_back(n);
  return false;
}

void mutex::unlock_slow() noexcept {
  std::lock_guard g(lock_);
  node* n = waiters_.pop_front();
  if (n == nullptr) {
    // A waiter left the queue (cancelled) after the unlocker saw WAITERS.
    // release: publishes the critical section to the next holder.
    state_.store(0, std::memory_order_release);
    return;
  }
  // The lock stays LOCKED: it is handed to n. The wake orders the critical
  // section before n resumes.
  if (waiters_.empty()) state_.store(kLocked, std::memory_order_relaxed);
  n->grant(this);
}

void mutex::cancel(node* n) noexcept {
  std::lock_guard g(lock_);
  if (!n->linked()) return;  // granted meanwhile; the destructor passes the lock on
  waiters_.unlink(n);
  n->cancel_parked(this, hdr_.id);
  if (waiters_.empty()) state_.fetch_and(~kWaiters, std::memory_order_relaxed);
}

}  // namespace lucid
