// The watchdog's parts that its files share (watchdog.cpp: configuration,
// signals, the loop and startup; detectors/stalls.cpp, deadlocks.cpp,
// lints.cpp: one detector family each). Private to src/console.
//
// Threads and state: the watchdog object belongs to the watchdog thread.
// `g_capture_*` are written by the stall signal handler in a worker
// (async-signal-safe: atomics and sem_post only). shared() holds what the
// snapshot and the console server read too (warnings, the per-worker poll
// table), under shared().mu. Lock order: rt's registry and shard locks, then
// shared().mu, never the other way.
#pragma once

#include <semaphore.h>
#include <signal.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "console_internal.hpp"
#include "lucid/debug/captured_trace.hpp"
#include "lucid/rt/detail/inspect.hpp"

namespace lucid::console::detectors {

/// The steady clock in nanoseconds.
std::int64_t now_ns();

enum class deadlock_mode { report, abort, off };

/// The detectors' settings (see console.hpp for the variables).
struct config {
  deadlock_mode deadlock = deadlock_mode::report;
  std::int64_t deadlock_ns = 1'000'000'000;
  std::int64_t stall_ns = 100'000'000;  // 0: off
  bool dump_signal = true;
  std::int64_t lock_hold_ns = 1'000'000'000;
};

/// One worker's poll as the watchdog last saw it.
struct poll_seen {
  std::uintptr_t word = 0;
  std::int64_t since = 0;
  bool reported = false;
};

/// What the snapshot and the watchdog share. Never destroyed: the detached
/// watchdog thread may still use it while the program's statics go away.
struct shared_state {
  std::mutex mu;  // guards all of it
  std::deque<warning> warnings;
  std::uint64_t warnings_added = 0;  // ever: warnings_after's cursor
  std::map<std::pair<std::uint64_t, unsigned>, poll_seen> polls;
};
shared_state& shared();
inline constexpr std::size_t kMaxWarnings = 256;

// The stall signal's capture (see stalls.cpp).
inline constexpr int kStallSignal = SIGURG;
extern sem_t g_capture_done;
extern std::atomic<int> g_capture_tid;
extern std::uintptr_t g_capture_pcs[debug::captured_trace::max_frames];
extern std::atomic<std::size_t> g_capture_n;
/// The task the worker was polling when the handler ran (valid with g_capture_n).
extern lucid::detail::polled_task g_capture_task;

// ThreadSanitizer's runtime runs one background thread of its own; it never
// wakes a task, so the "all asleep" detector does not count it.
#if defined(__SANITIZE_THREAD__)
inline constexpr std::size_t kSanitizerThreads = 1;
#else
inline constexpr std::size_t kSanitizerThreads = 0;
#endif

/// Waits on `sem` for at most `ns` nanoseconds (steady clock); true if it was posted.
bool wait_for(sem_t* sem, std::int64_t ns);
/// LUCID_DEADLOCK=abort: the report is out; abort with the default action
/// (a core file for gdb), not through the crash handler's report.
[[noreturn]] void abort_now();
/// Writes a report to stderr in one write.
void emit(const std::string& text);

/// The detectors; see watchdog.cpp for what runs when.
class watchdog {
 public:
  explicit watchdog(config c) : cfg_(c) {}
  /// The thread's loop (never returns).
  void run();

 private:
  // stalls.cpp
  void check_stalls(std::int64_t now);
  void report_stall(std::uint64_t serial, unsigned worker, int tid, const void* cell,
                    std::int64_t since);
  // deadlocks.cpp
  void check_graph(std::int64_t now);
  static double min_wait(const task_view& t);
  static const task_view* find(const snapshot& s, task_id id);
  std::string describe_task(const snapshot& s, const task_view& t);
  void check_cycles(const snapshot& s, double threshold);
  static std::size_t process_threads();
  void check_all_asleep(const snapshot& s, double threshold, std::size_t busy);
  // lints.cpp
  void check_lints(const snapshot& s, std::int64_t now, double threshold);
  void check_self_wakes();

  struct rate {
    std::int64_t last = 0;
    unsigned suppressed = 0;
  };

  config cfg_;
  std::int64_t check_interval_ = 250'000'000;
  std::map<std::string, rate> rate_;                    // stalls: per site
  std::set<std::vector<task_id>> reported_cycles_;      // deadlocks
  bool asleep_reported_ = false;                        // deadlocks
  std::map<task_id, std::int64_t> unregistered_since_;  // lints
  std::set<std::pair<task_id, std::string>> linted_;    // lints
  std::set<const void*> large_seen_;                    // lints
};

}  // namespace lucid::console::detectors
