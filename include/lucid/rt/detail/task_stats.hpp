// lucid::detail::task_stats: what the runtime measures about one task, and
// about each runtime as a whole, for the console (DESIGN.md, "What it knows,
// per task"). Opt-in: set_task_stats_enabled(true).
//
// Contract: while stats are enabled, every task spawned gets a stats block
// (in its cell's rare fields, created at spawn, before the task is first
// queued, and never replaced), shared with the finished-task store
// (finished_tasks.hpp) so it outlives the task. Tasks spawned while stats
// were off have none and are never counted. Every hook is gated by the one
// global flag: with stats disabled, the poll, wake, spawn and finish paths
// cost one predictable branch on it, and nothing is recorded, not even for
// tasks that have a block (a task woken while stats were off may count that
// idle time as scheduled time in its first poll after they are back on).
//
// Who writes what:
//   polls, busy_ns, scheduled_ns, first_poll_ns, poll_started_ns, the two
//     histograms: the polling worker (one at a time; successive pollers are
//     ordered by the task's state word), relaxed load + store
//   queued_ns: the thread that queues the task (the spawner, a waker, or the
//     worker whose poll ended with a wake pending), before it is queued
//   wakes[self], wakers_registered: the polling worker (a self-wake happens,
//     and a waker is registered, in the task's own poll: an awaitable's
//     await_suspend), relaxed load + store
//   wakes[other origins], wakers_released: any thread, relaxed fetch_add
//   created_ns: the spawner; completed_ns: the finishing thread
// Readers (the console's thread) read any field at any time with relaxed
// loads: each value is whole, the set is not one consistent instant.
//
// Times are steady_clock (CLOCK_MONOTONIC) nanoseconds since its epoch; 0
// means "not yet". They are read on the stats clock (stats_now_ns): on
// x86-64 with an invariant TSC, the TSC scaled to steady_clock nanoseconds
// (rdtsc costs about half of a vDSO clock_gettime), calibrated once against
// steady_clock when stats are first enabled (about 10 ms); elsewhere, and
// before that calibration, steady_clock itself. The two agree to within the
// calibration's error (a few ppm, plus any later NTP slew of steady_clock). Idle time is what is
// left of the task's lifetime: idle = (completed or now) - created - busy - scheduled (idle_ns()).
//
// One clock read per poll boundary: a worker that takes its next task
// straight from its lifo slot, local queue or pinned list after a poll that
// left its task idle or queued (no timers, I/O, injection queue, stealing,
// parking, inspection or task completion between) starts that poll at the
// previous poll's end time instead of reading the clock again
// (worker::stats_clock_ns). The next poll's busy time then includes the
// scheduler's pick of it (tens of ns) and its scheduled latency excludes it;
// busy + scheduled + idle still add up to the lifetime.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>

#include "lucid/base/histogram.hpp"
#include "lucid/rt/detail/frame_alloc.hpp"
#include "lucid/rt/observer.hpp"

namespace lucid::detail {

class scheduler;
struct task_cell;
class raw_task;
struct strand;

/// The TSC's scale to steady_clock nanoseconds: ns = base_ns + ((tsc -
/// base_tsc) * mult >> 32). Immutable once published (g_stats_tsc).
struct stats_tsc_scale {
  std::uint64_t base_tsc;
  std::int64_t base_ns;
  std::uint64_t mult;  ///< nanoseconds per tick, times 2^32
};
/// Null until calibrated (set_task_stats_enabled(true)), and on machines
/// without an invariant TSC.
extern std::atomic<const stats_tsc_scale*> g_stats_tsc;

/// steady_clock in nanoseconds since its epoch.
inline std::int64_t steady_now_ns() noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

/// The stats clock in steady_clock nanoseconds (see the top of the file):
/// every stats time is read on it.
inline std::int64_t stats_now_ns() noexcept {
#if defined(__x86_64__)
  // acquire: the scale's fields were written before it was published.
  if (const stats_tsc_scale* t = g_stats_tsc.load(std::memory_order_acquire)) {
    auto d = static_cast<std::int64_t>(__builtin_ia32_rdtsc() - t->base_tsc);
    return t->base_ns + static_cast<std::int64_t>(
                            (static_cast<__int128>(d) * static_cast<__int128>(t->mult)) >> 32);
  }
#endif
  return steady_now_ns();
}

/// A per-task histogram that costs no memory beyond three words until its
/// second value: the first value is kept inline, the rest go to a
/// compact_histogram allocated on the second record() (most tasks are polled
/// once: a million short tasks would otherwise take 1.2 GB of histograms).
/// Reads (count, min, max, percentile, snapshot, merge_into) see the inline
/// value and the histogram together, as one histogram of every value.
/// Thread safety: as basic_histogram (one writer at a time, any readers);
/// the histogram is published with a release store, freed with the block.
/// Memory: the histogram comes from frame_alloc (per-thread free lists).
class task_histogram {
 public:
  task_histogram() = default;
  task_histogram(const task_histogram&) = delete;
  task_histogram& operator=(const task_histogram&) = delete;
  ~task_histogram() {
    if (compact_histogram* h = more_.load(std::memory_order_relaxed)) {
      h->~compact_histogram();
      frame_free(h, sizeof(compact_histogram));
    }
  }

