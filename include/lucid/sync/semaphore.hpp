// lucid::semaphore: an asynchronous counting semaphore with FIFO waiters.
//
// State: `permits_`, `closed_`, the wait queue `waiters_`, and where each
// permit taken is (`hdr_.permits_held`, handle_registry.hpp: a permit links
// itself when made, relinks when moved, unlinks when released or forgotten),
// all guarded by the spin lock `hdr_.lock` (never held across a suspension
// or user code; in the header, where the task dump reads the permits).
// Waiters are served strictly in FIFO order: release() hands permits to the
// first waiter as soon as it has enough, and a newcomer never takes permits
// while anyone waits (so a large acquire(n) cannot starve).
//
// Thread safety: all members may be used from any thread.
#pragma once

#include <coroutine>
#include <cstddef>
#include <utility>

#include "lucid/base/intrusive_list.hpp"
#include "lucid/base/result.hpp"
#include "lucid/base/source_site.hpp"
#include "lucid/base/spin_lock.hpp"
#include "lucid/rt/observer.hpp"
#include "lucid/sync/detail/resource_kinds.hpp"
#include "lucid/sync/detail/wait_queue.hpp"

namespace lucid {

class semaphore;

/// Permits taken from a semaphore; gives them back when destroyed.
class [[nodiscard]] semaphore_permit {
 public:
  semaphore_permit() noexcept = default;
  /// `n` permits already taken from `s`.
  semaphore_permit(semaphore* s, std::size_t n) noexcept;
  semaphore_permit(semaphore_permit&& o) noexcept { take(o); }
  semaphore_permit& operator=(semaphore_permit&& o) noexcept {
    if (this != &o) {
      reset();
      take(o);
    }
    return *this;
  }
  semaphore_permit(const semaphore_permit&) = delete;
  semaphore_permit& operator=(const semaphore_permit&) = delete;
  ~semaphore_permit() { reset(); }

  /// How many permits this holds.
  std::size_t count() const noexcept { return n_; }
  /// Keeps the permits taken for good (they are not released).
  void forget() noexcept;
  /// Releases the permits now.
  void reset() noexcept;

 private:
  void take(semaphore_permit& o) noexcept;

  semaphore* s_ = nullptr;
  std::size_t n_ = 0;
  detail::handle_link link_;  ///< in s_->hdr_.permits_held while s_ is set
};

/// A counting semaphore: `co_await s.acquire(n)` gives result<semaphore_permit>.
///
/// Semantics: FIFO; acquire() on a closed semaphore (or one closed while
/// waiting) gives errc::closed; try_acquire() gives errc::would_block when
/// there are not enough permits or someone waits, errc::closed when closed.
///
/// Thread safety: any thread. The semaphore must outlive permits and waiters.
/// Cancellation: acquire() is cancel-safe: a waiter cancelled while queued
/// leaves the queue (and the waiters behind it may proceed); one cancelled
/// after permits were handed to it gives them back.
///
/// Example:
///   lucid::semaphore s(4);
///   auto p = co_await s.acquire();
///   if (!p) return;  // closed
class semaphore {
 public:
  explicit semaphore(std::size_t permits, source_site site = source_site::current()) noexcept
      : permits_(permits), hdr_(site, detail::creation_stack(site)) {
    publish_permits();
    LUCID_OBSERVE(on_resource_created, hdr_.id, detail::semaphore_resource, site, &hdr_);
  }
  semaphore(const semaphore&) = delete;
  semaphore& operator=(const semaphore&) = delete;
  ~semaphore() { LUCID_OBSERVE(on_resource_dropped, hdr_.id); }

  class acquire_awaiter;

  /// Awaits `n` permits (FIFO); errc::closed if the semaphore is closed.
  acquire_awaiter acquire(std::size_t n = 1) noexcept;
  /// Takes `n` permits now or fails with errc::would_block / errc::closed.
  result<semaphore_permit> try_acquire(std::size_t n = 1) noexcept;
  /// Adds `n` permits (wakes waiters that can now proceed).
  void release(std::size_t n = 1) noexcept;
  /// Closes: every waiter and every later acquire gets errc::closed.
  /// Permits already held stay valid and may still be released.
  void close() noexcept;

  bool is_closed() const noexcept;
  std::size_t available_permits() const noexcept;
  resource_id id() const noexcept { return hdr_.id; }

 private:
  friend class acquire_awaiter;
  friend class semaphore_permit;
  struct node : detail::waiter {
    std::size_t n = 0;
    bool closed = false;
  };
  /// Under hdr_.lock: true when done (acquired or closed, see n->closed).
  bool acquire_or_park(node* n, detail::waker w) noexcept;
  void cancel(node* n) noexcept;
  /// Gives `n` permits back; `link`: the permit that held them, unlinked
  /// under the same lock (null: permits no permit object held).
  void release_raw(std::size_t n, detail::handle_link* link = nullptr) noexcept;
  void grant_waiters() noexcept;  // hdr_.lock held
  /// Publishes permits_ for the task dump (hdr_.lock held, or in the constructor).
  void publish_permits() noexcept {
    hdr_.count.store(static_cast<std::int64_t>(permits_), std::memory_order_relaxed);
  }

  std::size_t permits_;                   ///< guarded by hdr_.lock
  bool closed_ = false;                   ///< guarded by hdr_.lock
  detail::intrusive_list<node> waiters_;  ///< guarded by hdr_.lock
  detail::semaphore_header hdr_;  ///< identity, last acquirer, permits held: for the task dump
};

/// The awaiter of semaphore::acquire(n).
class [[nodiscard]] semaphore::acquire_awaiter {
 public:
  acquire_awaiter(semaphore* s, std::size_t n) noexcept : s_(s) { node_.n = n; }
  acquire_awaiter(acquire_awaiter&& o) noexcept : s_(o.s_) { node_.n = o.node_.n; }
  acquire_awaiter& operator=(acquire_awaiter&&) = delete;
  ~acquire_awaiter() {
    if (node_.maybe_pending()) s_->cancel(&node_);
    if (node_.granted && !resumed_ && !node_.closed) s_->release_raw(node_.n);
  }

  bool await_ready() const noexcept { return false; }
  template <class P>
  bool await_suspend(std::coroutine_handle<P> h) noexcept {
    return !s_->acquire_or_park(&node_, detail::waker::of(h));
  }
  result<semaphore_permit> await_resume() noexcept;

 private:
  semaphore* s_;
  semaphore::node node_;
  bool resumed_ = false;
};

inline semaphore::acquire_awaiter semaphore::acquire(std::size_t n) noexcept {
  return acquire_awaiter(this, n);
}

}  // namespace lucid
