// lucid::mpsc: multi-producer, single-consumer channels, bounded and unbounded.
//
// Shared state (detail::mpsc_chan, one allocation per channel), guarded by
// the spin lock `lock` (held for a few pointer updates and one move of T):
//   queue         values sent and not yet received (FIFO)
//   capacity      0 = unbounded; otherwise send waits while queue.size() >= capacity
//   send_waiters  senders parked on a full bounded channel (FIFO); each
//                 parked node points at the value inside its awaiter
//   rx            the receiver's parked awaiter, or null; while it is set the
//                 queue is empty, and a send hands its value straight to it
//   senders       live sender handles; 0 means "closed once drained"
//   sender_handles  where each live sender is (handle_registry.hpp): a
//                 sender links itself when made, relinks when moved, and
//                 unlinks when destroyed, all under `lock`
//   receiver_handle  where the receiver is, kept the same way
//   rx_closed     receiver closed or dropped: every send fails
//   receiving     the task that received last (and the co_await where it
//                 first did), noted at every receive: a full bounded
//                 channel's senders wait for that task, which is the
//                 channel's holder in the wait-for graph (read_holders)
// `refs` (atomic: senders + receiver) frees the state.
//
// Thread safety: senders may be used from many threads at once; the receiver
// is used by one task at a time.
#pragma once

#include <atomic>
#include <coroutine>
#include <cstddef>
#include <mutex>
#include <optional>
#include <tuple>
#include <utility>

#include "lucid/base/assert.hpp"
#include "lucid/base/intrusive_list.hpp"
#include "lucid/base/result.hpp"
#include "lucid/base/source_site.hpp"
#include "lucid/base/spin_lock.hpp"
#include "lucid/rt/observer.hpp"
#include "lucid/sync/detail/handle_registry.hpp"
#include "lucid/sync/detail/resource_kinds.hpp"
#include "lucid/sync/detail/ring.hpp"
#include "lucid/sync/detail/wait_queue.hpp"

namespace lucid {

namespace detail {

template <class T>
struct mpsc_chan : resource_header {
  struct send_node : waiter {
    T* value = nullptr;  ///< the value inside the parked send awaiter
    bool closed = false;
  };
  struct recv_node : waiter {
    std::optional<T> slot;  ///< a value handed over by a sender
  };

  spin_lock lock;
  ring<T> queue;
  std::size_t capacity;
  intrusive_list<send_node> send_waiters;
  recv_node* rx = nullptr;
  std::size_t senders = 1;
  handle_registry sender_handles;
  handle_registry receiver_handle;
  bool rx_closed = false;
  holder_slot receiving;
  std::atomic<std::size_t> refs{2};

  /// The channel's fill, for the task dump (takes the lock briefly).
  static void read_state(const void* h, resource_state& out) noexcept {
    auto* c = const_cast<mpsc_chan*>(
        static_cast<const mpsc_chan*>(static_cast<const resource_header*>(h)));
    std::lock_guard g(c->lock);
    out.capacity = static_cast<std::int64_t>(c->capacity);
    out.length = static_cast<std::int64_t>(c->queue.size());
    out.senders = static_cast<std::int64_t>(c->senders);
    out.closed = c->rx_closed ? 1 : 0;
  }
  /// Who a waiting sender waits for: the receiving task, while the channel
  /// is full (only senders can wait then, never the receiver itself) and
  /// open. The task that received last, which has the receiver unless it
  /// gave it away since.
  static std::size_t read_holders(const void* h, holder_info* out, std::size_t max) noexcept {
    auto* c = const_cast<mpsc_chan*>(
        static_cast<const mpsc_chan*>(static_cast<const resource_header*>(h)));
    std::lock_guard g(c->lock);
    if (max == 0 || c->capacity == 0 || c->rx_closed || c->queue.size() < c->capacity) return 0;
    out[0] = c->receiving.read();
    return out[0].task != 0 ? 1 : 0;
  }
  /// Who can end the waits on it: while it is empty and open, the live
  /// senders (only the receiver can wait then); while it is full, the
  /// receiver (only senders can wait then), which the console uses when no
  /// task has received from it yet.
  static std::size_t read_handles(const void* h, std::uintptr_t* out, std::size_t max) noexcept {
    auto* c = const_cast<mpsc_chan*>(
        static_cast<const mpsc_chan*>(static_cast<const resource_header*>(h)));
    std::lock_guard g(c->lock);
    if (c->rx_closed) return 0;
    if (c->queue.empty()) return c->sender_handles.copy(out, max);
    if (c->capacity != 0 && c->queue.size() >= c->capacity)
      return c->receiver_handle.copy(out, max);
    return 0;
  }
  static constexpr resource_ops ops{&read_holders, &read_state, &read_handles};

