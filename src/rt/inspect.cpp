// Inspection of live runtimes (include/lucid/rt/detail/inspect.hpp), the
// coarse clock and lock holders of wait_record.hpp.
//
// The registry: a vector of schedulers under a mutex. for_each_runtime holds
// the mutex for its whole walk, so a scheduler's destructor (which
// unregisters first) waits for the walk to end before it tears anything down.
//
// The claim: try_inspect() sets INSPECTED on a task that is neither RUNNING
// nor COMPLETE (see src/rt/task/cell.hpp); end_inspect() clears it. A wake
// during the claim queues the task as usual; the worker that pops it waits
// in wait_inspection() until the claim is gone.
//
// gdb: this object also carries the gdb extension (tools/gdb/lucid_gdb.py,
// embedded at build time; see src/rt/CMakeLists.txt), which reads the same
// registry, tasks and wait records from memory.
#include <sys/types.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <new>
#include <vector>

#include "context.hpp"
#include "inspect_registry.hpp"
#include "lucid/debug/captured_trace.hpp"
#include "lucid/rt/detail/inspect.hpp"
#include "lucid/rt/detail/task_stats.hpp"
#include "lucid/rt/detail/wait_record.hpp"
#include "scheduler/scheduler.hpp"
#include "scheduler/worker.hpp"
#include "task/cell.hpp"
#include "task/harness.hpp"

#if LUCID_GDB_SCRIPT
#include "lucid_gdb_script.inc"
#endif

