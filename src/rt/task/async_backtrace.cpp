// Await chains: lucid::async_backtrace, the chain recorded for panics, and the
// crash handler's context provider.
#include "lucid/rt/async_backtrace.hpp"

#include "context.hpp"
#include "lucid/debug/backtrace_format.hpp"
#include "scheduler/scheduler.hpp"
#include "task/panic.hpp"

namespace lucid {

namespace detail {

/// Where an escaping exception came from: the task it was thrown in (which
/// may be another task, when it crossed a join handle) and that task's await
/// chain at the first frame the exception left.
struct task_cell::panic_chain {
  std::exception_ptr exception;
  std::uint64_t origin_id = 0;
  std::string origin_name;
  source_site origin_site;
  std::vector<debug::await_frame> frames;
};

namespace {
/// Walks from frame p, the frame that runs (every caller captures the chain
/// from inside the task), outwards: up the strand, then into the frame that
/// awaits the combinator owning the strand. Calls f(frame) innermost first;
/// p is marked running, the frames further out are suspended at their
/// co_await. Stops after `max` frames. No allocation, no locks.
template <class F>
void walk_chain(const promise_base* p, std::size_t max, F&& f) noexcept {
  std::size_t n = 0;
  while (p != nullptr && n < max) {
    const await_point a = p->site();
    f(debug::await_frame{a.function, a.file, a.line, n == 0});
    ++n;
    if (p->parent_ != nullptr) {
      p = p->parent_;
    } else if (p->strand() != nullptr && p->strand()->parent() != nullptr) {
      p = p->strand()->parent()->leaf;
    } else {
      p = nullptr;
    }
  }
}
}  // namespace

void note_unhandled_exception(promise_base* p, const std::exception_ptr& e) noexcept {
  task_cell* c = p->strand() != nullptr ? p->strand()->cell() : nullptr;
  if (c == nullptr) return;
  try {
    task_cell::rare_fields& r = c->rare();
    if (r.chain != nullptr && r.chain->exception == e) return;
    if (r.chain == nullptr) r.chain = new task_cell::panic_chain;
    r.chain->exception = e;
    r.chain->origin_id = c->id_;
    r.chain->origin_name.assign(c->name());
    r.chain->origin_site = c->spawn_site();
    r.chain->frames.clear();
    walk_chain(p, 256, [&](const debug::await_frame& f) { r.chain->frames.push_back(f); });
  } catch (...) {
    // Out of memory while reporting: the report will have no async backtrace.
  }
}

void inherit_panic_origin(const task_cell* from) noexcept {
  task_cell* to = current_cell();
  if (to == nullptr || to == from || from->chain() == nullptr ||
      from->chain()->exception != from->exception()) {
    return;
  }
  try {
    task_cell::rare_fields& r = to->rare();
    if (r.chain == nullptr) r.chain = new task_cell::panic_chain;
    *r.chain = *from->chain();
  } catch (...) {
  }
}

panic_origin origin_of(const task_cell* c) noexcept {
  if (c->chain() == nullptr || c->chain()->exception != c->exception()) {
    return panic_origin{debug::task_info{c->id_, c->name(), c->spawn_site()}, {}};
  }
  const auto& pc = *c->chain();
  return panic_origin{debug::task_info{pc.origin_id, pc.origin_name, pc.origin_site}, pc.frames};
}

void free_panic_chain(task_cell::panic_chain* chain) noexcept {
  delete chain;
}

void crash_context_of_thread(debug::crash_context& out) noexcept {
  task_cell* c = current_cell();
  if (c == nullptr) return;
  out.in_task = true;
  out.task_id = c->id_;
  out.task_name = c->name();
  out.spawn_site = c->spawn_site();
  out.await_count = 0;
  walk_chain(running_frame(c), debug::crash_context::max_awaits + 1,
             [&](const debug::await_frame& f) {
               if (out.await_count < debug::crash_context::max_awaits) {
                 out.awaits[out.await_count++] = f;
               } else {
                 out.awaits_truncated = true;
               }
             });
}

}  // namespace detail

std::vector<debug::await_frame> async_backtrace() {
  std::vector<debug::await_frame> out;
  detail::task_cell* c = detail::current_cell();
  if (c == nullptr) return out;
  detail::walk_chain(detail::running_frame(c), 1024,
                     [&](const debug::await_frame& f) { out.push_back(f); });
  return out;
}

std::string format_async_backtrace() {
  auto frames = async_backtrace();
  return debug::format_async_backtrace(frames, debug::report_options::from_env(2));
}

}  // namespace lucid
