// lucid::detail::io_source: a file descriptor registered with the runtime's
// reactor, and the awaitable that waits for it to become ready. Used by
// lucid::net; not a user API.
//
// Readiness protocol (edge-triggered epoll, as tokio does it):
//   for (;;) {
//     auto snap = src.readiness();            // before the syscall
//     r = recv(fd, ...);
//     if (r >= 0 || errno != EAGAIN) return r;
//     src.clear_readiness(io_interest::read, snap);
//     co_await src.ready(io_interest::read);   // until an edge sets the bit
//   }
// The readiness word holds bits (readable, writable, read_closed,
// write_closed, error) and a 16-bit tick that the reactor bumps on every
// event; clear_readiness() clears only if the word is still `snap`, so an
// edge that arrived during the syscall is never lost. Closed and error bits
// are sticky.
//
// Ownership: the io_source owns the fd and its registration (scheduled_io,
// allocated by the reactor of the runtime that first waits on it). close()
// removes the fd from epoll, closes it, and hands the registration back to
// the reactor, which frees it only after the event batch that may still
// point at it is done.
//
// A socket may outlive its runtime (bound before, kept after: a listener
// reused by the next runtime, a stream a task of another runtime waits on).
// When a reactor is detached (its runtime destroyed), it marks each of its
// live registrations ORPHANED (sticky) and wakes their waiters; io_arm
// refuses an orphaned registration, and the next wait on the socket
// registers it with the waiting task's runtime (registration(), under
// reg_lock_, which also makes two tasks' first waits register once). The
// orphaned registration is kept, chained from the new one (`retired`), and
// handed back with it at close(): another task of the socket may still hold
// its address for a readiness read. So `io_` changes only from null or from
// an orphaned registration, and a waiter linked in a registration is always
// in `io_`'s (orphaning unlinks every waiter).
//
// A waiter lives in the awaiting frame; the reactor wakes it under the
// registration's lock and the awaiter's destructor unlinks under the same
// lock (the waker contract of detail/waker.hpp), so cancelling a wait
// removes it.
//
// Thread safety: one task reads and one writes at a time (or several accept
// on a listener); readiness()/clear_readiness() are atomic.
#pragma once

#include <atomic>
#include <coroutine>
#include <cstdint>
#include <utility>

#include "lucid/base/intrusive_list.hpp"
#include "lucid/base/spin_lock.hpp"
#include "lucid/rt/detail/wait_record.hpp"
#include "lucid/rt/detail/waker.hpp"

namespace lucid::detail {

enum class io_interest : std::uint8_t { read = 1, write = 2 };

namespace io_bits {
inline constexpr std::uint32_t readable = 1, writable = 2, read_closed = 4, write_closed = 8,
                               error = 16, all = 31;
/// The registration's reactor is gone (sticky; see "A socket may outlive its
/// runtime" above). Not in any wake mask: a wait re-registers instead.
inline constexpr std::uint32_t orphaned = 32;
inline constexpr std::uint32_t tick_one = 1u << 16;
/// The bits that end a wait for `i`.
constexpr std::uint32_t wake_mask(io_interest i) noexcept {
  return i == io_interest::read ? (readable | read_closed | error)
                                : (writable | write_closed | error);
}
}  // namespace io_bits

struct scheduled_io;

/// One task waiting for readiness; lives in the awaiting frame.
struct io_waiter : list_node {
  waker w;
  std::uint32_t mask = 0;
  bool woken = false;
};

/// Registers `w` on `io` unless its readiness is already there, or `io` is
/// orphaned (then false: the caller looks again, and re-registers).
bool io_arm(scheduled_io* io, io_waiter* w) noexcept;
/// Removes `w` if still registered.
void io_disarm(scheduled_io* io, io_waiter* w) noexcept;
std::uint32_t io_readiness(const scheduled_io* io) noexcept;
void io_clear_readiness(scheduled_io* io, std::uint32_t mask, std::uint32_t snap) noexcept;
/// Registers `fd` with the current runtime's reactor (fatal outside a runtime).
scheduled_io* io_register(int fd) noexcept;
/// Removes the registration and returns it to its reactor (deferred free).
void io_deregister(scheduled_io* io, int fd) noexcept;

class io_source {
 public:
  io_source() noexcept = default;
  /// `kind` and `site` name the socket in the task dump ("tcp listener", where it was bound).
  explicit io_source(int fd, const resource_kind& kind = io_resource,
                     source_site site = {}) noexcept
      : fd_(fd), hdr_(kind, site) {}
  /// Moving a socket is its owner's act: no task may wait on it meanwhile.
  io_source(io_source&& o) noexcept
      : fd_(std::exchange(o.fd_, -1)),
        io_(o.io_.exchange(nullptr, std::memory_order_relaxed)),
        hdr_(std::move(o.hdr_)) {}
  io_source& operator=(io_source&& o) noexcept {
    if (this != &o) {
      close();
      fd_ = std::exchange(o.fd_, -1);
      io_.store(o.io_.exchange(nullptr, std::memory_order_relaxed), std::memory_order_relaxed);
      hdr_ = std::move(o.hdr_);
    }
    return *this;
  }
  io_source(const io_source&) = delete;
  io_source& operator=(const io_source&) = delete;
  ~io_source() { close(); }

