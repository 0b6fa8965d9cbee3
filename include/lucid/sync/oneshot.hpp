// lucid::oneshot: a channel that carries exactly one value from one sender
// to one receiver.
//
// Shared state (detail::oneshot_state, allocated once per channel): `value`,
// the flags `sent`, `tx_alive`, `rx_closed`, the receiver's waiter `rx`, and
// where the sender is (`tx_handle`, handle_registry.hpp: linked by the sender
// when made, relinked when moved), all guarded by the spin lock `lock`;
// `refs` (one per side) frees it.
//
// Thread safety: the sender and the receiver may be used from different
// threads at the same time; each side itself is used by one task at a time.
#pragma once

#include <atomic>
#include <coroutine>
#include <mutex>
#include <optional>
#include <tuple>
#include <utility>

#include "lucid/base/result.hpp"
#include "lucid/base/source_site.hpp"
#include "lucid/base/spin_lock.hpp"
#include "lucid/rt/observer.hpp"
#include "lucid/sync/detail/handle_registry.hpp"
#include "lucid/sync/detail/resource_kinds.hpp"
#include "lucid/sync/detail/wait_queue.hpp"

namespace lucid {

namespace detail {
template <class T>
struct oneshot_state : resource_header {
  spin_lock lock;
  std::optional<T> value;     ///< guarded by lock
  waiter* rx = nullptr;       ///< guarded by lock: the receiver's parked awaiter
  bool sent = false;          ///< guarded by lock
  bool tx_alive = true;       ///< guarded by lock
  bool rx_closed = false;     ///< guarded by lock
  handle_registry tx_handle;  ///< guarded by lock: the sender, while it lives
  std::atomic<int> refs{2};

  /// Whether a value waits and the sender lives, for the task dump.
  static void read_state(const void* h, resource_state& out) noexcept {
    auto* st = const_cast<oneshot_state*>(
        static_cast<const oneshot_state*>(static_cast<const resource_header*>(h)));
    std::lock_guard g(st->lock);
    out.capacity = 1;
    out.length = st->value.has_value() ? 1 : 0;
    out.senders = st->tx_alive ? 1 : 0;
    out.closed = st->rx_closed ? 1 : 0;
  }
  /// Who can end the receiver's wait: the sender, until it sends.
  static std::size_t read_handles(const void* h, std::uintptr_t* out, std::size_t max) noexcept {
    auto* st = const_cast<oneshot_state*>(
        static_cast<const oneshot_state*>(static_cast<const resource_header*>(h)));
    std::lock_guard g(st->lock);
    if (st->sent || st->rx_closed) return 0;
    return st->tx_handle.copy(out, max);
  }
  static constexpr resource_ops ops{nullptr, &read_state, &read_handles};

  explicit oneshot_state(source_site site) noexcept
      : resource_header(oneshot_resource, site, &ops) {
    LUCID_OBSERVE(on_resource_created, id, detail::oneshot_resource, site, this);
  }
  void release() noexcept {
    // acq_rel: the last owner sees every write of the other side before freeing.
    if (refs.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      LUCID_OBSERVE(on_resource_dropped, id);
      delete this;
    }
  }
  /// Wakes the parked receiver (lock held).
  void wake_rx() noexcept {
    if (waiter* w = std::exchange(rx, nullptr)) w->grant(this);
  }
};
}  // namespace detail

namespace oneshot {

template <class T>
class sender;
template <class T>
class receiver;

/// Creates a oneshot channel.
///
/// Example:
///   auto [tx, rx] = lucid::oneshot::channel<int>();
///   lucid::spawn(produce(std::move(tx)));
///   lucid::result<int> v = co_await rx;
template <class T>
std::pair<sender<T>, receiver<T>> channel(source_site site = source_site::current()) {
  auto* s = new detail::oneshot_state<T>(site);
  // Made in place: the sender links its address into the channel once.
  return {std::piecewise_construct, std::forward_as_tuple(s), std::forward_as_tuple(s)};
}

/// The sending half of a oneshot channel.
///
/// Thread safety: one task at a time. Destroying the sender without sending
/// makes the receiver's await give errc::closed.
template <class T>
class sender {
 public:
  sender() noexcept = default;
  explicit sender(detail::oneshot_state<T>* s) noexcept : s_(s) {
    std::lock_guard g(s_->lock);
    s_->tx_handle.add(&link_);
  }
  sender(sender&& o) noexcept { take(o); }
  sender& operator=(sender&& o) noexcept {
    if (this != &o) {
      reset();
      take(o);
    }
    return *this;
  }
  sender(const sender&) = delete;
  sender& operator=(const sender&) = delete;
  ~sender() { reset(); }

