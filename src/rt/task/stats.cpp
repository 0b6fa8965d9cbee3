// Task stats (lucid/rt/detail/task_stats.hpp): the runtime's hooks that fill
// a task's stats block, the per-worker-thread histograms behind
// runtime_stats_snapshot, and the push into the finished-task store.
//
// Per-worker histograms: rt's worker struct is not widened for them; each
// thread that polls a task with stats keeps, in a thread_local, a pointer to
// its block for the scheduler it polls for (a thread may serve several
// runtimes one after another: block_on of current_thread runtimes). The
// blocks live in a registry under a mutex, keyed by (scheduler, thread),
// each holding a weak_ptr to its scheduler so that a destroyed runtime's
// blocks are skipped and dropped (and a new scheduler at a reused address is
// not mistaken for the old one). Only the owning thread records into a block
// (single writer, see histogram.hpp); readers merge under the registry lock.
#include <algorithm>
#include <climits>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__x86_64__)
#include <cpuid.h>
#endif

#include "context.hpp"
#include "lucid/rt/detail/finished_tasks.hpp"
#include "lucid/rt/detail/frame_alloc.hpp"
#include "lucid/rt/detail/raw_task.hpp"
#include "lucid/rt/detail/strand.hpp"
#include "lucid/rt/detail/task_stats.hpp"
#include "scheduler/scheduler.hpp"
#include "task/cell.hpp"
#include "task/stats.hpp"