  mpsc_chan(std::size_t cap, source_site site)
      : resource_header(mpsc_resource, site, &ops), queue(cap), capacity(cap) {
    LUCID_OBSERVE(on_resource_created, id, detail::mpsc_resource, site, this);
  }
  void release() noexcept {
    // acq_rel: the last owner sees every other owner's writes before freeing.
    if (refs.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      LUCID_OBSERVE(on_resource_dropped, id);
      delete this;
    }
  }

  /// Lock held. Delivers v (moving from it) or reports why not: ok, closed, full.
  errc try_send_locked(T& v) {
    if (rx_closed) return errc::closed;
    if (rx != nullptr) {  // the receiver waits: the queue is empty, hand over
      recv_node* r = std::exchange(rx, nullptr);
      r->slot.emplace(std::move(v));
      r->grant(this);
      return errc::ok;
    }
    if (capacity != 0 && (queue.size() >= capacity || !send_waiters.empty())) return errc::full;
    queue.push_back(std::move(v));
    return errc::ok;
  }

  /// Lock held. Pops the front into `out`; a parked sender then moves up.
  bool try_pop_locked(std::optional<T>& out) {
    if (queue.empty()) return false;
    out.emplace(queue.pop_front());
    if (send_node* s = send_waiters.pop_front()) {
      queue.push_back(std::move(*s->value));
      s->grant(this);
    }
    return true;
  }

  /// Lock held: the receiver is gone or closed; parked senders fail.
  void close_locked() noexcept {
    rx_closed = true;
    while (send_node* s = send_waiters.pop_front()) {
      s->closed = true;
      s->grant(this);
    }
  }
};

}  // namespace detail

namespace mpsc {

template <class T>
class sender;
template <class T>
class receiver;

/// A channel holding at most `capacity` (>= 1) queued values; send waits when full.
///
/// Example:
///   auto [tx, rx] = lucid::mpsc::bounded<int>(16);
///   co_await tx.send(1);
///   lucid::result<int> v = co_await rx.recv();
template <class T>
std::pair<sender<T>, receiver<T>> bounded(std::size_t capacity,
                                          source_site site = source_site::current()) {
  LUCID_ASSERT(capacity >= 1, "mpsc::bounded needs a capacity of at least 1");
  auto* c = new detail::mpsc_chan<T>(capacity, site);
  // Made in place: each handle links its address into the channel once.
  return {std::piecewise_construct, std::forward_as_tuple(c), std::forward_as_tuple(c)};
}

/// A channel without a bound; send never waits.
template <class T>
std::pair<sender<T>, receiver<T>> unbounded(source_site site = source_site::current()) {
  auto* c = new detail::mpsc_chan<T>(0, site);
  // Made in place: each handle links its address into the channel once.
  return {std::piecewise_construct, std::forward_as_tuple(c), std::forward_as_tuple(c)};
}

/// The sending half of an mpsc channel; copy it (or clone()) for more producers.
///
/// The channel closes for the receiver once every sender is destroyed (after
/// it has drained what was queued).
///
/// Thread safety: distinct senders of one channel may be used concurrently.
template <class T>
class sender {
 public:
  sender() noexcept = default;
  /// The channel's first sender (bounded(), unbounded()): counted there.
  explicit sender(detail::mpsc_chan<T>* c) noexcept : c_(c) {
    std::lock_guard g(c_->lock);
    c_->sender_handles.add(&link_);
  }
  sender(const sender& o) noexcept : c_(o.c_) { acquire(); }
  sender(sender&& o) noexcept { take(o); }
  sender& operator=(sender o) noexcept {
    reset();
    take(o);
    return *this;
  }
  ~sender() { reset(); }

  /// Another sender of the same channel.
  sender clone() const noexcept { return sender(*this); }

  class send_awaiter;