namespace lucid::detail {

// ------------------------------------------------------------ coarse clock

namespace {
std::atomic<std::int64_t> g_coarse_now{0};
}

std::int64_t coarse_now_ns() noexcept {
  // relaxed: a timestamp, not a synchronisation point. 0 until a watchdog
  // ticks it: a program without the console pays no clock read per wait.
  return g_coarse_now.load(std::memory_order_relaxed);
}

void set_coarse_now_ns(std::int64_t ns) noexcept {
  g_coarse_now.store(ns, std::memory_order_relaxed);
}

[[gnu::noinline]] const std::uintptr_t* capture_creation_stack() noexcept {
  // debug's capture: libunwind's cached unwinder when present (tens of ns a
  // frame), libgcc's otherwise. Already lookup addresses, from our caller on.
  debug::captured_trace t;
  debug::capture(t);
  constexpr std::size_t kMax = 24;
  const std::size_t n = t.size < kMax ? t.size : kMax;
  if (n == 0) return nullptr;
  auto* out = new (std::nothrow) std::uintptr_t[n + 1];
  if (out == nullptr) return nullptr;
  out[0] = n;
  for (std::size_t i = 0; i < n; ++i)
    out[i + 1] = t.pcs[i];
  return out;
}

namespace {

void record(holder_slot& s, task_cell* c, const char* file, const char* function,
            unsigned line) noexcept {
  // relaxed: racy snapshots for the task dump; the lock itself orders the data.
  s.file.store(file, std::memory_order_relaxed);
  s.function.store(function, std::memory_order_relaxed);
  s.line.store(line, std::memory_order_relaxed);
  s.since_ns.store(coarse_now_ns(), std::memory_order_relaxed);
  s.task.store(c != nullptr ? c->id_ : 0, std::memory_order_relaxed);
}

}  // namespace

void holder_slot::take() noexcept {
  task_cell* c = current_cell();
  const promise_base* f = c != nullptr ? running_frame(c) : nullptr;
  const await_point a = f ? f->site() : await_point{};
  record(*this, c, a.file, a.function, a.line);
}

void holder_slot::note() noexcept {
  task_cell* c = current_cell();
  if (c != nullptr && task.load(std::memory_order_relaxed) == c->id_) return;
  take();
}

void holder_slot::note(const source_site& at) noexcept {
  task_cell* c = current_cell();
  if (c != nullptr && task.load(std::memory_order_relaxed) == c->id_) return;
  record(*this, c, at.file, at.function, at.line);
}

// ------------------------------------------------------------ known threads

namespace {
std::atomic<std::size_t> g_known_threads{0};
thread_local unsigned tls_known_depth = 0;
}  // namespace

known_thread_scope::known_thread_scope() noexcept : counted_(tls_known_depth++ == 0) {
  if (counted_) g_known_threads.fetch_add(1, std::memory_order_relaxed);
}
known_thread_scope::~known_thread_scope() {
  --tls_known_depth;
  if (counted_) g_known_threads.fetch_sub(1, std::memory_order_relaxed);
}
std::size_t known_thread_count() noexcept {
  return g_known_threads.load(std::memory_order_relaxed);
}

// ------------------------------------------------------------ registry

namespace {

struct registry {
  std::mutex mu;
  std::vector<scheduler*> runtimes;  ///< every live one (for_each_runtime: the inspectable)
};
registry& reg() {
  static registry* r = new registry;  // never destroyed: runtimes may outlive statics
  return *r;
}
std::atomic<runtime_start_hook> g_start_hook{nullptr};

}  // namespace

std::uint64_t next_runtime_serial() noexcept {
  static std::atomic<std::uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

void register_runtime(scheduler* s) {
  {
    std::lock_guard g(reg().mu);
    reg().runtimes.push_back(s);
  }
  if (!s->options().inspectable) return;
  // acquire: the hook's module finished setting itself up before publishing it.
  if (runtime_start_hook h = g_start_hook.load(std::memory_order_acquire)) h();
}

void unregister_runtime(scheduler* s) noexcept {
  std::lock_guard g(reg().mu);
  auto& v = reg().runtimes;
  v.erase(std::remove(v.begin(), v.end(), s), v.end());
}

void with_live_runtime(std::uint64_t serial, void (*fn)(scheduler&) noexcept) noexcept {
  std::lock_guard g(reg().mu);
  for (scheduler* s : reg().runtimes) {
    if (s->serial() == serial) {
      fn(*s);
      return;
    }
  }
}

void set_runtime_start_hook(runtime_start_hook h) noexcept {
  g_start_hook.store(h, std::memory_order_release);
}

void for_each_runtime(void (*fn)(const runtime_probe&, void*), void* ctx) {
  std::lock_guard g(reg().mu);
  for (scheduler* s : reg().runtimes) {
    if (s->options().inspectable) fn(runtime_probe(s), ctx);
  }
}

// ------------------------------------------------------------ probes

std::string_view to_string(task_run_state s) noexcept {
  switch (s) {
    case task_run_state::idle:
      return "idle";
    case task_run_state::scheduled:
      return "scheduled";
    case task_run_state::running:
      return "running";
    case task_run_state::finished:
      return "finished";
  }
  return "?";
}

task_id task_probe::id() const noexcept {
  return c_->id_;
}
task_id task_probe::parent() const noexcept {
  return c_->parent_id_;
}
std::string_view task_probe::name() const noexcept {
  return c_->name();
}
source_site task_probe::spawn_site() const noexcept {
  return c_->spawn_site();
}
std::shared_ptr<const task_stats> task_probe::stats() const noexcept {
  return task_stats_of(c_);
}
bool task_probe::cancel_requested() const noexcept {
  return (c_->state_.load(std::memory_order_relaxed) & st_cancelled) != 0;
}
const promise_base* task_probe::leaf() const noexcept {
  return claimed_ && c_->frame_live_ ? c_->root_.leaf : nullptr;
}
const strand* task_probe::root() const noexcept {
  return claimed_ && c_->frame_live_ ? &c_->root_ : nullptr;
}

std::uint64_t runtime_probe::serial() const noexcept {
  return s_->serial();
}
std::size_t runtime_probe::worker_count() const noexcept {
  return s_->worker_count();
}
worker_probe runtime_probe::worker(std::size_t i) const noexcept {
  detail::worker& w = s_->worker_at(i);
  worker_probe p;
  p.index = w.index;
  p.tid = w.tid.load(std::memory_order_relaxed);
  // acquire: pairs with context_scope's release of the pointer.
  if (const std::atomic<std::uintptr_t>* word = w.poll_word.load(std::memory_order_acquire)) {
    p.poll_word = word->load(std::memory_order_relaxed);
  }
  return p;
}
std::size_t runtime_probe::blocking_jobs() const noexcept {
  return s_->blocking().in_flight();
}

namespace {

/// Claims c for inspection; the state seen (or finished/running unclaimed).
/// With `idle_only`, a queued task is reported as scheduled without a claim.
task_run_state try_inspect(task_cell* c, bool idle_only, bool& claimed) noexcept {
  std::uint32_t s = c->state_.load(std::memory_order_relaxed);
  for (;;) {
    if (idle_only && (s & st_notified) && !(s & (st_complete | st_running))) {
      claimed = false;
      return task_run_state::scheduled;
    }
    if (s & st_complete) {
      claimed = false;
      return task_run_state::finished;
    }
    if (s & (st_running | st_inspected)) {
      claimed = false;
      return task_run_state::running;
    }
    // acquire: see the frames as the last poller (release at poll end) left them.
    if (c->state_.compare_exchange_weak(s, s | st_inspected, std::memory_order_acquire,
                                        std::memory_order_relaxed)) {
      claimed = true;
      return (s & st_notified) ? task_run_state::scheduled : task_run_state::idle;
    }
  }
}

void end_inspect(task_cell* c) noexcept {
  // release: nothing was written, but the poller's acquire pairs with it.
  c->state_.fetch_and(~std::uint32_t{st_inspected}, std::memory_order_release);
}

}  // namespace

void runtime_probe::for_each_task(void (*fn)(const task_probe&, void*), void* ctx,
                                  bool idle_only) const {
  // Every 256 tasks, while a claimed task holds the walk's place, the shard
  // lock is let go for a moment (live_tasks::for_each_pausable).
  std::size_t n = 0;
  s_->for_each_live_pausable([&](task_cell* c, auto& pause) {
    bool claimed = false;
    task_run_state st = try_inspect(c, idle_only, claimed);
    fn(task_probe(c, st, claimed), ctx);
    if (++n >= 256) {
      // Hold this task in place (claim it now if the walk did not) and let
      // the shard lock go for a moment.
      if (!claimed && st == task_run_state::scheduled) try_inspect(c, false, claimed);
      if (claimed) {
        pause();
        n = 0;
      }
    }
    if (claimed) end_inspect(c);
  });
}

void wait_inspection(task_cell* c) noexcept {
  while (c->state_.load(std::memory_order_acquire) & st_inspected) {
    __builtin_ia32_pause();
  }
}

}  // namespace lucid::detail
