// lucid::runtime: building a runtime, block_on and spawn from outside it, and
// the checks that stop the program on misuse (block_on on a worker,
// destroying a runtime from its own task, spawning outside a runtime).
#include "lucid/rt/runtime.hpp"

#include <cstdio>

#include "context.hpp"
#include "lucid/base/assert.hpp"
#include "lucid/base/source_path.hpp"
#include "lucid/rt/spawn.hpp"
#include "scheduler/scheduler.hpp"
#include "task/cell.hpp"

namespace lucid {

namespace detail {

bool on_worker_thread() noexcept {
  return current_worker() != nullptr;
}

[[noreturn]] void block_on_worker_fatal(source_site site) noexcept {
  // The path as every other report prints it (relative to the source tree).
  const char* file = site.file ? source_path(site.file) : "?";
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "block_on called on a runtime worker thread at %s:%u (in %s): the worker would "
                "wait for itself; use co_await instead",
                file, site.line, site.function ? site.function : "?");
  fatal(buf, file, static_cast<int>(site.line), site.function ? site.function : "?");
}

void block_on_task(scheduler* s, raw_task t) {
  task_cell* c = raw_task_access::cell(t);
  s->block_until_complete(c);
  if (!c->is_complete()) s->shutdown();  // shut down by a panic policy: cancels the root too
}

std::shared_ptr<scheduler> require_shared_scheduler(source_site site) noexcept {
  scheduler* s = current_scheduler();
  if (s == nullptr) {
    fatal(
        "runtime_handle::current() called outside a lucid runtime (call it from a task, or "
        "keep the handle of runtime::handle())",
        site.file ? site.file : "?", static_cast<int>(site.line),
        site.function ? site.function : "?");
  }
  return s->shared_from_this();
}

std::size_t live_task_count(scheduler* s) noexcept {
  return s->live_count();
}

scheduler* require_scheduler(source_site site) noexcept {
  scheduler* s = current_scheduler();
  if (s == nullptr) {
    fatal("spawn called outside a lucid runtime (use runtime::spawn or call it from a task)",
          site.file ? site.file : "?", static_cast<int>(site.line),
          site.function ? site.function : "?");
  }
  return s;
}

scheduler* require_local_worker(source_site site) noexcept {
  worker* w = current_worker();
  if (w == nullptr || current_cell() == nullptr) {
    fatal(
        "spawn_local called outside a task on a lucid worker (a local task stays on the worker "
        "that spawns it: call it from a task)",
        site.file ? site.file : "?", static_cast<int>(site.line),
        site.function ? site.function : "?");
  }
  return w->sched;
}

bool submit_blocking(scheduler* s, std::function<void()> job) {
  return s->blocking().submit(std::move(job));
}

}  // namespace detail

runtime::runtime(runtime_options opts) : s_(std::make_shared<detail::scheduler>(opts)) {}

runtime::~runtime() {
  if (!s_) return;
  detail::worker* w = detail::current_worker();
  if (w != nullptr && w->sched == s_.get()) {
    detail::fatal(
        "a lucid runtime was destroyed from inside one of its own tasks (it would wait for "
        "itself); destroy it from the thread that created it",
        __FILE__, __LINE__, __func__);
  }
  s_->shutdown();
}

runtime::runtime(runtime&&) noexcept = default;
runtime& runtime::operator=(runtime&&) noexcept = default;

runtime runtime::current_thread(bool paused_clock) {
  return runtime(runtime_options::current_thread(paused_clock));
}

runtime runtime::multi_thread(unsigned workers) {
  return runtime(runtime_options::multi_thread(workers));
}

std::size_t runtime::live_tasks() const noexcept {
  return s_ ? s_->live_count() : 0;
}

std::optional<task_info> current_task() noexcept {
  detail::task_cell* c = detail::current_cell();
  if (c == nullptr) return std::nullopt;
  return task_info{c->id_, c->name(), c->spawn_site(), c->parent_id_};
}

}  // namespace lucid
