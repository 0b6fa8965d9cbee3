// Spawning: a new task cell for a root coroutine frame, given an id, a parent,
// a trace context, recorded as live and queued (raw_task::spawn). See
// task/cell.hpp for the fields it initialises.
#include <atomic>

#include "context.hpp"
#include "lucid/rt/observer.hpp"
#include "lucid/trace/context.hpp"
#include "scheduler/scheduler.hpp"
#include "scheduler/worker.hpp"
#include "task/cell.hpp"
#include "task/harness.hpp"
#include "task/sites.hpp"
#include "task/stats.hpp"

namespace lucid::detail {

namespace {
std::atomic<task_id> g_next_task_id{1};
}

raw_task raw_task::spawn(scheduler* s, promise_base* root, std::string_view name, source_site site,
                         bool joinable, bool local) {
  auto* c = new task_cell;
  if (local) c->home_ = static_cast<std::uint16_t>(current_worker()->index + 1);
  c->state_.store(st_notified | (joinable ? 2 * st_ref_one : st_ref_one | st_detached) |
                      (local ? st_local : 0u),
                  std::memory_order_relaxed);
  c->sched_ = s;
  c->frame_live_ = true;
  c->root_.leaf = root;
  c->root_.set_task(c);
  root->set_strand(&c->root_);
  c->id_ = g_next_task_id.fetch_add(1, std::memory_order_relaxed);
  task_cell* parent = current_cell();
  c->parent_id_ = parent ? parent->id_ : 0;
  c->spawn_site_ = intern_site(site);
  if (!name.empty()) c->rare().name.assign(name);
  // A tool's own runtime (not inspectable) is not measured either.
  if (__builtin_expect(task_stats_enabled(), 0) && s->options().inspectable) stats_on_spawn(c);
  // A task spawned inside a span gets a span stack whose base is that span;
  // others get one only if they need it (see leave_trace_context).
  trace::span_id parent_span =
      trace::detail::any_span_entered() ? trace::detail::current_span_id() : 0;
  if (parent_span != 0) c->trace_context_ = trace::detail::create_span_stack(true);
  LUCID_OBSERVE(on_spawn, spawn_info{c->id_, c->name(), site, c->parent_id_, parent_span});
  if (!s->add_live(c)) {
    // The runtime is shutting down: the task never runs (its join handle
    // reports it aborted), as if it had been aborted at once.
    c->state_.fetch_or(st_running | st_cancelled, std::memory_order_acq_rel);
    cancel_task(c);
    return raw_task(joinable ? c : nullptr);
  }
  s->schedule(c, local);
  return raw_task(joinable ? c : nullptr);
}

}  // namespace lucid::detail
