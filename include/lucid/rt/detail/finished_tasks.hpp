// lucid::detail::finished_tasks: the bounded store of tasks that finished
// while they had a stats block, so the console can show them for a while
// after their cell is gone (DESIGN.md, "Retention").
//
// Contract: finish_task() pushes one record per task that has a stats block
// (so only while stats are, or were at its spawn, enabled). A record is kept
// for the retention time after it finished (LUCID_CONSOLE_RETENTION: a
// number with an optional unit ms, s, m or h, seconds by default; 60 s by
// default) and at most max_count records are kept (LUCID_CONSOLE_RETENTION_MAX,
// default 10,000): the oldest go first. Pruning happens on push and on every
// read, so an idle program does not show records older than the retention.
//
// Memory bound: at most max_count records, each accounted as
// sizeof(finished_task) + the stats block and its shared_ptr control block
// + the block's two per-task histograms, which exist only for a task polled
// more than once (task_histogram; kRecordBytes, about 1.4 KiB, counts them
// always: an upper bound) + its name's heap bytes. With the defaults and
// unnamed tasks, at most about 14 MiB (about 2.5 MiB when every task was
// polled once). accounted_bytes() gives the current sum of those bounds.
//
// Thread safety: every member may be called from any thread; one mutex
// guards the store. for_each() holds it while it calls f: f must not block
// or call back into the store; it may copy the shared_ptr of a record's stats.
//
// Batching (push_buffered, the runtime's path): a finishing thread puts its
// record in its own ring of kRingSize records (single producer, no lock);
// the ring is moved into the store under the mutex when it is full, by
// every reader (for_each, size, accounted_bytes, configure, clear) before it
// reads, and when the thread exits. So a record is visible to the next read
// at once, the mutex is taken once per kRingSize completions, and workers
// do not contend on it. Up to kRingSize records per thread may wait in
// rings beyond max_count (not counted in accounted_bytes until moved).
// Order: records from different threads are moved in ring by ring, so
// "oldest first" holds to within one ring's span per thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "lucid/base/source_site.hpp"
#include "lucid/rt/detail/task_stats.hpp"
#include "lucid/rt/observer.hpp"

namespace lucid::detail {

/// What is kept of a finished task.
struct finished_task {
  task_id id = 0;
  task_id parent = 0;
  std::string name;  ///< empty when unnamed
  source_site spawn_site{};
  task_outcome outcome = task_outcome::value;
  std::int64_t completed_ns = 0;  ///< steady clock ns (as in task_stats)
  std::shared_ptr<const task_stats> stats;
};

class finished_tasks {
 public:
  /// Bytes one record is accounted (besides its name): the record, the
  /// stats block, the shared_ptr control block, and the block's two
  /// histograms (allocated only on a task's second poll: an upper bound).
  static constexpr std::size_t kRecordBytes =
      sizeof(finished_task) + sizeof(task_stats) + 2 * sizeof(compact_histogram) + 32;
  static constexpr std::chrono::nanoseconds kDefaultRetention = std::chrono::seconds(60);
  static constexpr std::size_t kDefaultMaxCount = 10'000;

  /// The process's store, configured from the environment on first use.
  static finished_tasks& global();

  finished_tasks(std::chrono::nanoseconds retention = kDefaultRetention,
                 std::size_t max_count = kDefaultMaxCount) noexcept
      : retention_ns_(retention.count()), max_count_(max_count) {}

  /// Adds a record (the finishing thread), pruning by age and count.
  void push(finished_task r);
  /// Adds a record through the calling thread's ring (see the top of the file).
  void push_buffered(finished_task&& r);

  static constexpr std::size_t kRingSize = 64;

  /// Calls f(const finished_task&) for every record kept, oldest first,
  /// after pruning those older than the retention.
  template <class F>
  void for_each(F&& f) {
    std::lock_guard g(mu_);
    drain_locked();
    prune_locked(stats_now_ns());
    for (const finished_task& r : records_)
      f(r);
  }

  std::size_t size();
  /// The accounted bytes of the records kept (see the top of the file).
  std::size_t accounted_bytes();
  /// Changes the bounds (tests; the console's settings) and prunes.
  void configure(std::chrono::nanoseconds retention, std::size_t max_count);
  std::chrono::nanoseconds retention() {
    std::lock_guard g(mu_);
    return std::chrono::nanoseconds(retention_ns_);
  }
  std::size_t max_count() {
    std::lock_guard g(mu_);
    return max_count_;
  }
  void clear();

 private:
  struct ring;
  friend struct ring;
  void prune_locked(std::int64_t now_ns) noexcept;
  void pop_front_locked() noexcept;
  /// Moves every thread's ring into records_ (then prune).
  void drain_locked();
  void drain_ring_locked(ring& r);
  void push_locked(finished_task&& r);

  std::mutex mu_;
  std::deque<finished_task> records_;
  std::vector<ring*> rings_;  ///< every thread's ring that pushed here
  std::size_t bytes_ = 0;
  std::int64_t retention_ns_;
  std::size_t max_count_;
};

/// Parses LUCID_CONSOLE_RETENTION's grammar ("60", "60s", "500ms", "2m",
/// "1h"); false if `text` is not of it.
bool parse_retention(const char* text, std::chrono::nanoseconds& out) noexcept;

}  // namespace lucid::detail
