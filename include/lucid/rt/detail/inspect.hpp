// lucid::detail inspection: how a tool above rt (the console's task dump and
// detectors) reads every runtime's tasks and workers while they run, without
// stopping them and without a mirror of their state.
//
// Contract:
//   - for_each_runtime() walks the runtimes alive now under the registry's
//     lock: a runtime cannot finish destruction during the walk.
//   - runtime_probe::for_each_task() walks the live tasks one shard lock at a
//     time (let go for a moment every 256 claimed tasks). For each task it tries to claim INSPECTED
//     (src/rt/task/cell.hpp): a task that is not being polled and not finished is claimed, and its
//     frames (the await chain) and wait record are readable for the
//     callback's duration; a task being polled is reported as running,
//     unclaimed. The claim delays a poll of that task: callbacks must be
//     short, must not block, lock, allocate much, or call into the runtime.
//   - worker probes are racy snapshots: a worker's poll word is a relaxed load.
// Thread safety: any thread that is not a worker of an inspected runtime
// (a worker would wait for itself). Never from a signal handler, except
// current_polled_task(), which is for one (it reads the calling thread's own
// poll).
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

#include "lucid/base/source_site.hpp"
#include "lucid/rt/detail/strand.hpp"
#include "lucid/rt/detail/wait_record.hpp"
#include "lucid/rt/observer.hpp"

namespace lucid::detail {

class scheduler;
struct task_cell;
struct task_stats;

/// Where a task is in its life, as an inspector sees it.
enum class task_run_state : std::uint8_t {
  idle,       ///< suspended, not woken (claimed: chain and wait readable)
  scheduled,  ///< woken, waiting for a worker (claimed: chain readable)
  running,    ///< being polled now (not claimed)
  finished,   ///< completed; about to leave the live list
};
std::string_view to_string(task_run_state s) noexcept;

/// One task during an inspection callback. Valid only inside the callback.
class task_probe {
 public:
  explicit task_probe(task_cell* c, task_run_state s, bool claimed) noexcept
      : c_(c), state_(s), claimed_(claimed) {}

  task_id id() const noexcept;
  task_id parent() const noexcept;
  std::string_view name() const noexcept;
  source_site spawn_site() const noexcept;
  task_run_state state() const noexcept { return state_; }
  /// True when the frames and the wait record may be read (idle or scheduled).
  bool claimed() const noexcept { return claimed_; }
  bool cancel_requested() const noexcept;
  /// The cell's address: matches worker_probe::polling().
  const void* cell() const noexcept { return c_; }
  /// The task's stats block (task_stats.hpp), or null when it has none.
  std::shared_ptr<const task_stats> stats() const noexcept;

  /// The innermost frame of the root strand (claimed only); walk outwards
  /// with promise_base::parent_.
  const promise_base* leaf() const noexcept;
  /// The root strand (claimed only): its `wait` is the leaf's wait record,
  /// its `pending` the combinator the leaf awaits (see branches()).
  const strand* root() const noexcept;
  /// Calls f(const strand&) for each branch strand of the combinator the
  /// root strand waits on, recursively (claimed only).
  template <class F>
  void for_each_branch(F&& f) const {
    const strand* r = root();
    if (r != nullptr) visit_branches(*r, f);
  }

 private:
  template <class F>
  static void visit_branches(const strand& s, F& f) {
    if (s.pending == nullptr) return;
    const strand* out[16];
    std::size_t n = s.pending->branches(out, 16);
    for (std::size_t i = 0; i < n; ++i) {
      f(*out[i]);
      visit_branches(*out[i], f);
    }
  }

  task_cell* c_;
  task_run_state state_;
  bool claimed_;
};

/// One worker thread of a runtime (or the thread in block_on of a
/// current_thread runtime).
struct worker_probe {
  std::uint32_t index = 0;
  int tid = 0;  ///< the kernel thread id (for a signal), 0 before it started
  /// The cell it polls now, tagged with a per-thread poll sequence number:
  /// a value that stays the same across two readings means one long poll.
  std::uintptr_t poll_word = 0;
  const void* polling() const noexcept;
  /// The runtime itself is busy in this poll (a panic report): not a stall.
  bool exempt() const noexcept;
};

/// Who the calling thread is polling: for a signal handler that interrupts
/// a worker (the stall detector's capture), which names the stalled task
/// without walking every live task. The task cannot finish while its own
/// worker is in the handler, so its fields are read in place.
struct polled_task {
  const void* cell = nullptr;  ///< matches worker_probe::polling()
  task_id id = 0;
  source_site spawn_site{};
  char name[64] = {};     ///< the name's first bytes (at most 63), NUL-terminated
  bool name_cut = false;  ///< the name is longer than `name` holds
};
/// Fills `out` with the task the calling thread polls now; false if none.
/// Async-signal-safe: no locks, no allocation.
bool current_polled_task(polled_task& out) noexcept;

/// One runtime during for_each_runtime().
class runtime_probe {
 public:
  explicit runtime_probe(scheduler* s) noexcept : s_(s) {}
  /// A number unique to this runtime for the life of the process.
  std::uint64_t serial() const noexcept;
  std::size_t worker_count() const noexcept;
  worker_probe worker(std::size_t i) const noexcept;
  /// spawn_blocking jobs running or queued.
  std::size_t blocking_jobs() const noexcept;
  /// Calls fn(const task_probe&, ctx) for each live task (see the contract).
  /// With `idle_only`, tasks waiting in a run queue are not claimed (they
  /// are reported as scheduled, chain unreadable): a cheaper walk for
  /// detectors that only look at idle tasks.
  void for_each_task(void (*fn)(const task_probe&, void*), void* ctx, bool idle_only = false) const;
  template <class F>
  void for_each_task(F&& f, bool idle_only = false) const {
    for_each_task([](const task_probe& t, void* p) { (*static_cast<F*>(p))(t); }, &f, idle_only);
  }

 private:
  scheduler* s_;
};

/// Calls fn for each runtime alive now (see the contract).
void for_each_runtime(void (*fn)(const runtime_probe&, void*), void* ctx);
template <class F>
void for_each_runtime(F&& f) {
  for_each_runtime([](const runtime_probe& r, void* p) { (*static_cast<F*>(p))(r); }, &f);
}

/// Called (on the starting thread) each time a runtime starts; one hook, set
/// by the module that watches runtimes (the console). Null: none.
using runtime_start_hook = void (*)() noexcept;
void set_runtime_start_hook(runtime_start_hook h) noexcept;

/// Threads lucid knows: workers, blocking-pool threads, a thread inside
/// block_on, and threads a tool registers (the console's). The detector of
/// "all tasks asleep" compares it with the process's thread count: any other
/// thread might wake a task (a foreign thread holding a channel sender).
std::size_t known_thread_count() noexcept;
/// Counts the calling thread as known for the scope's life (nests).
class known_thread_scope {
 public:
  known_thread_scope() noexcept;
  ~known_thread_scope();
  known_thread_scope(const known_thread_scope&) = delete;
  known_thread_scope& operator=(const known_thread_scope&) = delete;

 private:
  bool counted_;
};

}  // namespace lucid::detail
