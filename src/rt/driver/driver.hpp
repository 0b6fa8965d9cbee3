// lucid::detail::driver: the runtime's timers and I/O reactor, the token that
// says which worker drives them, and the paused clock.
//
// The token (`token_`): at most one worker at a time fires timers or polls
// and dispatches the reactor. A parked worker that takes the token sleeps in
// epoll until an I/O event, an unpark, or the earliest deadline (park()); a
// busy worker that finds it free fires due timers (fire_timers) and polls I/O
// without blocking (poll_io) every kGlobalQueueInterval polls, so running
// tasks never starve timers or I/O. Arming a timer earlier than the deadline
// the driver sleeps until unparks it (timer_armed_earlier).
//
// Wake-ups from timers and I/O are made under the timer queue's or the
// registration's spin lock, so every batch runs inside
// scheduler::batch_wakes, which defers notifying sleepers to its end.
//
// The paused clock (current_thread runtimes built for tests): `paused_now_ns_`
// is the virtual time; advance() moves it, and a worker with nothing to run
// lets the clock jump to the next deadline (auto_advance) unless
// spawn_blocking work is in flight or I/O is ready.
//
// Thread safety: now(), timers() and io() from any thread; fire_timers,
// poll_io, park and auto_advance from a worker of the owning scheduler.
#pragma once

#include <atomic>
#include <cstdint>

#include "driver/reactor.hpp"
#include "driver/timer_queue.hpp"
#include "lucid/rt/detail/timer.hpp"

namespace lucid::detail {

class scheduler;
struct worker;

class driver {
 public:
  /// `timer_shards`: one per worker (driver/timer_queue.hpp).
  driver(scheduler& s, bool paused_clock, unsigned timer_shards);
  ~driver();
  driver(const driver&) = delete;
  driver& operator=(const driver&) = delete;

  timer_queue& timers() noexcept { return timers_; }
  reactor& io() noexcept { return *io_; }
  bool paused() const noexcept { return paused_; }

  /// The runtime's clock reading: virtual when paused.
  time_point now() const noexcept;
  /// Moves the paused clock forward and fires what expired (fatal otherwise).
  void advance(duration d);
  /// A timer was armed earlier than the parked driver's deadline: wake it.
  void timer_armed_earlier() noexcept;

  /// Fires due timers if no one holds the token; true if any fired.
  bool fire_timers() noexcept;
  /// Polls the reactor without blocking if no one holds the token.
  void poll_io() noexcept;
  /// Parks `w` as the driver: sleeps in epoll until I/O, an unpark or the next
  /// deadline, then dispatches what came. False (and no park) if another
  /// worker holds the token.
  bool park(worker* w);

  /// What auto_advance did.
  enum class advanced : std::uint8_t { nothing, io_dispatched, timers_fired };
  /// Paused clock, nothing to run on `w`: dispatch ready I/O, or else jump to
  /// the next deadline and fire it.
  advanced auto_advance(worker* w) noexcept;

 private:
  bool try_take_token() noexcept {
    // acquire: see the timer and reactor state the previous holder left.
    return !token_.exchange(true, std::memory_order_acquire);
  }
  void give_token() noexcept { token_.store(false, std::memory_order_release); }

  scheduler& sched_;
  const bool paused_;
  timer_queue timers_;
  reactor* io_;  ///< reference counted: see reactor.hpp
  std::atomic<bool> token_{false};
  std::atomic<worker*> parked_{nullptr};  ///< the worker sleeping in epoll, if any
  std::atomic<std::int64_t> paused_now_ns_{0};
};

}  // namespace lucid::detail