  /// Sends the value; errc::closed when the receiver is gone or closed, or
  /// when this sender already sent (the value is then dropped: check
  /// is_closed() first to keep it).
  result<void> send(T v) {
    if (s_ == nullptr) return errc::closed;
    std::lock_guard g(s_->lock);
    if (s_->rx_closed || s_->sent) return errc::closed;
    s_->value.emplace(std::move(v));
    s_->sent = true;
    s_->wake_rx();
    return {};
  }

  /// True when a send() would fail (the receiver is gone or closed).
  bool is_closed() const noexcept {
    if (s_ == nullptr) return true;
    std::lock_guard g(s_->lock);
    return s_->rx_closed || s_->sent;
  }

 private:
  /// Moves o's side of the channel here (and its link to this address).
  void take(sender& o) noexcept {
    if (o.s_ == nullptr) return;
    std::lock_guard g(o.s_->lock);
    o.s_->tx_handle.move(&o.link_, &link_);
    s_ = std::exchange(o.s_, nullptr);
  }
  void reset() noexcept {
    if (s_ == nullptr) return;
    {
      std::lock_guard g(s_->lock);
      s_->tx_handle.remove(&link_);
      s_->tx_alive = false;
      if (!s_->sent) s_->wake_rx();
    }
    std::exchange(s_, nullptr)->release();
  }
  detail::oneshot_state<T>* s_ = nullptr;
  detail::handle_link link_;  ///< in s_->tx_handle while s_ is set
};

/// The receiving half of a oneshot channel: `co_await rx` gives result<T>
/// (errc::closed if the sender was dropped without sending, or the value was
/// already taken).
///
/// Thread safety: one task at a time. The receiver must outlive its awaits.
/// Cancellation: awaiting is cancel-safe: a cancelled await loses nothing;
/// the value stays in the channel for the next await or try_recv().
template <class T>
class receiver {
 public:
  receiver() noexcept = default;
  explicit receiver(detail::oneshot_state<T>* s) noexcept : s_(s) {}
  receiver(receiver&& o) noexcept : s_(std::exchange(o.s_, nullptr)) {}
  receiver& operator=(receiver&& o) noexcept {
    if (this != &o) {
      reset();
      s_ = std::exchange(o.s_, nullptr);
    }
    return *this;
  }
  receiver(const receiver&) = delete;
  receiver& operator=(const receiver&) = delete;
  ~receiver() { reset(); }

  class awaiter {
   public:
    explicit awaiter(detail::oneshot_state<T>* s) noexcept : s_(s) {}
    awaiter(awaiter&& o) noexcept : s_(o.s_) {}
    awaiter& operator=(awaiter&&) = delete;
    ~awaiter() {
      if (node_.maybe_pending()) {
        std::lock_guard g(s_->lock);
        if (s_->rx == &node_) {
          s_->rx = nullptr;
          node_.cancel_parked(s_, s_->id);
        }
      }
    }
    bool await_ready() const noexcept { return s_ == nullptr; }
    template <class P>
    bool await_suspend(std::coroutine_handle<P> h) noexcept {
      std::lock_guard g(s_->lock);
      if (s_->value || !s_->tx_alive || s_->sent) return false;
      node_.park(detail::waker::of(h), s_, *s_);
      s_->rx = &node_;
      return true;
    }
    result<T> await_resume() {
      if (s_ == nullptr) return errc::closed;
      if (node_.granted) LUCID_OBSERVE(on_wait_end, node_.w.task(), s_->id);
      std::lock_guard g(s_->lock);
      return take(s_);
    }

   private:
    detail::oneshot_state<T>* s_;
    detail::waiter node_;
  };

  /// Awaits the value.
  awaiter operator co_await() const& noexcept { return awaiter(s_); }
  awaiter operator co_await() && noexcept { return awaiter(s_); }
  /// Awaits the value without consuming the receiver (for select/timeout:
  /// `co_await lucid::timeout(1s, rx.recv())` leaves rx usable).
  awaiter recv() const noexcept { return awaiter(s_); }

  /// The value if it was sent; errc::empty if not yet, errc::closed if it
  /// never will be (or was already taken).
  result<T> try_recv() {
    if (s_ == nullptr) return errc::closed;
    std::lock_guard g(s_->lock);
    if (!s_->value && s_->tx_alive && !s_->sent) return errc::empty;
    return take(s_);
  }

  /// Closes the channel: a later send() fails with errc::closed. A value
  /// sent before can still be received.
  void close() noexcept {
    if (s_ == nullptr) return;
    std::lock_guard g(s_->lock);
    s_->rx_closed = true;
  }

 private:
  static result<T> take(detail::oneshot_state<T>* s) {
    if (!s->value) return errc::closed;
    result<T> r(std::move(*s->value));
    s->value.reset();
    return r;
  }
  void reset() noexcept {
    if (s_ == nullptr) return;
    close();
    std::exchange(s_, nullptr)->release();
  }
  detail::oneshot_state<T>* s_ = nullptr;
};

}  // namespace oneshot
}  // namespace lucid
