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
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

namespace lucid::detail {

struct task_cell;

class local_queue {
 public:
  static constexpr std::uint32_t capacity = 256;

  std::uint32_t size() const noexcept {
    return tail_.load(std::memory_order_acquire) - head_.load(std::memory_order_acquire);
  }
  bool empty() const noexcept { return size() == 0; }

  /// Owner: pushes c; false when full (the caller moves half to the injection queue).
  bool try_push(task_cell* c) noexcept {
    std::uint32_t t = tail_.load(std::memory_order_relaxed);
    std::uint32_t h = head_.load(std::memory_order_acquire);
    if (t - h >= capacity) return false;
    slots_[t & mask].store(c, std::memory_order_relaxed);
    tail_.store(t + 1, std::memory_order_release);
    return true;
  }

  /// Owner: pops the oldest task, or nullptr.
  task_cell* pop() noexcept {
    std::uint32_t h = head_.load(std::memory_order_acquire);
    for (;;) {
      std::uint32_t t = tail_.load(std::memory_order_relaxed);
      if (h == t) return nullptr;
      task_cell* c = slots_[h & mask].load(std::memory_order_relaxed);
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
      for (std::uint32_t i = 0; i < k; ++i) out[i] = slots_[(h + i) & mask].load(std::memory_order_relaxed);
      if (head_.compare_exchange_weak(h, h + k, std::memory_order_acq_rel,
                                      std::memory_order_acquire)) {
        return k;
      }
    }
  }

  /// Another worker: moves half of this queue into `dst` (the caller's own,
  /// empty queue) and returns one of the stolen tasks to run, or nullptr.
  task_cell* steal_into(local_queue& dst) noexcept {
    std::uint32_t dt = dst.tail_.load(std::memory_order_relaxed);
    for (int attempt = 0; attempt < 4; ++attempt) {
      std::uint32_t h = head_.load(std::memory_order_acquire);
      std::uint32_t t = tail_.load(std::memory_order_acquire);
      std::uint32_t n = t - h;
      n -= n / 2;
      if (n == 0 || n > capacity) return nullptr;
      for (std::uint32_t i = 0; i < n; ++i) {
        dst.slots_[(dt + i) & mask].store(slots_[(h + i) & mask].load(std::memory_order_relaxed),
                                          std::memory_order_relaxed);
      }
      if (head_.compare_exchange_strong(h, h + n, std::memory_order_acq_rel,
                                        std::memory_order_relaxed)) {
        task_cell* ret = dst.slots_[(dt + n - 1) & mask].load(std::memory_order_relaxed);
        if (n > 1) dst.tail_.store(dt + n - 1, std::memory_order_release);
        return ret;
      }
    }
    return nullptr;
  }

 private:
  static constexpr std::uint32_t mask = capacity - 1;
  alignas(64) std::atomic<std::uint32_t> head_{0};
  alignas(64) std::atomic<std::uint32_t> tail_{0};
  alignas(64) std::array<std::atomic<task_cell*>, capacity> slots_{};
};

}  // namespace lucid::detail
