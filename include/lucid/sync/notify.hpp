// lucid::notify: wakes tasks waiting for an event (tokio::sync::Notify).
//
// State: `permit_` (one stored notification) and the wait queue `waiters_`,
// guarded by the spin lock `lock_`.
//
// notify_one() wakes the first waiter, or stores a single permit if nobody
// waits (several calls store one permit, not several); the next notified()
// consumes it without suspending. notify_waiters() wakes every task waiting
// at the time of the call and stores no permit.
//
// Thread safety: all members may be used from any thread.
#pragma once

#include <coroutine>

#include "lucid/base/intrusive_list.hpp"
#include "lucid/base/source_site.hpp"
#include "lucid/base/spin_lock.hpp"
#include "lucid/rt/observer.hpp"
#include "lucid/sync/detail/resource_kinds.hpp"
#include "lucid/sync/detail/wait_queue.hpp"

namespace lucid {

/// An event tasks wait for: `co_await n.notified()`; another task calls
/// `n.notify_one()` or `n.notify_waiters()`.
///
/// Thread safety: any thread. The notify must outlive its waiters.
/// Cancellation: notified() is cancel-safe: a waiter cancelled while queued
/// leaves the queue; one cancelled after notify_one() chose it passes that
/// notification on (to the next waiter, or as the stored permit), so it is
/// never lost. A notify_waiters() wake-up is simply dropped.
///
/// Example:
///   lucid::notify ready;
///   // waiter:   co_await ready.notified();
///   // notifier: ready.notify_one();
class notify {
 public:
  explicit notify(source_site site = source_site::current()) noexcept
      : id_(detail::next_resource_id()) {
    LUCID_OBSERVE(on_resource_created, id_, detail::notify_resource, site);
  }
  notify(const notify&) = delete;
  notify& operator=(const notify&) = delete;
  ~notify() { LUCID_OBSERVE(on_resource_dropped, id_); }

  class notified_awaiter;

  /// Waits for a notification (or consumes the stored permit).
  notified_awaiter notified() noexcept;
  /// Wakes the first waiter, or stores one permit when nobody waits.
  void notify_one() noexcept;
  /// Wakes all current waiters; stores no permit.
  void notify_waiters() noexcept;

  resource_id id() const noexcept { return id_; }

 private:
  struct node : detail::waiter {
    bool by_one = false;  ///< woken by notify_one (must be passed on if unused)
  };
  bool take_or_park(node* n, detail::waker w) noexcept;  // true = notified now
  void cancel(node* n) noexcept;
  void notify_one_locked() noexcept;

  detail::spin_lock lock_;
  bool permit_ = false;                   ///< guarded by lock_
  detail::intrusive_list<node> waiters_;  ///< guarded by lock_
  resource_id id_;
};

/// The awaiter of notify::notified().
class [[nodiscard]] notify::notified_awaiter {
 public:
  explicit notified_awaiter(notify* n) noexcept : n_(n) {}
  notified_awaiter(notified_awaiter&& o) noexcept : n_(o.n_) {}
  notified_awaiter& operator=(notified_awaiter&&) = delete;
  ~notified_awaiter() {
    if (node_.maybe_pending()) n_->cancel(&node_);
    if (node_.granted && !resumed_ && node_.by_one) n_->notify_one();  // pass it on
  }

  bool await_ready() const noexcept { return false; }
  template <class P>
  bool await_suspend(std::coroutine_handle<P> h) noexcept {
    return !n_->take_or_park(&node_, detail::waker::of(h));
  }
  void await_resume() noexcept {
    resumed_ = true;
    if (node_.granted) LUCID_OBSERVE(on_wait_end, node_.w.task(), n_->id_);
  }

 private:
  notify* n_;
  notify::node node_;
  bool resumed_ = false;
};

inline notify::notified_awaiter notify::notified() noexcept {
  return notified_awaiter(this);
}

}  // namespace lucid
