// lucid::detail::waiter: the wait-queue node every lucid::sync awaitable
// embeds (it lives in the awaiter, inside the waiting coroutine frame: no
// allocation per wait).
//
// Protocol (the waker contract of rt/detail/waker.hpp):
//   park     (waiting task, under the resource lock): stores the waker, sets
//            `pending`, links the node into the resource's queue, and links
//            its wait record from the task's strand (the task dump reads it).
//   grant    (waking side, under the resource lock): unlinks the node, writes
//            the outcome (`granted` plus the resource's own fields), calls
//            wake() WITH the lock held, and only then clears `pending`
//            (release). After that store the waking side never touches the
//            node again.
//   destroy  (the awaiter's destructor, e.g. the frame is cancelled): if
//            `pending` is still set it takes the resource lock, so it either
//            unlinks a still-queued node or waits until the grant (and its
//            wake()) is over. A node seen with `pending` clear needs no lock.
//
// Layout: `rec` comes before the flags, which live in its tail padding (the
// node is in every waiting frame; see the size check below).
//
// Fields: `w`, `granted` and the resource's outcome fields are written under
// the resource lock; the waiting task reads them after its wake (the wake
// orders them) or under the lock. `pending` is the only field read without
// the lock by another thread.
#pragma once

#include <atomic>
#include <coroutine>

#include "lucid/base/intrusive_list.hpp"
#include "lucid/rt/detail/wait_record.hpp"
#include "lucid/rt/detail/waker.hpp"
#include "lucid/rt/observer.hpp"

namespace lucid::detail {

struct waiter : list_node {
  waker w;
  /// What the waiting task waits on, for the task dump (32 bytes): with the
  /// flags below, a waiter is 64 bytes, and a primitive's own small fields
  /// fit in its tail padding (it lives in every waiting frame).
  wait_record rec;
  std::atomic<bool> pending{false};
  bool granted = false;  ///< set by grant(): the waiter got what it waited for (or a final error)

  waiter() noexcept = default;
  /// Awaiters are moved only before they are awaited (select/timeout take them by value).
  waiter(const waiter&) noexcept : list_node() {}
  waiter& operator=(const waiter&) = delete;

  /// Registers the waiting task (caller holds the resource lock).
  /// Called from await_suspend, on the thread polling the waiting task.
  void park(waker wk, const void* source, const resource_header& res) noexcept {
    w = wk;
    granted = false;
    pending.store(true, std::memory_order_relaxed);  // read by other threads only under the lock
    rec = wait_record(res);
    rec.begin(wk.get());
    w.registered(source);
    LUCID_OBSERVE(on_wait_begin, w.task(), res.id);
  }

  /// Completes the wait; the caller holds the resource lock and has unlinked
  /// the node and written its outcome. The node must not be touched after.
  void grant(const void* source) noexcept {
    granted = true;
    w.released(source);
    w.wake();
    // release: the destructor that sees false (acquire) sees the whole grant,
    // and knows wake() has returned.
    pending.store(false, std::memory_order_release);
  }

  /// True while the node may be queued or being granted (then lock to look).
  bool maybe_pending() const noexcept {
    // acquire: pairs with grant()'s release.
    return pending.load(std::memory_order_acquire);
  }

  /// Deregisters a node that is still queued (caller holds the lock, unlinked it).
  void cancel_parked(const void* source, resource_id rid) noexcept {
    w.released(source);
    LUCID_OBSERVE(on_wait_end, w.task(), rid);
    pending.store(false, std::memory_order_relaxed);
  }
};

static_assert(sizeof(waiter) == 64, "a waiter lives in every waiting frame: keep it small");

}  // namespace lucid::detail
