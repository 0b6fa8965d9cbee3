// lucid::detail::reactor: the runtime's I/O driver (epoll, edge-triggered).
//
// Who runs it: the worker that holds scheduler::driver_ parks in poll()
// instead of on its futex (timers and I/O share that one sleep), and a busy
// worker polls it without blocking every kGlobalQueueInterval ticks, so I/O
// is never starved by running tasks. Readiness events wake tasks straight
// from the driving worker (schedule() puts them on its local queue): no extra
// thread or hop per event. Only the driver touches events_.
//
// Waking a parked driver: parker::unpark() writes the eventfd (wake()), which
// is registered edge-triggered with a null data pointer.
//
// Registration lifetime (see detail/io.hpp): scheduled_io is allocated by
// add() and handed back by release(). A released registration may still be
// in the event batch the driver is dispatching, so it is freed at the start
// of the next poll (the batch is done by then, and EPOLL_CTL_DEL already ran,
// so no later batch names it). The reactor is reference counted: one ref for
// the scheduler and one per live registration, so an io_source that outlives
// its runtime can still deregister; after detach() (the scheduler is gone
// and no driver runs) release() frees at once. detach() also orphans every
// registration still alive (io_bits::orphaned, and their waiters woken), so
// a task of another runtime waiting on such a socket moves on to its own
// runtime's reactor instead of waiting for events nobody polls (detail/io.hpp).
//
// Locks: mu_ guards ios_, released_ and alive_; scheduled_io::lock guards
// its waiter list and readiness changes that wake (wakers are called under
// it, the waker contract). Order: mu_, then a registration's lock.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>

#include <sys/epoll.h>

#include "lucid/base/intrusive_list.hpp"
#include "lucid/base/spin_lock.hpp"
#include "lucid/rt/detail/io.hpp"

namespace lucid::detail {

class reactor;

struct scheduled_io : list_node {  // list_node: the owner's ios_ while registered
  std::atomic<std::uint32_t> readiness{0};
  spin_lock lock;
  intrusive_list<io_waiter> waiters;
  reactor* owner = nullptr;
  scheduled_io* next_released = nullptr;
  /// The orphaned registrations of the same fd this one replaced, handed
  /// back with it (see io.hpp, "A socket may outlive its runtime").
  scheduled_io* retired = nullptr;
};

class reactor {
 public:
  reactor();
  reactor(const reactor&) = delete;
  reactor& operator=(const reactor&) = delete;

  /// Registers `fd` for read and write readiness, edge-triggered.
  scheduled_io* add(int fd) noexcept;
  /// Removes `fd` from epoll and hands `io` back (freed after the current batch).
  void release(scheduled_io* io, int fd) noexcept;

  /// Waits up to `timeout_ns` (negative: no limit, 0: just look) for events
  /// and keeps them for dispatch(). Driver only. True if any I/O event came.
  bool poll(std::int64_t timeout_ns) noexcept;
  /// Wakes the tasks waiting on the events poll() collected. Driver only.
  void dispatch() noexcept;
  /// Makes a poll() in progress (or the next one) return. Any thread.
  void wake() noexcept;
  /// Registrations alive now (0 = nothing but the eventfd can ever fire).
  std::size_t registrations() const noexcept { return live_.load(std::memory_order_relaxed); }
  int event_fd() const noexcept { return event_fd_; }

  /// The scheduler is done with the reactor (no driver runs any more):
  /// orphans the registrations still alive and wakes their waiters.
  void detach() noexcept;

 private:
  ~reactor();
  void unref() noexcept;
  void free_released() noexcept;
  static void orphan(scheduled_io* io) noexcept;

  static constexpr int kMaxEvents = 256;
  int epoll_fd_ = -1;
  int event_fd_ = -1;
  bool have_pwait2_ = true;
  std::atomic<std::size_t> refs_{1};
  std::atomic<std::size_t> live_{0};
  int n_events_ = 0;
  epoll_event events_[kMaxEvents];

  std::mutex mu_;
  intrusive_list<scheduled_io> ios_;  ///< registrations not yet released
  scheduled_io* released_ = nullptr;
  std::atomic<bool> has_released_{false};  ///< a hint read without the lock
  bool alive_ = true;
};

}  // namespace lucid::detail