  /// Records v. One writer at a time.
  void record(std::uint64_t v) noexcept {
    // relaxed: single writer; the reader orders first_ by has_first_'s release.
    if (!has_first_.load(std::memory_order_relaxed)) {
      first_.store(v, std::memory_order_relaxed);
      has_first_.store(true, std::memory_order_release);
      return;
    }
    compact_histogram* h = more_.load(std::memory_order_relaxed);
    if (__builtin_expect(h == nullptr, 0)) h = grow();
    h->record(v);
  }
  /// Adds the values recorded so far to `out`. Any thread.
  void merge_into(histogram_snapshot& out) const noexcept {
    // acquire: pairs with record()'s and grow()'s release stores.
    if (has_first_.load(std::memory_order_acquire))
      out.record(first_.load(std::memory_order_relaxed));
    if (const compact_histogram* h = more_.load(std::memory_order_acquire)) h->merge_into(out);
  }
  histogram_snapshot snapshot() const noexcept {
    histogram_snapshot s;
    merge_into(s);
    return s;
  }
  std::uint64_t count() const noexcept {
    std::uint64_t n = has_first_.load(std::memory_order_acquire) ? 1 : 0;
    if (const compact_histogram* h = more_.load(std::memory_order_acquire)) n += h->count();
    return n;
  }
  std::uint64_t min() const noexcept { return snapshot().min(); }
  std::uint64_t max() const noexcept { return snapshot().max(); }
  /// percentile(p) of a snapshot (see histogram_snapshot::percentile).
  std::uint64_t percentile(double p) const noexcept { return snapshot().percentile(p); }
  /// Heap bytes behind it (0 until the second value).
  std::size_t heap_bytes() const noexcept {
    return more_.load(std::memory_order_relaxed) ? sizeof(compact_histogram) : 0;
  }

 private:
  [[gnu::noinline]] compact_histogram* grow() noexcept {
    // The frame allocator: per-thread free lists, no malloc on the hot path.
    auto* h = new (frame_alloc(sizeof(compact_histogram))) compact_histogram;
    more_.store(h, std::memory_order_release);
    return h;
  }
  std::atomic<std::uint64_t> first_{0};
  std::atomic<bool> has_first_{false};
  std::atomic<compact_histogram*> more_{nullptr};
};

/// One task's counters and times (see the top of the file).
/// Size: about 180 bytes (16 words and two 24-byte task_histograms), plus
/// 2 x 580 bytes of histograms once the task is polled a second time.
struct task_stats {
  using counter = std::atomic<std::uint64_t>;
  using time = std::atomic<std::int64_t>;

  time created_ns{0};       ///< spawn
  time first_poll_ns{0};    ///< start of the first poll; 0 = never polled
  time completed_ns{0};     ///< finished (value, exception or cancelled); 0 = alive
  time poll_started_ns{0};  ///< start of the poll running now; 0 = not being polled
  time queued_ns{0};        ///< when it was last queued (spawn, wake, re-queue); 0 = not queued

  counter polls{0};
  counter busy_ns{0};       ///< summed poll durations
  counter scheduled_ns{0};  ///< summed time from being queued to being polled
  /// Wakes by lucid::wake_origin (self, other_task, runtime, external),
  /// counting every wake call, also those that found the task already queued.
  std::array<counter, 4> wakes{};
  counter wakers_registered{0};  ///< waker::registered calls for this task
  counter wakers_released{0};    ///< waker::released calls for this task

  /// The runtime's scratch, not for readers: the running poll's scheduled
  /// latency (kNoLatency: none), written and read by the polling worker.
  std::uint64_t poll_latency = 0;
  static constexpr std::uint64_t kNoLatency = ~std::uint64_t{0};

