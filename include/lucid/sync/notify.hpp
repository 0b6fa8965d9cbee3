// lucid::notify: wakes tasks waiting for an event (tokio::sync::Notify).
//
// State: `permit_` (one stored notification) and the wait queue `waiters_`,
// guarded by the spin lock `lock_`; `waiters_gen_`, the number of
// notify_waiters() calls, written under `lock_` and read without it when a
// notified() awaiter is created (it snapshots the count).
//
// notify_one() wakes the first waiter, or stores a single permit if nobody
// waits (several calls store one permit, not several); the next notified()
// consumes it without suspending. notify_waiters() wakes every task waiting
// at the time of the call, and every notified() awaiter created before the
// call and awaited after it; it stores no permit.
//
// A notified() awaiter lives in every frame that waits on a notify (a
// million idle tasks is a workload), so it is 80 bytes: its wait node (80,
// the flags in its tail padding) plus a 32-bit snapshot of the count; the
// notify is found from the node's wait record (`rec.resource` points at the
// notify's header, its first member, from the awaiter's creation on). A
// 32-bit snapshot misreads only if exactly a multiple of 2^32
// notify_waiters() calls fall between notified() and the await.
//
// Thread safety: all members may be used from any thread.
#pragma once

#include <atomic>
#include <coroutine>
#include <cstdint>
#include <type_traits>

#include "lucid/base/assert.hpp"
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
/// notified() registers interest when it is *created*, for notify_waiters():
/// an awaiter created before a notify_waiters() call completes at once when
/// awaited after it (as tokio's Notified snapshots the notify_waiters count).
/// So a waiter that must not miss a wake-up creates the awaiter, then checks
/// its condition, then awaits. notify_one() is unchanged by this: it wakes a
/// task already waiting or stores its one permit, which the next awaited
/// notified() (whenever it was created) consumes.
///
/// A notified() awaiter may be named and awaited later (`co_await w`), once
/// to completion; awaiting it again after it completed is an error (call
/// notified() again). It may be awaited by reference in select() or
/// timeout(): if that branch loses, the awaiter leaves the queue but keeps a
/// notification it already received, and awaiting it again returns at once.
///
/// Thread safety: any thread. The notify must outlive its waiters.
/// Cancellation: notified() is cancel-safe: a waiter cancelled while queued
/// leaves the queue; one cancelled after notify_one() chose it passes that
/// notification on (to the next waiter, or as the stored permit), so it is
/// never lost. A notify_waiters() wake-up is simply dropped.
///
/// Example:
///   lucid::notify changed;
///   // waiter:
///   //   auto w = changed.notified();   // from here on, notify_waiters() is seen
///   //   if (!ready.load()) co_await w;
///   // notifier:
///   //   ready.store(true);
///   //   changed.notify_waiters();
class notify {
 public:
  explicit notify(source_site site = source_site::current()) noexcept
      : hdr_(detail::notify_resource, site, nullptr, detail::creation_stack(site)) {
    LUCID_OBSERVE(on_resource_created, hdr_.id, detail::notify_resource, site, &hdr_);
  }
  notify(const notify&) = delete;
  notify& operator=(const notify&) = delete;
  ~notify() { LUCID_OBSERVE(on_resource_dropped, hdr_.id); }

  class notified_awaiter;

  /// Waits for a notification (or consumes the stored permit); sees every
  /// notify_waiters() called after this call.
  notified_awaiter notified() noexcept;
  /// Wakes the first waiter, or stores one permit when nobody waits.
  void notify_one() noexcept;
  /// Wakes all current waiters and every notified() awaiter created before
  /// this call; stores no permit.
  void notify_waiters() noexcept;

  resource_id id() const noexcept { return hdr_.id; }

 private:
  struct node : detail::waiter {
    // In the waiter's tail padding (see the layout note at the top).
    bool by_one : 1 = false;   ///< woken by notify_one (must be passed on if unused)
    bool resumed : 1 = false;  ///< the awaiter completed (awaiting it again is an error)
  };
  // true = notified now (a notify_waiters() since `gen`, or the permit)
  bool take_or_park(node* n, std::uint32_t gen, detail::waker w) noexcept;
  void cancel(node* n) noexcept;
  void notify_one_locked() noexcept;
  /// The notify whose header `h` is (the first member, so a cast finds it).
  static notify* of(const detail::resource_header* h) noexcept {
    return reinterpret_cast<notify*>(const_cast<detail::resource_header*>(h));
  }

  detail::resource_header hdr_;  ///< identity (and holder), for the task dump; first member
  detail::spin_lock lock_;
  bool permit_ = false;                   ///< guarded by lock_
  detail::intrusive_list<node> waiters_;  ///< guarded by lock_
  /// notify_waiters() calls so far: written under lock_, read by notified().
  std::atomic<std::uint64_t> waiters_gen_{0};
};

/// The awaiter of notify::notified(): awaited as a temporary, or named and
/// awaited later (see notify).
class [[nodiscard]] notify::notified_awaiter {
 public:
  notified_awaiter(notify* n, std::uint64_t gen) noexcept : gen_(static_cast<std::uint32_t>(gen)) {
    node_.rec.resource = &n->hdr_;
  }
  /// Only before it is awaited.
  notified_awaiter(notified_awaiter&& o) noexcept : gen_(o.gen_) {
    node_.rec.resource = o.node_.rec.resource;
  }
  notified_awaiter& operator=(notified_awaiter&&) = delete;
  ~notified_awaiter() {
    if (node_.maybe_pending()) n()->cancel(&node_);
    if (node_.granted && !node_.resumed && node_.by_one) n()->notify_one();  // pass it on
  }

  bool await_ready() const noexcept { return false; }
  template <class P>
  bool await_suspend(std::coroutine_handle<P> h) noexcept {
    LUCID_ASSERT(!node_.resumed,
                 "a notified() awaiter was awaited again after it completed: call notified() "
                 "for the next notification");
    if (node_.granted) return false;  // granted while an abandoned await waited (see lucid_abandon)
    return !n()->take_or_park(&node_, gen_, detail::waker::of(h));
  }
  void await_resume() noexcept {
    node_.resumed = true;
    if (node_.granted) LUCID_OBSERVE(on_wait_end, node_.w.task(), n()->hdr_.id);
  }

  /// The frame awaiting this named awaiter was destroyed while it waited (a
  /// select or timeout branch that lost): leave the queue, but keep a
  /// notification already granted for the next await (or pass it on when
  /// this awaiter is destroyed unawaited). See task.hpp, lvalue_awaiter.
  void lucid_abandon() noexcept {
    if (node_.maybe_pending()) n()->cancel(&node_);
  }

 private:
  notify* n() const noexcept { return notify::of(node_.rec.resource); }

  /// rec.resource is the notify's header throughout (park() rewrites the same value).
  [[no_unique_address]] notify::node node_;
  std::uint32_t gen_;  ///< waiters_gen_ (low 32 bits) when notified() was called
};

static_assert(std::is_standard_layout_v<notify>, "notify::of casts from its first member");
static_assert(sizeof(notify::notified_awaiter) == 64,
              "a notified() awaiter lives in every waiting frame: keep it small");

inline notify::notified_awaiter notify::notified() noexcept {
  // acquire: pairs with notify_waiters()' release increment. If this load sees
  // a call's increment, whatever the caller wrote before notify_waiters() (the
  // condition a waiter checks next) is visible; if it does not, that call
  // comes later and the awaiter will see the count changed.
  return notified_awaiter(this, waiters_gen_.load(std::memory_order_acquire));
}

}  // namespace lucid
