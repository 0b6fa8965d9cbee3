// Building and shutting down a runtime's scheduler, and queueing tasks:
// schedule(), the injection queue, waking idle workers. See scheduler.hpp for
// the ownership rules and worker.cpp for the worker loop.
#include "scheduler/scheduler.hpp"

#include <algorithm>
#include <string>
#include <system_error>
#include <thread>

#include "context.hpp"
#include "inspect_registry.hpp"
#include "lucid/base/assert.hpp"
#include "lucid/debug/crash_handler.hpp"
#include "lucid/rt/detail/current.hpp"
#include "lucid/trace/context.hpp"
#include "lucid/trace/dispatch.hpp"
#include "task/harness.hpp"
#include "task/panic.hpp"
#include "thread_check.hpp"

namespace lucid::detail {

namespace {

constexpr std::uint32_t kLocalQueueCapacity = 1024;

void flush_trace_before_crash() noexcept {
  lucid::trace::flush();
}

unsigned workers_for(const runtime_options& o) {
  if (o.kind == runtime_options::flavor::current_thread) return 1;
  return o.workers ? o.workers : std::max(1u, std::thread::hardware_concurrency());
}

}  // namespace

scheduler::scheduler(const runtime_options& opts)
    : opts_(opts),
      serial_(next_runtime_serial()),
      driver_(*this, opts.paused_clock, workers_for(opts)),
      live_(workers_for(opts)),
      blocking_(opts.max_blocking_threads) {
  const bool single = opts_.kind == runtime_options::flavor::current_thread;
  LUCID_ASSERT(!(opts_.paused_clock && !single), "a paused clock needs a current_thread runtime");
  const unsigned n = workers_for(opts_);
  for (unsigned i = 0; i < n; ++i) {
    // The single worker of a current_thread runtime grows its queue: nobody
    // steals from it, and overflowing to the injection queue would only add
    // a lock.
    workers_.push_back(std::make_unique<worker>(this, i, kLocalQueueCapacity, single));
  }
  trace::detail::set_task_id_provider(&current_task_id);
  if (opts_.crash_handler) {
    debug::install_crash_handler();
    debug::set_crash_context_provider(&crash_context_of_thread);
    debug::set_pre_crash_hook(&flush_trace_before_crash);
  }
  if (!single) {
    for (auto& w : workers_) {
      worker* wp = w.get();
      try {
        wp->thread = std::thread([this, wp] { worker_main(wp); });
      } catch (const std::system_error& e) {
        // Out of threads or memory (ulimit -u, RLIMIT_AS, a cgroup's pid
        // limit). The workers already started must stop and be joined
        // before the members go: a joinable std::thread would terminate.
        shutdown();
        throw std::system_error(e.code(), "lucid: could not start worker thread " +
                                              std::to_string(wp->index + 1) + " of " +
                                              std::to_string(workers_.size()));
      }
    }
  }
  register_runtime(this);
}

scheduler::~scheduler() {
  unregister_runtime(this);
  shutdown();
}

void scheduler::shutdown() {
  if (shutdown_done_.exchange(true, std::memory_order_acq_rel)) return;
  shutdown_.store(true, std::memory_order_release);
  {
    std::lock_guard l(mu_);
    idle_.drain([](worker*) {});
  }
  for (auto& w : workers_)
    w->park.unpark();
  for (auto& w : workers_) {
    if (w->thread.joinable()) w->thread.join();
  }
  blocking_.shutdown();
  // Forget queued entries: every queued task is also in the live list, and
  // is destroyed below; with shutdown_ set, nothing is queued any more.
  {
    std::lock_guard l(mu_);
    inject_.clear();
  }
  for (auto& w : workers_) {
    w->lifo = nullptr;
    w->deferred.clear();
    w->deferred_local.clear();
    {
      std::lock_guard g(w->pinned_lock);
      w->pinned = w->pinned_tail = nullptr;
      w->pinned_len.store(0, std::memory_order_relaxed);
    }
    task_cell* buf[64];
    while (w->queue.pop_batch(buf, 64) != 0) {
    }
  }
  // Destroy every task still alive, one at a time (destroying one may drop
  // the last handle of another, which then completes and leaves the list).
  context_scope scope(nullptr, this);
  // The workers are gone: this thread destroys what their tasks own
  // (thread-bound values of local tasks too), alone.
  thread_check_exempt_scope exempt;
  while (task_cell* c = live_.any()) {
    // A dump may be reading the task: wait until it is done (RUNNING then
    // keeps new inspections out).
    std::uint32_t s = c->state_.load(std::memory_order_relaxed);
    for (;;) {
      if ((s & st_inspected) != 0) {
        wait_inspection(c);
        s = c->state_.load(std::memory_order_relaxed);
        continue;
      }
      if (c->state_.compare_exchange_weak(s, s | st_running | st_cancelled,
                                          std::memory_order_acq_rel, std::memory_order_relaxed)) {
        break;
      }
    }
    cancel_task(c);
  }
}

worker* scheduler::own_worker() const noexcept {
  worker* w = current_worker();
  return (w != nullptr && w->sched == this) ? w : nullptr;
}

bool scheduler::add_live(task_cell* c) noexcept {
  return live_.add_unless(c, [&] { return shutdown_.load(std::memory_order_acquire); });
}

void scheduler::on_unobserved_panic() noexcept {
  if (opts_.unobserved_panic != panic_policy::shutdown) return;
  panicked_.store(true, std::memory_order_release);
  shutdown_.store(true, std::memory_order_release);
  std::lock_guard l(mu_);
  idle_.drain([](worker* w) { w->park.unpark(); });
  if (parker* p = block_on_parker_.load(std::memory_order_acquire)) p->unpark();
}

void scheduler::leave_sleepers(worker* w) noexcept {
  std::lock_guard l(mu_);
  idle_.remove(w);
}

// ------------------------------------------------------------------ queueing

void scheduler::schedule(task_cell* c, bool local) noexcept {
  if (shutdown_.load(std::memory_order_relaxed)) return;
  worker* w = own_worker();
  if (__builtin_expect(local, 0)) {
    // Only its home worker may run it; it never takes the LIFO slot (whose
    // displaced task is pushed without looking at it).
    push_pinned(c, w);
    return;
  }
  if (w == nullptr) {
    push_inject(c);
    return;
  }
  if (task_cell* running = current_cell(); running != nullptr && running != c) {
    // Spawned or woken by the running task: run it next (hot in cache); the
    // task it displaces goes to the queue, where an idle worker may take it.
    task_cell* prev = w->lifo;
    w->lifo = c;
    if (prev == nullptr) return;
    c = prev;
  }
  push_ring(w, c);
  if (idle_.sleepers() != 0) {
    if (w->batching) {
      w->notify_pending = true;
    } else {
      notify_parked();
    }
  }
}

void scheduler::reschedule(worker* w, task_cell* c) noexcept {
  if (shutdown_.load(std::memory_order_relaxed)) return;
  push_ring(w, c);
  if (idle_.sleepers() != 0) notify_parked();
}

void scheduler::push_ring(worker* w, task_cell* c) noexcept {
  while (!w->queue.try_push(c)) {
    // Full: move half of it to the injection queue, where others can take it.
    task_cell* batch[kLocalQueueCapacity / 2];
    std::uint32_t n = w->queue.pop_batch(batch, w->queue.capacity() / 2);
    if (n == 0) continue;
    for (std::uint32_t i = 0; i + 1 < n; ++i)
      batch[i]->next_ = batch[i + 1];
    std::lock_guard l(mu_);
    inject_.push_batch(batch[0], batch[n - 1], n);
  }
}

void scheduler::push_pinned(task_cell* c, worker* self) noexcept {
  worker* home = workers_[c->home_ - 1].get();
  {
    std::lock_guard g(home->pinned_lock);
    // Shutdown clears the list under this lock after setting shutdown_.
    if (shutdown_.load(std::memory_order_acquire)) return;
    c->next_ = nullptr;
    if (home->pinned_tail != nullptr) {
      home->pinned_tail->next_ = c;
    } else {
      home->pinned = c;
    }
    home->pinned_tail = c;
    home->pinned_len.store(home->pinned_len.load(std::memory_order_relaxed) + 1,
                           std::memory_order_relaxed);
  }
  // The home worker may be parked (or about to park: the parker keeps an
  // unpark that comes first). Only it can run the task.
  if (home != self) home->park.unpark();
}

task_cell* scheduler::take_pinned(worker* w) noexcept {
  std::lock_guard g(w->pinned_lock);
  task_cell* c = w->pinned;
  if (c == nullptr) return nullptr;
  w->pinned = c->next_;
  if (w->pinned == nullptr) w->pinned_tail = nullptr;
  c->next_ = nullptr;
  w->pinned_len.store(w->pinned_len.load(std::memory_order_relaxed) - 1, std::memory_order_relaxed);
  return c;
}

void scheduler::push_inject(task_cell* c) noexcept {
  worker* wake = nullptr;
  {
    std::lock_guard l(mu_);
    if (shutdown_.load(std::memory_order_relaxed)) return;
    inject_.push(c);
    wake = idle_.pop_sleeper();
  }
  if (wake) wake->park.unpark();
}

void scheduler::notify_parked() noexcept {
  if (idle_.searching() != 0) return;
  worker* wake = nullptr;
  {
    std::lock_guard l(mu_);
    wake = idle_.pop_sleeper();
  }
  if (wake) wake->park.unpark();
}

void scheduler::found_work(worker* w) noexcept {
  // The last searcher to find work wakes another, in case more is waiting.
  if (idle_.finish_searching(w) && idle_.sleepers() != 0 &&
      (w->queue.size() > 1 || inject_.len() != 0)) {
    notify_parked();
  }
}

}  // namespace lucid::detail