namespace lucid::detail {

std::atomic<bool> g_task_stats_enabled{false};
std::atomic<const stats_tsc_scale*> g_stats_tsc{nullptr};

namespace {

#if defined(__x86_64__)
bool invariant_tsc() noexcept {
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (!__get_cpuid(0x80000000u, &a, &b, &c, &d) || a < 0x80000007u) return false;
  __get_cpuid(0x80000007u, &a, &b, &c, &d);
  return (d & (1u << 8)) != 0;  // "Invariant TSC": constant rate, runs in every C-state
}

/// A (tsc, steady ns) pair read as close together as the machine allows:
/// the TSC read between two clock reads, the tightest of a few tries.
void tsc_pair(std::uint64_t& tsc, std::int64_t& ns) noexcept {
  std::int64_t best = INT64_MAX;
  for (int i = 0; i < 8; ++i) {
    std::int64_t a = steady_now_ns();
    std::uint64_t t = __builtin_ia32_rdtsc();
    std::int64_t b = steady_now_ns();
    if (b - a < best) {
      best = b - a;
      tsc = t;
      ns = a + (b - a) / 2;
    }
  }
}
#endif

/// Publishes the TSC scale, once per process, if the TSC is invariant;
/// LUCID_STATS_CLOCK=steady keeps steady_clock.
void calibrate_stats_clock() noexcept {
#if defined(__x86_64__)
  static std::once_flag once;
  std::call_once(once, [] {
    const char* env = std::getenv("LUCID_STATS_CLOCK");
    if (env != nullptr && std::strcmp(env, "steady") == 0) return;
    if (!invariant_tsc()) return;
    std::uint64_t t0 = 0, t1 = 0;
    std::int64_t n0 = 0, n1 = 0;
    tsc_pair(t0, n0);
    while (steady_now_ns() - n0 < 10'000'000) {  // 10 ms: a few ppm of pairing error
    }
    tsc_pair(t1, n1);
    if (t1 <= t0 || n1 <= n0) return;
    auto* s = new stats_tsc_scale;  // leaked: read by any thread until exit
    s->base_tsc = t1;
    s->base_ns = n1;
    s->mult =
        static_cast<std::uint64_t>((static_cast<unsigned __int128>(n1 - n0) << 32) / (t1 - t0));
    // release: the fields before the pointer (stats_now_ns's acquire).
    g_stats_tsc.store(s, std::memory_order_release);
  });
#endif
}

}  // namespace

void set_task_stats_enabled(bool on) noexcept {
  if (on) calibrate_stats_clock();
  g_task_stats_enabled.store(on, std::memory_order_relaxed);
}

namespace {

task_stats* stats_ptr(const task_cell* c) noexcept {
  // acquire: pairs with rare()'s release (the block itself was written
  // before the task was first queued).
  const task_cell::rare_fields* r = c->rare_.load(std::memory_order_acquire);
  return r != nullptr ? r->stats.get() : nullptr;
}

void add(std::atomic<std::uint64_t>& a, std::uint64_t v) noexcept {
  // relaxed load + store: one writer (see task_stats.hpp); readers need whole values.
  a.store(a.load(std::memory_order_relaxed) + v, std::memory_order_relaxed);
}

struct worker_stats {
  const scheduler* sched = nullptr;
  std::weak_ptr<const scheduler> owner;
  std::thread::id thread;
  histogram poll_duration_ns;
  histogram scheduled_latency_ns;
};

std::mutex g_registry_mu;
/// Leaked: thread_local destructors may run after static destructors.
std::vector<std::shared_ptr<worker_stats>>& registry() {
  static auto* v = new std::vector<std::shared_ptr<worker_stats>>;
  return *v;
}

void drop_expired_locked() {
  auto& r = registry();
  r.erase(std::remove_if(r.begin(), r.end(), [](const auto& w) { return w->owner.expired(); }),
          r.end());
}

struct tls_slot {
  std::shared_ptr<worker_stats> ws;
  ~tls_slot() {
    // The block stays in the registry while its runtime lives (its counts
    // belong to that runtime); only expired ones are dropped.
    std::lock_guard g(g_registry_mu);
    ws.reset();
    drop_expired_locked();
  }
};
thread_local tls_slot t_slot;

[[gnu::noinline]] worker_stats* rebind(tls_slot& t, const scheduler* s) {
  std::lock_guard g(g_registry_mu);
  drop_expired_locked();
  auto self = std::this_thread::get_id();
  for (const auto& w : registry()) {
    if (w->sched == s && w->thread == self) {
      t.ws = w;
      return w.get();
    }
  }
  auto w = std::make_shared<worker_stats>();
  w->sched = s;
  w->owner = s->weak_from_this();
  w->thread = self;
  registry().push_back(w);
  t.ws = std::move(w);
  return t.ws.get();
}

/// The calling thread's block for c's scheduler. Not inlined: it reads a
/// thread_local (DESIGN.md, "Compiler hazards").
[[gnu::noinline]] worker_stats* worker_stats_for(const task_cell* c) {
  tls_slot& t = t_slot;
  if (t.ws && t.ws->sched == c->sched_ && !t.ws->owner.expired()) return t.ws.get();
  return rebind(t, c->sched_);
}

}  // namespace

std::shared_ptr<task_stats> task_stats_of(const task_cell* c) noexcept {
  const task_cell::rare_fields* r = c->rare_.load(std::memory_order_acquire);
  return r != nullptr ? r->stats : nullptr;
}

std::shared_ptr<task_stats> task_stats_of(raw_task t) noexcept {
  task_cell* c = raw_task_access::cell(t);
  return c != nullptr ? task_stats_of(c) : nullptr;
}

std::shared_ptr<task_stats> current_task_stats() noexcept {
  task_cell* c = current_cell();
  return c != nullptr ? task_stats_of(c) : nullptr;
}

namespace {
/// std::allocator over frame_alloc: the block and its control block in one
/// allocation from per-thread free lists (freed on any thread).
template <class T>
struct frame_allocator {
  using value_type = T;
  frame_allocator() = default;
  template <class U>
  frame_allocator(const frame_allocator<U>&) noexcept {}
  T* allocate(std::size_t n) { return static_cast<T*>(frame_alloc(n * sizeof(T))); }
  void deallocate(T* p, std::size_t n) noexcept { frame_free(p, n * sizeof(T)); }
  friend bool operator==(frame_allocator, frame_allocator) noexcept { return true; }
};
}  // namespace

void stats_on_spawn(task_cell* c) {
  auto st = std::allocate_shared<task_stats>(frame_allocator<task_stats>{});
  std::int64_t now = stats_now_ns();
  st->created_ns.store(now, std::memory_order_relaxed);
  st->queued_ns.store(now, std::memory_order_relaxed);  // spawn queues it
  c->rare().stats = std::move(st);
}

task_stats* stats_poll_begin(task_cell* c, std::int64_t now) noexcept {
  task_stats* st = stats_ptr(c);
  if (st == nullptr) return nullptr;
  if (now == 0) now = stats_now_ns();
  if (st->first_poll_ns.load(std::memory_order_relaxed) == 0)
    st->first_poll_ns.store(now, std::memory_order_relaxed);
  std::int64_t q = st->queued_ns.load(std::memory_order_relaxed);
  if (q != 0) {
    std::uint64_t lat = now > q ? std::uint64_t(now - q) : 0;
    add(st->scheduled_ns, lat);
    st->scheduled_latency_ns.record(lat);
    st->poll_latency = lat;  // into the worker's histogram at the poll's end
    st->queued_ns.store(0, std::memory_order_relaxed);
  } else {
    st->poll_latency = task_stats::kNoLatency;
  }
  st->poll_started_ns.store(now, std::memory_order_relaxed);
  return st;
}

std::int64_t stats_poll_end(task_cell* c, task_stats* st) noexcept {
  std::int64_t now = stats_now_ns();
  std::int64_t start = st->poll_started_ns.load(std::memory_order_relaxed);
  std::uint64_t d = now > start ? std::uint64_t(now - start) : 0;
  add(st->busy_ns, d);
  add(st->polls, 1);
  st->poll_duration_ns.record(d);
  // One lookup of the worker's histograms per poll.
  worker_stats* ws = worker_stats_for(c);
  ws->poll_duration_ns.record(d);
  if (st->poll_latency != task_stats::kNoLatency) ws->scheduled_latency_ns.record(st->poll_latency);
  st->poll_started_ns.store(0, std::memory_order_relaxed);
  // If it was woken during the poll it is queued again now; if not, the
  // wake that queues it next overwrites this (task_cell::wake).
  st->queued_ns.store(now, std::memory_order_relaxed);
  return now;
}

task_stats* stats_count_wake(task_cell* c, wake_origin o) noexcept {
  task_stats* st = stats_ptr(c);
  if (st == nullptr) return st;
  // A self-wake comes from the thread polling the task (current_cell() is
  // the task): one writer, as for polls. Others may come from any thread.
  if (o == wake_origin::self) {
    add(st->wakes[static_cast<std::size_t>(o)], 1);
  } else {
    st->wakes[static_cast<std::size_t>(o)].fetch_add(1, std::memory_order_relaxed);
  }
  return st;
}

namespace {
task_stats* stats_of_strand(const strand* s) noexcept {
  if (s == nullptr) return nullptr;
  task_cell* c = s->cell();
  return c != nullptr ? stats_ptr(c) : nullptr;
}
}  // namespace

void stats_waker_registered(const strand* s) noexcept {
  // A task registers its wakers in its own poll (an awaitable's
  // await_suspend): one writer, as for polls.
  if (task_stats* st = stats_of_strand(s)) add(st->wakers_registered, 1);
}

void stats_waker_released(const strand* s) noexcept {
  if (task_stats* st = stats_of_strand(s))
    st->wakers_released.fetch_add(1, std::memory_order_relaxed);
}

void stats_on_finish(task_cell* c, task_outcome o, std::int64_t now) noexcept {
  const task_cell::rare_fields* r = c->rare_.load(std::memory_order_relaxed);
  if (r == nullptr || !r->stats) return;
  if (now == 0) now = stats_now_ns();
  r->stats->completed_ns.store(now, std::memory_order_relaxed);
  finished_task rec;
  rec.id = c->id_;
  rec.parent = c->parent_id_;
  rec.name = r->name;
  rec.spawn_site = c->spawn_site();
  rec.outcome = o;
  rec.completed_ns = now;
  rec.stats = r->stats;
  finished_tasks::global().push_buffered(std::move(rec));
}

runtime_stats runtime_stats_snapshot(const scheduler* s) {
  runtime_stats out;
  std::lock_guard g(g_registry_mu);
  for (const auto& w : registry()) {
    if (w->owner.expired() || (s != nullptr && w->sched != s)) continue;
    w->poll_duration_ns.merge_into(out.poll_duration_ns);
    w->scheduled_latency_ns.merge_into(out.scheduled_latency_ns);
    ++out.threads;
  }
  return out;
}

}  // namespace lucid::detail