  /// Sends `v`, waiting while a bounded channel is full. Gives errc::closed
  /// when the receiver is closed or gone: the value is then dropped (use
  /// try_send to keep it).
  ///
  /// Cancellation: a send cancelled while waiting for room sends nothing and
  /// drops its value; once the value was taken into the channel the send has
  /// happened even if the awaiting task is cancelled before resuming.
  send_awaiter send(T v) noexcept(std::is_nothrow_move_constructible_v<T>) {
    return send_awaiter(c_, std::move(v));
  }

  /// Sends without waiting: errc::full (bounded channel full, or senders
  /// queued before this one) or errc::closed. `v` is moved from only on success.
  result<void> try_send(T&& v) {
    if (c_ == nullptr) return errc::closed;
    std::lock_guard g(c_->lock);
    errc e = c_->try_send_locked(v);
    if (e != errc::ok) return e;
    return {};
  }
  result<void> try_send(const T& v) {
    T copy(v);
    return try_send(std::move(copy));
  }

  /// True once the receiver is closed or gone.
  bool is_closed() const noexcept {
    if (c_ == nullptr) return true;
    std::lock_guard g(c_->lock);
    return c_->rx_closed;
  }

 private:
  void acquire() noexcept {
    if (c_ == nullptr) return;
    // relaxed: a new reference from an existing one (as shared_ptr does).
    c_->refs.fetch_add(1, std::memory_order_relaxed);
    std::lock_guard g(c_->lock);
    ++c_->senders;
    c_->sender_handles.add(&link_);
  }
  /// Moves o's reference here (and its link to this address).
  void take(sender& o) noexcept {
    if (o.c_ == nullptr) return;
    std::lock_guard g(o.c_->lock);
    o.c_->sender_handles.move(&o.link_, &link_);
    c_ = std::exchange(o.c_, nullptr);
  }
  void reset() noexcept {
    if (c_ == nullptr) return;
    {
      std::lock_guard g(c_->lock);
      c_->sender_handles.remove(&link_);
      if (--c_->senders == 0) {
        // The last sender: a parked receiver (queue empty) learns it is closed.
        if (auto* r = std::exchange(c_->rx, nullptr)) r->grant(c_);
      }
    }
    std::exchange(c_, nullptr)->release();
  }
  detail::mpsc_chan<T>* c_ = nullptr;
  detail::handle_link link_;  ///< in c_->sender_handles while c_ is set
};

template <class T>
class [[nodiscard]] sender<T>::send_awaiter {
  using chan = detail::mpsc_chan<T>;

 public:
  send_awaiter(chan* c, T&& v) noexcept(std::is_nothrow_move_constructible_v<T>)
      : c_(c), value_(std::move(v)) {}
  send_awaiter(send_awaiter&& o) noexcept(std::is_nothrow_move_constructible_v<T>)
      : c_(o.c_), value_(std::move(o.value_)) {}
  send_awaiter& operator=(send_awaiter&&) = delete;
  ~send_awaiter() {
    if (node_.maybe_pending()) {
      std::lock_guard g(c_->lock);
      if (node_.linked()) {
        c_->send_waiters.unlink(&node_);
        node_.cancel_parked(c_, c_->id);
      }
    }
  }

  bool await_ready() const noexcept { return c_ == nullptr; }
  template <class P>
  bool await_suspend(std::coroutine_handle<P> h) {
    std::lock_guard g(c_->lock);
    result_ = c_->try_send_locked(value_);
    if (result_ != errc::full) return false;
    node_.value = &value_;
    node_.park(detail::waker::of(h), c_, *c_);
    c_->send_waiters.push_back(&node_);
    return true;
  }
  result<void> await_resume() noexcept {
    if (c_ == nullptr) return errc::closed;
    if (node_.granted) {
      LUCID_OBSERVE(on_wait_end, node_.w.task(), c_->id);
      return node_.closed ? result<void>(errc::closed) : result<void>();
    }
    return result_ == errc::ok ? result<void>() : result<void>(result_);
  }

