// The task state transitions that any thread may make (wake, abort, release)
// and the cell's memory. The state machine is documented in
// task/cell.hpp; polling is in harness.hpp.
#include <new>

#include "context.hpp"
#include "inspect_registry.hpp"
#include "lucid/base/assert.hpp"
#include "lucid/rt/detail/frame_alloc.hpp"
#include "lucid/rt/observer.hpp"
#include "scheduler/scheduler.hpp"
#include "task/cell.hpp"
#include "task/panic.hpp"
#include "task/stats.hpp"

namespace lucid::detail {

namespace {
/// Reports a wake of c to the observers and counts it in c's stats; c's
/// stats block (or null) for the queued time.
[[gnu::noinline]] task_stats* instrument_wake(task_cell* c) noexcept {
  task_cell* cur = current_cell();
  wake_origin o = cur == c                      ? wake_origin::self
                  : cur != nullptr              ? wake_origin::other_task
                  : current_worker() != nullptr ? wake_origin::runtime
                                                : wake_origin::external;
  LUCID_OBSERVE(on_wake, c->id_, o, cur ? cur->id_ : 0);
  return task_stats_enabled() ? stats_count_wake(c, o) : nullptr;
}
}  // namespace

void task_cell::wake() noexcept {
  task_stats* stats = nullptr;
  // One branch for both (bitwise on purpose: two loads, no second branch).
  if (__builtin_expect(static_cast<int>(observing(observer_events::on_wake)) |
                           static_cast<int>(task_stats_enabled()),
                       0))
    stats = instrument_wake(this);
  std::uint32_t s = state_.load(std::memory_order_relaxed);
  for (;;) {
    if (s & (st_complete | st_notified)) return;
    std::uint32_t ns = s | st_notified;
    if (state_.compare_exchange_weak(s, ns, std::memory_order_acq_rel, std::memory_order_relaxed)) {
      if (!(s & st_running)) {
        // relaxed: the queue push below publishes it to the poller.
        if (stats != nullptr) stats->queued_ns.store(stats_now_ns(), std::memory_order_relaxed);
        sched_->schedule(this, (s & st_local) != 0);
      }
      return;
    }
  }
}

void task_cell::wake_yielded() noexcept {
  LUCID_OBSERVE(on_wake, id_, wake_origin::self, id_);
  if (__builtin_expect(task_stats_enabled(), 0)) stats_count_wake(this, wake_origin::self);
  // The task is RUNNING (yield_now runs inside its poll): no queueing here;
  // the poll harness reads both bits back when the poll ends. relaxed: only
  // this thread reads them before the poll's release.
  std::uint32_t s = state_.load(std::memory_order_relaxed);
  while (!state_.compare_exchange_weak(s, s | st_notified | st_yielded, std::memory_order_relaxed,
                                       std::memory_order_relaxed)) {
  }
  LUCID_ASSERT(s & st_running, "yield_now outside its task's poll");
}

void task_cell::abort() noexcept {
  std::uint32_t s = state_.load(std::memory_order_relaxed);
  for (;;) {
    if (s & (st_complete | st_cancelled)) return;
    std::uint32_t ns = s | st_cancelled | st_notified;
    if (state_.compare_exchange_weak(s, ns, std::memory_order_acq_rel, std::memory_order_relaxed)) {
      if (!(s & (st_running | st_notified))) sched_->schedule(this, (s & st_local) != 0);
      return;
    }
  }
}

void task_cell::release() noexcept {
  // acq_rel: the last owner sees every write of the others before freeing.
  if ((state_.fetch_sub(st_ref_one, std::memory_order_acq_rel) & st_ref_mask) == st_ref_one)
    destroy_cell(this);
}

void* task_cell::operator new(std::size_t n) {
  return frame_alloc(n);
}
void task_cell::operator delete(void* p, std::size_t n) noexcept {
  frame_free(p, n);
}

task_cell::rare_fields& task_cell::rare() {
  rare_fields* r = rare_.load(std::memory_order_relaxed);
  if (r == nullptr) {
    r = new rare_fields;
    // release: a reader on another thread (a dump, a joiner) sees the fields' init.
    rare_.store(r, std::memory_order_release);
  }
  return *r;
}

void report_if_unobserved(task_cell* c) noexcept {
  if (c->outcome_ == task_outcome::exception && !c->panic_reported_) {
    // The task ended with an exception and no handle is left to observe it.
    c->panic_reported_ = true;
    report_unobserved_panic(c);
    // Not through c->sched_: a handle dropped after its runtime was destroyed
    // reports here too, and then there is no runtime left to apply the policy to.
    with_live_runtime(c->rare_.load(std::memory_order_acquire)->runtime_serial,
                      [](scheduler& s) noexcept { s.on_unobserved_panic(); });
  }
}

void destroy_cell(task_cell* c) noexcept {
  report_if_unobserved(c);
  if (c->frame_live_) c->root_frame().destroy();
  if (c->result_ != nullptr) c->result_->drop(c->result_);  // only a task<T> has a box
  if (task_cell::rare_fields* r = c->rare_.load(std::memory_order_relaxed)) {
    if (r->chain != nullptr) free_panic_chain(r->chain);
    delete r;
  }
  delete c;
}

void extract_outcome(task_cell* c) noexcept {
  promise_base* root = c->root_.leaf;  // the root frame: it has finished
  std::coroutine_handle<> f = root->handle();
  // A value was boxed by the frame's final suspend (set_task_result).
  if (root->threw()) {
    task_cell::rare_fields& r = c->rare();
    r.exception = std::move(root->exception());
    r.runtime_serial = c->sched_->serial();
  }
  c->frame_live_ = false;
  f.destroy();
}

void set_task_result(strand* root, result_box* b) noexcept {
  // The task is running (its root frame is at final suspend), so it is in no
  // queue: the word shared with next_ is free (see cell.hpp).
  root->cell()->result_ = b;
}

task_id task_id_of(const strand* s) noexcept {
  task_cell* c = s != nullptr ? s->cell() : nullptr;
  return c != nullptr ? c->id_ : 0;
}

namespace {
/// Marks the branch strands from s up ready; returns the task's root strand.
strand* mark_ready_to_root(strand* s) noexcept {
  while (strand* up = s->parent()) {
    // release: the branch's poller (the same task, maybe on another worker) sees the wake.
    s->ready.store(true, std::memory_order_release);
    s = up;
  }
  return s;
}
}  // namespace

void strand::wake() noexcept {
  mark_ready_to_root(this)->cell()->wake();
}

void strand::yield() noexcept {
  mark_ready_to_root(this)->cell()->wake_yielded();
}

}  // namespace lucid::detail
