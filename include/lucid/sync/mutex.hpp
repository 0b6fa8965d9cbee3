// lucid::mutex: an asynchronous, fair mutual-exclusion lock for tasks.
//
// State word (atomic `state_`):
//   LOCKED   someone holds the lock (or it is being handed to a waiter)
//   WAITERS  the wait queue is not empty; set and cleared only under `lock_`
//   WAITERS implies LOCKED.
//
// Fast paths are lock-free: lock is CAS 0 -> LOCKED, unlock is CAS LOCKED -> 0.
// Slow paths take the spin lock `lock_`, which guards `waiters_`. Unlocking
// with waiters hands the lock directly to the first waiter (LOCKED stays set),
// so a newcomer can never overtake a queued waiter (FIFO, no starvation).
//
// Thread safety: all members may be used from any thread.
#pragma once

#include <atomic>
#include <coroutine>
#include <cstdint>
#include <optional>
#include <utility>

#include "lucid/base/intrusive_list.hpp"
#include "lucid/base/source_site.hpp"
#include "lucid/base/spin_lock.hpp"
#include "lucid/rt/detail/current.hpp"
#include "lucid/rt/observer.hpp"
#include "lucid/sync/detail/resource_kinds.hpp"
#include "lucid/sync/detail/wait_queue.hpp"

namespace lucid {

class mutex;

/// Holds a lucid::mutex; unlocks it when destroyed (or on unlock()).
class [[nodiscard]] mutex_guard {
 public:
  mutex_guard() noexcept = default;
  explicit mutex_guard(mutex* m) noexcept : m_(m) {}
  mutex_guard(mutex_guard&& o) noexcept : m_(std::exchange(o.m_, nullptr)) {}
  mutex_guard& operator=(mutex_guard&& o) noexcept {
    if (this != &o) {
      unlock();
      m_ = std::exchange(o.m_, nullptr);
    }
    return *this;
  }
  mutex_guard(const mutex_guard&) = delete;
  mutex_guard& operator=(const mutex_guard&) = delete;
  ~mutex_guard() { unlock(); }

  /// Unlocks now (no-op when already unlocked).
  inline void unlock() noexcept;
  bool owns_lock() const noexcept { return m_ != nullptr; }
  explicit operator bool() const noexcept { return m_ != nullptr; }
  mutex* get() const noexcept { return m_; }

 private:
  mutex* m_ = nullptr;
};

/// An asynchronous mutex: `co_await m.lock()` gives a mutex_guard.
///
/// Waiters are served in FIFO order; unlock hands the lock directly to the
/// first waiter. An uncontended lock never suspends. Not recursive.
///
/// Thread safety: any thread. The mutex must outlive its guards and waiters.
/// Cancellation: lock() is cancel-safe: a waiter cancelled while queued just
/// leaves the queue; one cancelled after the lock was handed to it (but
/// before it resumed) passes the lock on to the next waiter.
///
/// Example:
///   lucid::mutex m;
///   { auto g = co_await m.lock(); ++counter; }
class mutex {
 public:
  explicit mutex(source_site site = source_site::current()) noexcept
      : hdr_(detail::mutex_resource, site, true, detail::creation_stack(site)) {
    LUCID_OBSERVE(on_resource_created, hdr_.id, detail::mutex_resource, site, &hdr_);
  }
  mutex(const mutex&) = delete;
  mutex& operator=(const mutex&) = delete;
  ~mutex() { LUCID_OBSERVE(on_resource_dropped, hdr_.id); }

  class lock_awaiter;

  /// Awaits the lock; the result is a mutex_guard.
  lock_awaiter lock() noexcept;

  /// Takes the lock if it is free and nobody waits; never suspends.
  std::optional<mutex_guard> try_lock() noexcept {
    if (!try_lock_raw()) return std::nullopt;
    hdr_.holder.take();
    LUCID_OBSERVE(on_acquire, detail::current_task_id(), hdr_.id);
    return mutex_guard(this);
  }

  /// True while someone holds the lock (a snapshot).
  bool is_locked() const noexcept {
    return (state_.load(std::memory_order_relaxed) & kLocked) != 0;
  }

  resource_id id() const noexcept { return hdr_.id; }

  /// Unlocks without a guard (the guard calls this). Prefer the guard.
  void unlock() noexcept {
    hdr_.holder.give_back();
    LUCID_OBSERVE(on_release, detail::current_task_id(), hdr_.id);
    unlock_raw();
  }

 private:
  friend class lock_awaiter;
  static constexpr std::uint32_t kLocked = 1;
  static constexpr std::uint32_t kWaiters = 2;

  struct node : detail::waiter {};

  bool try_lock_raw() noexcept {
    std::uint32_t expect = 0;
    // acquire: the critical section sees the previous holder's writes.
    return state_.compare_exchange_strong(expect, kLocked, std::memory_order_acquire,
                                          std::memory_order_relaxed);
  }
  void unlock_raw() noexcept {
    std::uint32_t expect = kLocked;
    // release: publishes the critical section to the next holder.
    if (state_.compare_exchange_strong(expect, 0, std::memory_order_release,
                                       std::memory_order_relaxed)) {
      return;
    }
    unlock_slow();
  }
  void unlock_slow() noexcept;
  /// Slow lock under lock_: true = acquired, false = parked.
  bool lock_or_park(node* n, detail::waker w) noexcept;
  void cancel(node* n) noexcept;

  std::atomic<std::uint32_t> state_{0};
  detail::spin_lock lock_;
  detail::intrusive_list<node> waiters_;  ///< guarded by lock_
  detail::lock_header hdr_;               ///< identity and holder, for the task dump
};

/// The awaiter of mutex::lock(). Holds the wait-queue node.
class [[nodiscard]] mutex::lock_awaiter {
 public:
  explicit lock_awaiter(mutex* m) noexcept : m_(m) {}
  lock_awaiter(lock_awaiter&& o) noexcept : m_(o.m_) {}
  lock_awaiter& operator=(lock_awaiter&&) = delete;
  ~lock_awaiter() {
    if (node_.maybe_pending()) m_->cancel(&node_);
    if (node_.granted && !resumed_) {  // handed the lock, never used it: pass it on
      LUCID_OBSERVE(on_wait_end, node_.w.task(), m_->hdr_.id);
      m_->unlock_raw();
    }
  }

  bool await_ready() noexcept {
    if (m_->try_lock_raw()) {
      fast_ = true;
      return true;
    }
    return false;
  }
  template <class P>
  bool await_suspend(std::coroutine_handle<P> h) noexcept {
    return !m_->lock_or_park(&node_, detail::waker::of(h));
  }
  mutex_guard await_resume() noexcept {
    resumed_ = true;
    if (!fast_ && node_.granted) {
      LUCID_OBSERVE(on_wait_end, node_.w.task(), m_->hdr_.id);
    }
    m_->hdr_.holder.take();
    LUCID_OBSERVE(on_acquire, detail::current_task_id(), m_->hdr_.id);
    return mutex_guard(m_);
  }

 private:
  mutex* m_;
  node node_;
  bool fast_ = false;
  bool resumed_ = false;
};

inline mutex::lock_awaiter mutex::lock() noexcept {
  return lock_awaiter(this);
}

inline void mutex_guard::unlock() noexcept {
  if (m_ != nullptr) std::exchange(m_, nullptr)->unlock();
}

}  // namespace lucid
