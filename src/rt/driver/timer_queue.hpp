// lucid::detail::timer_queue: the runtime's armed timers, a binary min-heap
// ordered by deadline (nanosecond precision, O(log n) arm and cancel).
//
// Thread safety: every member function takes `lock_`. Entries are fired (their
// waker woken) while the lock is held; see detail/timer.hpp for why.
#pragma once

#include <cstdint>
#include <mutex>
#include <vector>

#include "lucid/base/spin_lock.hpp"
#include "lucid/rt/detail/timer.hpp"

namespace lucid::detail {

class timer_queue {
 public:
  static constexpr std::int64_t no_deadline = INT64_MAX;

  /// Arms e; returns true when e became the earliest deadline and is earlier
  /// than `parked_until_` (the driver parker must wake to re-arm).
  bool insert(timer_entry* e) noexcept {
    std::lock_guard g(lock_);
    e->fired = false;
    e->heap_index = static_cast<std::uint32_t>(heap_.size());
    heap_.push_back(e);
    sift_up(e->heap_index);
    return heap_[0] == e && ns(e->deadline) < parked_until_;
  }

  void remove(timer_entry* e) noexcept {
    std::lock_guard g(lock_);
    if (e->heap_index == UINT32_MAX) return;
    remove_at(e->heap_index);
    e->w.released(e);
  }

  /// Fires every entry due at `now`; returns how many fired.
  std::size_t fire_expired(time_point now) noexcept {
    std::lock_guard g(lock_);
    std::size_t n = 0;
    while (!heap_.empty() && heap_[0]->deadline <= now) {
      timer_entry* e = heap_[0];
      remove_at(0);
      e->fired = true;
      e->w.released(e);
      e->w.wake();
      ++n;
    }
    return n;
  }

  /// Nanoseconds since the clock's epoch of the earliest deadline, or no_deadline.
  std::int64_t next_deadline() noexcept {
    std::lock_guard g(lock_);
    return heap_.empty() ? no_deadline : ns(heap_[0]->deadline);
  }

  /// The driver parker publishes until when it sleeps (no_deadline: not parked
  /// on timers); returns the earliest deadline, read under the same lock.
  std::int64_t set_parked_until_next() noexcept {
    std::lock_guard g(lock_);
    parked_until_ = heap_.empty() ? no_deadline : ns(heap_[0]->deadline);
    return parked_until_;
  }
  void clear_parked() noexcept {
    std::lock_guard g(lock_);
    parked_until_ = -1;  // not parked: nobody to wake on insert
  }

  bool empty() noexcept {
    std::lock_guard g(lock_);
    return heap_.empty();
  }

  static std::int64_t ns(time_point t) noexcept {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
  }

 private:
  void remove_at(std::uint32_t i) noexcept {
    timer_entry* e = heap_[i];
    e->heap_index = UINT32_MAX;
    timer_entry* last = heap_.back();
    heap_.pop_back();
    if (i < heap_.size()) {
      heap_[i] = last;
      last->heap_index = i;
      sift_down(i);
      sift_up(last->heap_index);
    }
  }
  void sift_up(std::uint32_t i) noexcept {
    timer_entry* e = heap_[i];
    while (i > 0) {
      std::uint32_t p = (i - 1) / 2;
      if (!(e->deadline < heap_[p]->deadline)) break;
      heap_[i] = heap_[p];
      heap_[i]->heap_index = i;
      i = p;
    }
    heap_[i] = e;
    e->heap_index = i;
  }
  void sift_down(std::uint32_t i) noexcept {
    const std::uint32_t n = static_cast<std::uint32_t>(heap_.size());
    timer_entry* e = heap_[i];
    for (;;) {
      std::uint32_t c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && heap_[c + 1]->deadline < heap_[c]->deadline) ++c;
      if (!(heap_[c]->deadline < e->deadline)) break;
      heap_[i] = heap_[c];
      heap_[i]->heap_index = i;
      i = c;
    }
    heap_[i] = e;
    e->heap_index = i;
  }

  spin_lock lock_;
  std::vector<timer_entry*> heap_;
  std::int64_t parked_until_ = -1;
};

}  // namespace lucid::detail
