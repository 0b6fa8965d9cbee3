// The worker loop: find the next task (LIFO slot, local queue, injection
// queue, stealing), poll it, park when there is nothing to do. See
// scheduler.hpp for the ownership rules and worker.hpp for what a worker owns.
#include <pthread.h>

#include <algorithm>
#include <cstdio>

#include "context.hpp"
#include "lucid/base/assert.hpp"
#include "lucid/debug/crash_handler.hpp"
#include "scheduler/scheduler.hpp"
#include "task/harness.hpp"

namespace lucid::detail {

namespace {
constexpr std::uint32_t kGlobalQueueInterval = 61;  // check inject/timers/I/O every N polls
constexpr std::uint32_t kMaxLifoPolls = 3;
constexpr std::uint32_t kInjectBatch = 32;
constexpr std::uint32_t kPinnedBurst = 32;  // local tasks run in a row by maintenance
}  // namespace

void scheduler::worker_main(worker* w) {
  char name[16];
  std::snprintf(name, sizeof name, "lucid-worker-%u", w->index);
  pthread_setname_np(pthread_self(), name);
  if (opts_.crash_handler) debug::ensure_alt_stack();
  context_scope scope(w, this);
  run_loop(w, nullptr);
}

void scheduler::run_loop(worker* w, task_cell* stop_when_complete) {
  for (;;) {
    if (stop_when_complete != nullptr && stop_when_complete->is_complete()) return;
    if (shutdown_.load(std::memory_order_acquire)) return;
    task_cell* c = next_task(w);
    if (c == nullptr) {
      w->stats_clock_ns = 0;  // timers, stealing or parking come before the next poll
      if (driver_.fire_timers()) continue;
      c = steal(w);
    }
    if (c != nullptr) {
      found_work(w);
      run_task(w, c);
      continue;
    }
    park_worker(w, stop_when_complete);
  }
}

void scheduler::run_task(worker* w, task_cell* c) noexcept {
  switch (poll_task(c, w->stats_clock_ns)) {
    case poll_result::notified:
      reschedule(w, c);
      break;
    case poll_result::notified_local:
      push_pinned(c, w);
      break;
    case poll_result::yielded:
      // Behind the runnable tasks and whatever due timers and ready I/O wake
      // (see run_deferred); shutdown clears the list.
      w->deferred.push_back(c);
      break;
    case poll_result::yielded_local:
      w->deferred_local.push_back(c);  // flushed to the pinned list
      break;
    case poll_result::idle:
    case poll_result::finished:
      break;
  }
}

void scheduler::flush_deferred(worker* w) noexcept {
  for (task_cell* c : w->deferred)
    push_ring(w, c);
  w->deferred.clear();
  if (__builtin_expect(!w->deferred_local.empty(), 0)) {
    for (task_cell* c : w->deferred_local)
      push_pinned(c, w);
    w->deferred_local.clear();
  }
}

task_cell* scheduler::take_inject(worker* w) noexcept {
  if (inject_.len() == 0) return nullptr;
  w->stats_clock_ns = 0;  // the lock may wait: the next poll reads the clock
  std::lock_guard l(mu_);
  // Take a batch (the first to run now, the rest into the local queue),
  // leaving some for other workers.
  std::size_t want = std::min<std::size_t>(kInjectBatch, inject_.len() / workers_.size());
  task_cell* first = inject_.pop();
  if (first == nullptr) return nullptr;
  while (want > 1 && w->queue.size() < w->queue.capacity() / 2) {
    task_cell* c = inject_.pop();
    if (c == nullptr) break;
    w->queue.try_push(c);
    --want;
  }
  return first;
}

__attribute__((noinline)) task_cell* scheduler::maintenance(worker* w) noexcept {
  w->stats_clock_ns = 0;  // timers and I/O may run before the next poll
  if (w->pinned_burst != 0) {
    // Running local tasks back to back: stepping `tick` back brings the
    // next poll here again, so the hot path in next_task has no extra test.
    if (task_cell* c = take_pinned(w)) {
      if (--w->pinned_burst != 0) --w->tick;
      return c;
    }
    w->pinned_burst = 0;
    return nullptr;
  }
  driver_.fire_timers();
  driver_.poll_io();
  // Tasks that keep waking each other must not starve the ones that yielded.
  flush_deferred(w);
  // Nor the local tasks, which only this worker runs: a burst of them
  // follows, from the next poll on.
  if (w->pinned_len.load(std::memory_order_relaxed) != 0) {
    w->pinned_burst = kPinnedBurst;
    --w->tick;
  }
  return take_inject(w);
}

__attribute__((noinline)) task_cell* scheduler::run_deferred(worker* w) noexcept {
  // Only tasks that yielded are left: let due timers and ready I/O wake
  // their tasks first, so a yielding task never starves them (tokio's
  // "defer" does the same), then run the yielders again.
  w->stats_clock_ns = 0;
  driver_.fire_timers();
  driver_.poll_io();
  flush_deferred(w);
  if (task_cell* c = w->queue.pop()) return c;
  return take_pinned(w);  // the yielders were local tasks
}

// The common path (LIFO slot, then the local queue) stays small; the rare
// ones are out of line.
task_cell* scheduler::next_task(worker* w) noexcept {
  ++w->tick;
  if (w->tick % kGlobalQueueInterval == 0) {
    if (task_cell* c = maintenance(w)) return c;
  }
  if (w->lifo != nullptr) {
    if (w->lifo_polls < kMaxLifoPolls) {
      ++w->lifo_polls;
      return std::exchange(w->lifo, nullptr);
    }
    push_ring(w, std::exchange(w->lifo, nullptr));
  }
  w->lifo_polls = 0;
  if (task_cell* c = w->queue.pop()) return c;
  if (w->pinned_len.load(std::memory_order_relaxed) != 0) {
    if (task_cell* c = take_pinned(w)) return c;
  }
  if (task_cell* c = take_inject(w)) return c;
  return w->deferred.empty() && w->deferred_local.empty() ? nullptr : run_deferred(w);
}

task_cell* scheduler::steal(worker* w) noexcept {
  const std::size_t n = workers_.size();
  if (n < 2) return nullptr;
  w->rng ^= w->rng << 13;
  w->rng ^= w->rng >> 17;
  w->rng ^= w->rng << 5;
  std::size_t start = w->rng % n;
  for (std::size_t i = 0; i < n; ++i) {
    worker* v = workers_[(start + i) % n].get();
    if (v == w) continue;
    if (task_cell* c = v->queue.steal_into(w->queue)) return c;
  }
  return nullptr;
}

void scheduler::park_worker(worker* w, task_cell* stop_when_complete) {
  {
    std::unique_lock l(mu_);
    if (!inject_.empty() || shutdown_.load(std::memory_order_relaxed)) return;
    if (w->pinned_len.load(std::memory_order_relaxed) != 0) return;
    if (stop_when_complete != nullptr && stop_when_complete->is_complete()) return;
    idle_.add_sleeper(w);
  }
  // Someone may have pushed to a local queue while we registered: look once more.
  bool work = false;
  for (auto& v : workers_) {
    if (v.get() != w && v->queue.size() > 1) work = true;
  }
  if (!work && driver_.paused() && blocking_.in_flight() == 0) {
    // Paused clock: if no I/O is ready either, nothing can happen but timers,
    // so jump to the next deadline.
    switch (driver_.auto_advance(w)) {
      case driver::advanced::io_dispatched:
        return;  // it left the sleeper list
      case driver::advanced::timers_fired:
        work = true;
        break;
      case driver::advanced::nothing:
        break;
    }
  }
  if (!work) {
    if (driver_.park(w)) return;  // slept as the driver; it left the sleeper list
    w->park.park();
  }
  leave_sleepers(w);
}

void scheduler::block_until_complete(task_cell* root) {
  if (opts_.kind == runtime_options::flavor::current_thread) {
    worker* w = workers_[0].get();
    context_scope scope(w, this);
    run_loop(w, root);
    return;
  }
  // multi_thread: sleep until finish_task() unparks us, or the runtime shuts down.
  known_thread_scope known;  // this thread only waits for a task: the runtime knows it
  parker p;
  {
    std::lock_guard g(root->join_lock_);
    if (root->is_complete()) return;
    LUCID_ASSERT(root->joiner_ == 0, "block_on on a task that is already joined");
    root->joiner_ = reinterpret_cast<std::uintptr_t>(&p) | 1;
  }
  block_on_parker_.store(&p, std::memory_order_release);
  while (!root->is_complete() && !is_shutting_down())
    p.park();
  block_on_parker_.store(nullptr, std::memory_order_release);
  std::lock_guard g(root->join_lock_);
  root->joiner_ = 0;
}

}  // namespace lucid::detail
