// lucid::detail::local_queue: a worker's fixed-size run queue (FIFO).
//
// The owner pushes at `tail_` and pops at `head_`; other workers steal half of
// it at `head_`. `tail_` is written only by the owner (release, so a stealer
// that reads it with acquire sees the slots). `head_` moves by CAS, by the
// owner's pop and by stealers, so a slot is handed to exactly one of them.
// Slots are atomics read and written relaxed: a stealer may read a slot the
// owner is about to overwrite, but then its CAS on head_ fails and the value
// is discarded. The owner never writes slot t unless t - head < capacity, so
// slots a successful stealer copied were not overwritten.
//
// A *growable* queue (the single worker of a current_thread runtime, which
// nobody steals from) doubles its ring instead of reporting full, and its
// owner moves head_ with a plain store: it is head_'s only writer.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "lucid/base/assert.hpp"

namespace lucid::detail {

struct task_cell;

class local_queue {
 public:
  static constexpr std::uint32_t default_capacity = 256;

  explicit local_queue(std::uint32_t capacity = default_capacity, bool growable = false)
      : growable_(growable), mask_(capacity - 1), slots_(new std::atomic<task_cell*>[capacity]) {}

  std::uint32_t capacity() const noexcept { return mask_ + 1; }

  std::uint32_t size() const noexcept {
    return tail_.load(std::memory_order_acquire) - head_.load(std::memory_order_acquire);
  }
  bool empty() const noexcept { return size() == 0; }

  /// Owner: pushes c; false when full (the caller moves half to the injection queue).
  bool try_push(task_cell* c) noexcept {
    std::uint32_t t = tail_.load(std::memory_order_relaxed);
    std::uint32_t h = head_.load(std::memory_order_acquire);
    if (t - h > mask_) {
      if (!growable_) return false;
      grow(h, t);
    }
    slots_[t & mask_].store(c, std::memory_order_relaxed);
    tail_.store(t + 1, std::memory_order_release);
    return true;
  }

  /// Owner: pops the oldest task, or nullptr.
  task_cell* pop() noexcept {
    std::uint32_t h = head_.load(std::memory_order_acquire);
    for (;;) {
      std::uint32_t t = tail_.load(std::memory_order_relaxed);
      if (h == t) return nullptr;
      task_cell* c = slots_[h & mask_].load(std::memory_order_relaxed);
      if (growable_) {
        // Nobody steals from a growable queue: the owner alone moves head_,
        // so no locked instruction is needed (release: as the CAS below).
        head_.store(h + 1, std::memory_order_release);
        return c;
      }
      if (head_.compare_exchange_weak(h, h + 1, std::memory_order_acq_rel,
                                      std::memory_order_acquire)) {
        return c;
      }
    }
  }

  /// Owner: removes up to `n` oldest tasks into out[]; returns how many.
  std::uint32_t pop_batch(task_cell** out, std::uint32_t n) noexcept {
    std::uint32_t h = head_.load(std::memory_order_acquire);
    for (;;) {
      std::uint32_t t = tail_.load(std::memory_order_relaxed);
      std::uint32_t k = t - h < n ? t - h : n;
      if (k == 0) return 0;
      for (std::uint32_t i = 0; i < k; ++i)
        out[i] = slots_[(h + i) & mask_].load(std::memory_order_relaxed);
      if (head_.compare_exchange_weak(h, h + k, std::memory_order_acq_rel,
                                      std::memory_order_acquire)) {
        return k;
      }
    }
  }

  /// Another worker: moves half of this queue into `dst` (the caller's own,
  /// empty queue) and returns one of the stolen tasks to run, or nullptr.
  task_cell* steal_into(local_queue& dst) noexcept {
    LUCID_ASSERT(!growable_, "a growable queue (current_thread) is never stolen from");
    std::uint32_t dt = dst.tail_.load(std::memory_order_relaxed);
    for (int attempt = 0; attempt < 4; ++attempt) {
      std::uint32_t h = head_.load(std::memory_order_acquire);
      std::uint32_t t = tail_.load(std::memory_order_acquire);
      std::uint32_t n = t - h;
      n -= n / 2;
      if (n == 0 || n > mask_ + 1 || n > dst.mask_ + 1) return nullptr;
      for (std::uint32_t i = 0; i < n; ++i) {
        dst.slots_[(dt + i) & dst.mask_].store(
            slots_[(h + i) & mask_].load(std::memory_order_relaxed), std::memory_order_relaxed);
      }
      if (head_.compare_exchange_strong(h, h + n, std::memory_order_acq_rel,
                                        std::memory_order_relaxed)) {
        task_cell* ret = dst.slots_[(dt + n - 1) & dst.mask_].load(std::memory_order_relaxed);
        if (n > 1) dst.tail_.store(dt + n - 1, std::memory_order_release);
        return ret;
      }
    }
    return nullptr;
  }

 private:
  void grow(std::uint32_t h, std::uint32_t t) {
    std::uint32_t cap = (mask_ + 1) * 2;
    std::unique_ptr<std::atomic<task_cell*>[]> n(new std::atomic<task_cell*>[cap]);
    for (std::uint32_t i = h; i != t; ++i) {
      n[i & (cap - 1)].store(slots_[i & mask_].load(std::memory_order_relaxed),
                             std::memory_order_relaxed);
    }
    slots_ = std::move(n);
    mask_ = cap - 1;
  }

  alignas(64) std::atomic<std::uint32_t> head_{0};
  alignas(64) std::atomic<std::uint32_t> tail_{0};
  bool growable_;
  std::uint32_t mask_;
  std::unique_ptr<std::atomic<task_cell*>[]> slots_;
};

}  // namespace lucid::detail
