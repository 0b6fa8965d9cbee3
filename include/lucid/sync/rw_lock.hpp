// lucid::rw_lock: an asynchronous reader-writer lock with FIFO fairness.
//
// State: `readers_` (number of read guards out), `writer_` (a write guard is
// out) and the wait queue `waiters_` (readers and writers in arrival order),
// all guarded by the spin lock `lock_`.
//
// Policy: strict FIFO (phase-fair). A read acquires at once only if no writer
// holds the lock AND nobody is queued, so a queued writer blocks later
// readers (writers never starve). When the lock becomes free, the queue front
// is served: a writer alone, or the run of consecutive readers at the front
// all together.
//
// Holder (hdr_.holder, for the task dump and the wait-for graph): the
// writer, or the latest reader. A reader that releases clears it only if it
// is the one recorded, so with several readers the record may be empty
// (a reader the graph does not see) but never names a task that released:
// a task that reads and then awaits write() (or waits for a task that does)
// is a cycle the deadlock detector finds.
//
// Thread safety: all members may be used from any thread.
#pragma once

#include <coroutine>
#include <cstddef>
#include <optional>
#include <utility>

#include "lucid/base/intrusive_list.hpp"
#include "lucid/base/source_site.hpp"
#include "lucid/base/spin_lock.hpp"
#include "lucid/rt/observer.hpp"
#include "lucid/sync/detail/resource_kinds.hpp"
#include "lucid/sync/detail/wait_queue.hpp"

namespace lucid {

class rw_lock;

/// A shared (read) or exclusive (write) hold on an rw_lock; released when destroyed.
template <bool Write>
class [[nodiscard]] rw_lock_guard {
 public:
  rw_lock_guard() noexcept = default;
  explicit rw_lock_guard(rw_lock* l) noexcept : l_(l) {}
  rw_lock_guard(rw_lock_guard&& o) noexcept : l_(std::exchange(o.l_, nullptr)) {}
  rw_lock_guard& operator=(rw_lock_guard&& o) noexcept {
    if (this != &o) {
      unlock();
      l_ = std::exchange(o.l_, nullptr);
    }
    return *this;
  }
  rw_lock_guard(const rw_lock_guard&) = delete;
  rw_lock_guard& operator=(const rw_lock_guard&) = delete;
  ~rw_lock_guard() { unlock(); }

  /// Releases now (no-op when already released).
  void unlock() noexcept;
  bool owns_lock() const noexcept { return l_ != nullptr; }
  explicit operator bool() const noexcept { return l_ != nullptr; }

 private:
  rw_lock* l_ = nullptr;
};

using read_guard = rw_lock_guard<false>;
using write_guard = rw_lock_guard<true>;

/// An asynchronous reader-writer lock: `co_await l.read()` gives a
/// read_guard, `co_await l.write()` a write_guard. FIFO (see above).
///
/// Thread safety: any thread. The lock must outlive its guards and waiters.
/// Cancellation: read() and write() are cancel-safe: a waiter cancelled while
/// queued leaves the queue (waiters behind it may proceed); one cancelled
/// after the lock was granted to it releases it.
///
/// Example:
///   lucid::rw_lock l;
///   { auto r = co_await l.read(); use(shared); }
///   { auto w = co_await l.write(); shared = next; }
class rw_lock {
 public:
  explicit rw_lock(source_site site = source_site::current()) noexcept
      : hdr_(detail::rw_lock_resource, site, true, detail::creation_stack(site)) {
    LUCID_OBSERVE(on_resource_created, hdr_.id, detail::rw_lock_resource, site, &hdr_);
  }
  rw_lock(const rw_lock&) = delete;
  rw_lock& operator=(const rw_lock&) = delete;
  ~rw_lock() { LUCID_OBSERVE(on_resource_dropped, hdr_.id); }

  template <bool Write>
  class lock_awaiter;

  /// Awaits shared access.
  lock_awaiter<false> read() noexcept;
  /// Awaits exclusive access.
  lock_awaiter<true> write() noexcept;
  /// Shared access now, or nullopt (a writer holds it or anyone waits).
  std::optional<read_guard> try_read() noexcept;
  /// Exclusive access now, or nullopt.
  std::optional<write_guard> try_write() noexcept;

  resource_id id() const noexcept { return hdr_.id; }

  /// Releases a hold without a guard (the guards call these).
  void unlock_read() noexcept;
  void unlock_write() noexcept;

 private:
  struct node : detail::waiter {
    bool write = false;
  };
  bool lock_or_park(node* n, detail::waker w) noexcept;  // true = acquired
  void cancel(node* n) noexcept;
  void release_raw(bool write) noexcept;
  void grant_waiters() noexcept;  // lock_ held
  void report_acquired(bool waited, task_id waiter) noexcept;
  /// Publishes readers_ for the task dump (lock_ held).
  void publish_readers() noexcept {
    hdr_.count.store(static_cast<std::int64_t>(readers_), std::memory_order_relaxed);
  }

  detail::spin_lock lock_;
  std::size_t readers_ = 0;               ///< guarded by lock_
  bool writer_ = false;                   ///< guarded by lock_
  detail::intrusive_list<node> waiters_;  ///< guarded by lock_
  detail::lock_header hdr_;               ///< identity (and holder), for the task dump
};

/// The awaiter of rw_lock::read() / write().
template <bool Write>
class [[nodiscard]] rw_lock::lock_awaiter {
 public:
  explicit lock_awaiter(rw_lock* l) noexcept : l_(l) { node_.write = Write; }
  lock_awaiter(lock_awaiter&& o) noexcept : l_(o.l_) { node_.write = Write; }
  lock_awaiter& operator=(lock_awaiter&&) = delete;
  ~lock_awaiter() {
    if (node_.maybe_pending()) l_->cancel(&node_);
    if (node_.granted && !resumed_) l_->release_raw(Write);
  }

  bool await_ready() const noexcept { return false; }
  template <class P>
  bool await_suspend(std::coroutine_handle<P> h) noexcept {
    return !l_->lock_or_park(&node_, detail::waker::of(h));
  }
  rw_lock_guard<Write> await_resume() noexcept {
    resumed_ = true;
    l_->report_acquired(node_.granted, node_.granted ? node_.w.task() : 0);
    return rw_lock_guard<Write>(l_);
  }

 private:
  rw_lock* l_;
  rw_lock::node node_;
  bool resumed_ = false;
};

inline rw_lock::lock_awaiter<false> rw_lock::read() noexcept {
  return lock_awaiter<false>(this);
}
inline rw_lock::lock_awaiter<true> rw_lock::write() noexcept {
  return lock_awaiter<true>(this);
}

template <bool Write>
void rw_lock_guard<Write>::unlock() noexcept {
  if (l_ == nullptr) return;
  rw_lock* l = std::exchange(l_, nullptr);
  if constexpr (Write) {
    l->unlock_write();
  } else {
    l->unlock_read();
  }
}

}  // namespace lucid