  task_histogram poll_duration_ns;      ///< one value per poll
  task_histogram scheduled_latency_ns;  ///< one value per poll: queued -> poll start

  std::uint64_t wakes_by(wake_origin o) const noexcept {
    return wakes[static_cast<std::size_t>(o)].load(std::memory_order_relaxed);
  }
  std::uint64_t wakes_total() const noexcept {
    std::uint64_t n = 0;
    for (const auto& w : wakes)
      n += w.load(std::memory_order_relaxed);
    return n;
  }
  /// Busy time including the poll running now (if any), as of `now_ns`.
  std::uint64_t busy_ns_at(std::int64_t now_ns) const noexcept {
    std::uint64_t b = busy_ns.load(std::memory_order_relaxed);
    std::int64_t s = poll_started_ns.load(std::memory_order_relaxed);
    return s != 0 && now_ns > s ? b + std::uint64_t(now_ns - s) : b;
  }
  /// Lifetime minus busy minus scheduled, as of `now_ns` (or completion);
  /// 0 if the racy reads of a live task would make it negative.
  std::uint64_t idle_ns(std::int64_t now_ns) const noexcept {
    std::int64_t end = completed_ns.load(std::memory_order_relaxed);
    if (end == 0) end = now_ns;
    std::int64_t life = end - created_ns.load(std::memory_order_relaxed);
    std::int64_t used =
        std::int64_t(busy_ns_at(end) + scheduled_ns.load(std::memory_order_relaxed));
    return life > used ? std::uint64_t(life - used) : 0;
  }
};

extern std::atomic<bool> g_task_stats_enabled;

/// Whether tasks spawned now get stats, and whether wakes and waker
/// registrations are counted: one relaxed load.
inline bool task_stats_enabled() noexcept {
  // relaxed: a flag; a task's block is published with its cell.
  return g_task_stats_enabled.load(std::memory_order_relaxed);
}
/// Turns stats on or off (the console calls it when it starts): tasks
/// spawned while on get a block; blocks are filled only while on. The
/// first call with true calibrates the stats clock (about 10 ms; see the
/// top of the file). Thread safety: any thread.
void set_task_stats_enabled(bool on) noexcept;

/// The stats block of a task, or null (spawned with stats off). The pointer
/// is valid while the caller holds the cell (a live-task walk, a join
/// reference); the shared_ptr keeps the block itself alive. Any thread.
std::shared_ptr<task_stats> task_stats_of(const task_cell* c) noexcept;
std::shared_ptr<task_stats> task_stats_of(raw_task t) noexcept;
/// The stats of the task the calling thread is polling, or null.
std::shared_ptr<task_stats> current_task_stats() noexcept;

/// Runtime-wide histograms (see runtime_stats_snapshot).
struct runtime_stats {
  histogram_snapshot poll_duration_ns;      ///< every poll of a task with stats
  histogram_snapshot scheduled_latency_ns;  ///< queued -> poll start of those polls
  std::size_t threads = 0;                  ///< worker threads whose histograms were merged
};

/// The runtime-wide histograms of `s` (a runtime's scheduler: see
/// handle_access / runtime_handle), or of every runtime alive in the process
/// when `s` is null: the per-worker-thread histograms, recorded when a task
/// with a stats block is polled, merged now. A runtime that was destroyed
/// is not included. Any thread; takes a registry lock, never blocks a worker.
runtime_stats runtime_stats_snapshot(const scheduler* s = nullptr);

// The runtime's hooks, called only when task_stats_enabled() or a task has
// a block (src/rt/task/stats.cpp).

/// At the start of a poll of c: its block (then records scheduled latency,
/// first poll, poll start), or null. `now_ns`: the stats clock's time if the
/// caller has it (the end of the previous poll on this worker, when nothing
/// else ran since: see the top of the file), or 0 (then it is read).
task_stats* stats_poll_begin(task_cell* c, std::int64_t now_ns = 0) noexcept;
/// At the end of that poll (before the task can be queued or polled again):
/// busy time, the poll histograms; the task counts as queued from now.
/// Returns that time (stats clock ns).
std::int64_t stats_poll_end(task_cell* c, task_stats* st) noexcept;
/// A waker of the task behind strand s was registered or released.
void stats_waker_registered(const strand* s) noexcept;
void stats_waker_released(const strand* s) noexcept;

}  // namespace lucid::detail