  int fd() const noexcept { return fd_; }
  /// Deregisters and closes the fd. Idempotent.
  void close() noexcept;

  /// The readiness word now (0 before the first wait registers the fd).
  std::uint32_t readiness() const noexcept {
    const scheduled_io* io = io_.load(std::memory_order_acquire);
    return io ? io_readiness(io) : 0;
  }
  /// Clears `i`'s ready bit if no event came since `snap` was read.
  void clear_readiness(io_interest i, std::uint32_t snap) noexcept {
    if (scheduled_io* io = io_.load(std::memory_order_acquire))
      io_clear_readiness(io, i == io_interest::read ? io_bits::readable : io_bits::writable, snap);
  }

  /// The registration to wait on: registers the fd with the calling task's
  /// runtime on the first wait, or when the registration is orphaned.
  scheduled_io* registration() noexcept {
    scheduled_io* io = io_.load(std::memory_order_acquire);
    if (io != nullptr && !(io_readiness(io) & io_bits::orphaned)) [[likely]]
      return io;
    return register_slow();
  }

  /// Awaitable: completes when `i` is ready (or closed/errored); yields the readiness word.
  class [[nodiscard]] ready_awaiter {
   public:
    ready_awaiter(io_source* s, io_interest i) noexcept : s_(s) { w_.mask = io_bits::wake_mask(i); }
    ready_awaiter(ready_awaiter&& o) noexcept : s_(o.s_) { w_.mask = o.w_.mask; }
    ready_awaiter(const ready_awaiter&) = delete;
    ready_awaiter& operator=(const ready_awaiter&) = delete;
    ~ready_awaiter() {
      // Linked: in io_'s registration (see "A socket may outlive its runtime").
      if (w_.linked()) io_disarm(s_->io_.load(std::memory_order_acquire), &w_);
    }
    bool await_ready() const noexcept { return (s_->readiness() & w_.mask) != 0; }
    template <class P>
    bool await_suspend(std::coroutine_handle<P> h) noexcept {
      w_.w = waker::of(h);
      if (!io_arm(s_->registration(), &w_)) return false;
      rec_ = wait_record(s_->hdr_);
      rec_.set_source(wake_source::driver);
      rec_.set_what((w_.mask & io_bits::readable) ? "read" : "write");
      rec_.begin(h.promise().strand());
      return true;
    }
    std::uint32_t await_resume() const noexcept { return s_->readiness(); }

   private:
    io_source* s_;
    io_waiter w_;
    wait_record rec_;
  };
  ready_awaiter ready(io_interest i) noexcept { return ready_awaiter(this, i); }

 private:
  scheduled_io* register_slow() noexcept;

  int fd_ = -1;
  spin_lock reg_lock_;  ///< serialises registering (in fd_'s padding)
  std::atomic<scheduled_io*> io_{nullptr};
  resource_header hdr_{io_resource, source_site{}};  ///< the socket's identity in the task dump
};

}  // namespace lucid::detail
