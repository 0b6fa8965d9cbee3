// lucid::detail::parker: puts one thread to sleep until unparked or a timeout.
//
// States: EMPTY (0), PARKED (1), NOTIFIED (2), PARKED_IO (3). unpark() stores
// NOTIFIED and wakes the futex if the owner was PARKED, or the reactor's
// eventfd if it was PARKED_IO (the driver sleeping in epoll), so an unpark
// that comes before park is not lost: the next park returns at once. Only the
// owning thread parks; any thread may unpark.
#pragma once

#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>

#include "driver/reactor.hpp"

namespace lucid::detail {

class parker {
 public:
  /// Sleeps until unpark() or until `timeout` (negative = no timeout) passes.
  void park(std::chrono::nanoseconds timeout = std::chrono::nanoseconds(-1)) noexcept {
    std::uint32_t expected = kEmpty;
    // acquire on both paths: see what the unparker wrote before unparking.
    if (!state_.compare_exchange_strong(expected, kParked, std::memory_order_acquire)) {
      state_.store(kEmpty, std::memory_order_relaxed);  // consume NOTIFIED
      return;
    }
    timespec ts{};
    timespec* tp = nullptr;
    if (timeout.count() >= 0) {
      ts.tv_sec = static_cast<time_t>(timeout.count() / 1000000000);
      ts.tv_nsec = static_cast<long>(timeout.count() % 1000000000);
      tp = &ts;
    }
    for (;;) {
      ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&state_), FUTEX_WAIT_PRIVATE, kParked,
                tp, nullptr, 0);
      if (state_.load(std::memory_order_acquire) != kParked || tp != nullptr) break;
    }
    state_.exchange(kEmpty, std::memory_order_acquire);
  }

  /// Sleeps in the reactor (epoll) until an I/O event, unpark(), or
  /// `timeout_ns` (negative = no limit); the events are left for dispatch().
  void park_io(reactor& r, std::int64_t timeout_ns) noexcept {
    io_.store(&r, std::memory_order_relaxed);
    std::uint32_t expected = kEmpty;
    if (!state_.compare_exchange_strong(expected, kParkedIo, std::memory_order_acquire)) {
      state_.store(kEmpty, std::memory_order_relaxed);  // consume NOTIFIED
      r.poll(0);                                        // still pick up ready I/O
      return;
    }
    r.poll(timeout_ns);
    state_.exchange(kEmpty, std::memory_order_acquire);
  }

  void unpark() noexcept {
    // release: publishes the caller's writes (queued work) to the parked thread.
    std::uint32_t prev = state_.exchange(kNotified, std::memory_order_release);
    if (prev == kParked) {
      ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&state_), FUTEX_WAKE_PRIVATE, 1,
                nullptr, nullptr, 0);
    } else if (prev == kParkedIo) {
      io_.load(std::memory_order_relaxed)->wake();
    }
  }

 private:
  static constexpr std::uint32_t kEmpty = 0, kParked = 1, kNotified = 2, kParkedIo = 3;
  std::atomic<reactor*> io_{nullptr};
  std::atomic<std::uint32_t> state_{kEmpty};
};

}  // namespace lucid::detail