 private:
  chan* c_;
  T value_;
  typename chan::send_node node_;
  errc result_ = errc::ok;
};

/// The receiving half of an mpsc channel.
///
/// Thread safety: one task at a time. The receiver must outlive its recv()
/// awaits. Destroying it closes the channel and drops the queued values.
template <class T>
class receiver {
 public:
  receiver() noexcept = default;
  explicit receiver(detail::mpsc_chan<T>* c) noexcept : c_(c) {
    std::lock_guard g(c_->lock);
    c_->receiver_handle.add(&link_);
  }
  receiver(receiver&& o) noexcept { take(o); }
  receiver& operator=(receiver&& o) noexcept {
    if (this != &o) {
      reset();
      take(o);
    }
    return *this;
  }
  receiver(const receiver&) = delete;
  receiver& operator=(const receiver&) = delete;
  ~receiver() { reset(); }

  class recv_awaiter;

  /// Receives the next value; errc::closed once the channel is closed (all
  /// senders gone, or close() called) AND every queued value was received.
  ///
  /// Cancellation: cancel-safe: a cancelled recv loses nothing (a value
  /// handed to it before it resumed goes back to the front of the queue).
  recv_awaiter recv() noexcept { return recv_awaiter(c_); }

  /// The next value now: errc::empty if none is queued, errc::closed if the
  /// channel is closed and drained. `site`: where the task receives, for
  /// the task dump.
  result<T> try_recv(source_site site = source_site::current()) {
    if (c_ == nullptr) return errc::closed;
    std::optional<T> v;
    {
      std::lock_guard g(c_->lock);
      c_->receiving.note(site);
      if (!c_->try_pop_locked(v)) {
        return c_->senders == 0 || c_->rx_closed ? errc::closed : errc::empty;
      }
    }
    return result<T>(std::move(*v));
  }

  /// Closes the channel: later sends fail with errc::closed (parked senders
  /// too); values already queued can still be received.
  void close() noexcept {
    if (c_ == nullptr) return;
    std::lock_guard g(c_->lock);
    c_->close_locked();
  }

 private:
  /// Moves o's side of the channel here (and its link to this address).
  void take(receiver& o) noexcept {
    if (o.c_ == nullptr) return;
    std::lock_guard g(o.c_->lock);
    o.c_->receiver_handle.move(&o.link_, &link_);
    c_ = std::exchange(o.c_, nullptr);
  }
  void reset() noexcept {
    if (c_ == nullptr) return;
    detail::ring<T> drop;
    {
      std::lock_guard g(c_->lock);
      c_->receiver_handle.remove(&link_);
      c_->close_locked();
      drop = std::move(c_->queue);  // destroyed outside the lock
    }
    std::exchange(c_, nullptr)->release();
  }
  detail::mpsc_chan<T>* c_ = nullptr;
  detail::handle_link link_;  ///< in c_->receiver_handle while c_ is set
};

template <class T>
class [[nodiscard]] receiver<T>::recv_awaiter {
  using chan = detail::mpsc_chan<T>;

 public:
  explicit recv_awaiter(chan* c) noexcept : c_(c) {}
  recv_awaiter(recv_awaiter&& o) noexcept : c_(o.c_) {}
  recv_awaiter& operator=(recv_awaiter&&) = delete;
  ~recv_awaiter() {
    if (node_.maybe_pending()) {
      std::lock_guard g(c_->lock);
      if (c_->rx == &node_) {
        c_->rx = nullptr;
        node_.cancel_parked(c_, c_->id);
      }
    }
    if (node_.granted && !resumed_ && node_.slot) {
      // Handed a value but cancelled before resuming: put it back in front.
      std::lock_guard g(c_->lock);
      c_->queue.push_front(std::move(*node_.slot));
    }
  }

  bool await_ready() const noexcept { return c_ == nullptr; }
  template <class P>
  bool await_suspend(std::coroutine_handle<P> h) {
    std::lock_guard g(c_->lock);
    c_->receiving.note();
    if (c_->try_pop_locked(node_.slot)) return false;
    if (c_->senders == 0 || c_->rx_closed) return false;
    node_.park(detail::waker::of(h), c_, *c_);
    c_->rx = &node_;
    return true;
  }
  result<T> await_resume() {
    resumed_ = true;
    if (node_.granted) LUCID_OBSERVE(on_wait_end, node_.w.task(), c_->id);
    if (!node_.slot) return errc::closed;
    return result<T>(std::move(*node_.slot));
  }

 private:
  chan* c_;
  typename chan::recv_node node_;
  bool resumed_ = false;
};

}  // namespace mpsc
}  // namespace lucid
