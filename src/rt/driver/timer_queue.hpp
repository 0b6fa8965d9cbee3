// lucid::detail::timer_queue: the runtime's armed timers, in one shard per
// worker, each a 4-ary min-heap ordered by deadline (nanosecond precision,
// O(log n) arm and cancel).
//
// Why shards: with one heap under one lock, every worker arming a timer
// contended for the same line with the driver firing them; see
// bench/RESULTS.md (2026-12-04, the 16-core run). A timer is armed in the
// shard of the worker that arms it (shard 0 for any other thread) and
// remembers it (`timer_entry::shard`) until it is armed again.
//
// Layout: each slot holds its entry's deadline beside the entry pointer, so
// sifting compares slots in the array (four children are one 64-byte line)
// and touches an entry only to store its new `heap_index`. A heap of
// pointers read each child's deadline through its pointer: a cache miss per
// child per level with 10^5 armed timers.
//
// State and ownership:
//   shard::heap      under shard::lock. Entries are fired (their waker woken)
//                    while the lock is held, and remove() takes the same
//                    lock, so a wake-up never reaches a destroyed frame
//                    (detail/timer.hpp).
//   shard::earliest  the heap's first deadline (ns) or no_deadline; written
//                    under the lock, read without it by fire_expired to skip
//                    shards with nothing due (a stale read only delays a
//                    timer armed at that instant to the next look, and the
//                    parking driver reads every shard under its lock).
//   parked_until_    the driver's sleep: -1 not parked (no one to wake),
//                    no_deadline while it computes its deadline, then the
//                    earliest deadline it will wake for. Only the driver (the
//                    token holder) writes it.
//
// No lost wake-up when arming races parking: the driver stores no_deadline
// before it locks any shard to compute the minimum. An insert into a shard
// the driver already read runs after that shard's unlock, so its read of
// parked_until_ (under the shard's lock) sees no_deadline or the minimum
// stored after: both are later than the new deadline if the driver missed
// it, and insert() returns true (the caller unparks the driver). An insert
// the driver's scan sees is in its minimum.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "lucid/base/spin_lock.hpp"
#include "lucid/rt/detail/timer.hpp"

namespace lucid::detail {

class timer_queue {
 public:
  static constexpr std::int64_t no_deadline = INT64_MAX;

  static constexpr unsigned kMaxShards = 64;
  explicit timer_queue(unsigned shards)
      : n_(shards == 0 ? 1 : std::min(shards, kMaxShards)), shards_(new shard[n_]) {}

  /// Arms e in shard `shard_hint % shards`; returns true when e became its
  /// shard's earliest deadline and is earlier than the deadline the parked
  /// driver sleeps until (the caller must unpark it).
  bool insert(timer_entry* e, unsigned shard_hint) noexcept {
    const auto si = static_cast<std::uint16_t>(shard_hint % n_);
    shard& s = shards_[si];
    std::lock_guard g(s.lock);
    e->fired = false;
    e->shard = si;
    e->heap_index = static_cast<std::uint32_t>(s.heap.size());
    s.heap.push_back(slot{e->deadline, e});
    s.sift_up(e->heap_index);
    if (s.heap[0].e != e) return false;
    s.publish_earliest();
    return ns(e->deadline) < parked_until_.load(std::memory_order_relaxed);
  }

  void remove(timer_entry* e) noexcept {
    shard& s = shards_[e->shard];
    std::lock_guard g(s.lock);
    if (e->heap_index == UINT32_MAX) return;
    s.remove_at(e->heap_index);
    s.publish_earliest();
    e->w.released(e);
  }

  /// Fires every entry due at `now`; returns how many fired.
  std::size_t fire_expired(time_point now) noexcept {
    const std::int64_t now_ns = ns(now);
    std::size_t n = 0;
    for (unsigned i = 0; i < n_; ++i) {
      shard& s = shards_[i];
      if (s.earliest.load(std::memory_order_relaxed) > now_ns) continue;
      std::lock_guard g(s.lock);
      while (!s.heap.empty() && s.heap[0].deadline <= now) {
        timer_entry* e = s.heap[0].e;
        s.remove_at(0);
        e->fired = true;
        e->w.released(e);
        e->w.wake();
        ++n;
      }
      s.publish_earliest();
    }
    return n;
  }

  /// Nanoseconds since the clock's epoch of the earliest deadline, or no_deadline.
  std::int64_t next_deadline() noexcept {
    std::int64_t m = no_deadline;
    for (unsigned i = 0; i < n_; ++i) {
      shard& s = shards_[i];
      std::lock_guard g(s.lock);
      if (!s.heap.empty()) m = std::min(m, ns(s.heap[0].deadline));
    }
    return m;
  }

  /// The driver, about to park: publishes until when it sleeps and returns
  /// it (the earliest deadline, or no_deadline). See the header comment.
  std::int64_t set_parked_until_next() noexcept {
    parked_until_.store(no_deadline, std::memory_order_relaxed);
    const std::int64_t m = next_deadline();
    parked_until_.store(m, std::memory_order_relaxed);
    return m;
  }
  void clear_parked() noexcept {
    parked_until_.store(-1, std::memory_order_relaxed);  // not parked: nobody to wake on insert
  }

  static std::int64_t ns(time_point t) noexcept {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
  }

 private:
  struct slot {
    time_point deadline;
    timer_entry* e;
  };
  static constexpr std::uint32_t kArity = 4;

  struct alignas(64) shard {
    spin_lock lock;
    std::atomic<std::int64_t> earliest{no_deadline};
    std::vector<slot> heap;

    void publish_earliest() noexcept {
      earliest.store(heap.empty() ? no_deadline : ns(heap[0].deadline), std::memory_order_relaxed);
    }
    void place(std::uint32_t i, slot s) noexcept {
      heap[i] = s;
      s.e->heap_index = i;
    }
    void remove_at(std::uint32_t i) noexcept {
      heap[i].e->heap_index = UINT32_MAX;
      slot last = heap.back();
      heap.pop_back();
      if (i < heap.size()) {
        place(i, last);
        sift_down(i);
        sift_up(last.e->heap_index);
      }
    }
    void sift_up(std::uint32_t i) noexcept {
      slot s = heap[i];
      while (i > 0) {
        std::uint32_t p = (i - 1) / kArity;
        if (!(s.deadline < heap[p].deadline)) break;
        place(i, heap[p]);
        i = p;
      }
      place(i, s);
    }
    void sift_down(std::uint32_t i) noexcept {
      const std::uint32_t n = static_cast<std::uint32_t>(heap.size());
      slot s = heap[i];
      for (;;) {
        std::uint32_t first = kArity * i + 1;
        if (first >= n) break;
        std::uint32_t c = first;
        const std::uint32_t end = first + kArity < n ? first + kArity : n;
        for (std::uint32_t k = first + 1; k < end; ++k) {
          if (heap[k].deadline < heap[c].deadline) c = k;
        }
        if (!(heap[c].deadline < s.deadline)) break;
        place(i, heap[c]);
        i = c;
      }
      place(i, s);
    }
  };

  const unsigned n_;
  std::unique_ptr<shard[]> shards_;
  std::atomic<std::int64_t> parked_until_{-1};
};

}  // namespace lucid::detail
