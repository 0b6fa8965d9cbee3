// lucid::runtime and the out-of-line parts of spawn, join_handle and the
// instrumentation hooks.
#include "lucid/rt/runtime.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>

#include "lucid/base/assert.hpp"
#include "lucid/rt/instrument.hpp"
#include "lucid/rt/spawn.hpp"
#include "panic.hpp"
#include "scheduler.hpp"

namespace lucid {

namespace detail {

std::atomic<instrument*> g_instrument{nullptr};
namespace {
std::atomic<std::uint64_t> g_next_resource{1};
}
std::uint64_t next_resource_id() noexcept {
  return g_next_resource.fetch_add(1, std::memory_order_relaxed);
}

bool on_worker_thread() noexcept {
  return current_worker() != nullptr;
}

[[noreturn]] void block_on_worker_fatal(source_site site) noexcept {
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "block_on called on a runtime worker thread at %s:%u (in %s): the worker would "
                "wait for itself; use co_await instead",
                site.file ? site.file : "?", site.line, site.function ? site.function : "?");
  fatal(buf, site.file ? site.file : "?", static_cast<int>(site.line),
        site.function ? site.function : "?");
}

void block_on_cell(scheduler* s, task_cell* c) {
  s->block_until_complete(c);
  if (!c->is_complete()) s->shutdown();  // shut down by a panic policy: cancels the root too
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

void submit_blocking(scheduler* s, std::function<void()> job) {
  s->blocking().submit(std::move(job));
}

void detach_handle(task_cell* c) noexcept {
  std::uint32_t prev = c->state_.fetch_or(st_detached, std::memory_order_acq_rel);
  if ((prev & st_complete) && c->outcome_ == task_outcome::exception && !c->panic_reported_) {
    // The task ended with an exception that nobody will now observe.
    c->panic_reported_ = true;
    report_unobserved_panic(c);
    c->sched_->on_unobserved_panic();
  }
  c->release();
}

bool join_register(task_cell* c, strand* waiter) noexcept {
  std::lock_guard g(c->join_lock_);
  if (c->is_complete()) return false;
  c->joiner_ = reinterpret_cast<std::uintptr_t>(waiter);
  LUCID_HOOK(on_waker_registered, waiter->cell ? waiter->cell->id_ : 0, c);
  return true;
}

void join_deregister(task_cell* c, strand* waiter) noexcept {
  std::lock_guard g(c->join_lock_);
  if (c->joiner_ == reinterpret_cast<std::uintptr_t>(waiter)) {
    c->joiner_ = 0;
    LUCID_HOOK(on_waker_released, waiter->cell ? waiter->cell->id_ : 0, c);
  }
}

void join_check_cancelled(task_cell* c) {
  if (c->outcome_ == task_outcome::cancelled) throw task_aborted();
}

}  // namespace detail

std::string_view to_string(resource_kind k) noexcept {
  switch (k) {
    case resource_kind::mutex:
      return "mutex";
    case resource_kind::rw_lock:
      return "rw_lock";
    case resource_kind::semaphore:
      return "semaphore";
    case resource_kind::notify:
      return "notify";
    case resource_kind::oneshot:
      return "oneshot";
    case resource_kind::mpsc:
      return "mpsc";
    case resource_kind::timer:
      return "timer";
    case resource_kind::join_handle:
      return "join_handle";
    case resource_kind::io:
      return "io";
    case resource_kind::other:
      return "other";
  }
  return "?";
}
std::string_view to_string(wake_origin o) noexcept {
  switch (o) {
    case wake_origin::self:
      return "self";
    case wake_origin::other_task:
      return "other_task";
    case wake_origin::runtime:
      return "runtime";
    case wake_origin::external:
      return "external";
  }
  return "?";
}
std::string_view to_string(task_outcome o) noexcept {
  switch (o) {
    case task_outcome::value:
      return "value";
    case task_outcome::exception:
      return "exception";
    case task_outcome::cancelled:
      return "cancelled";
  }
  return "?";
}

instrument* set_instrument(instrument* i) noexcept {
  return detail::g_instrument.exchange(i, std::memory_order_acq_rel);
}

runtime::runtime(runtime_options opts) : s_(std::make_unique<detail::scheduler>(opts)) {}

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
  runtime_options o;
  o.kind = runtime_options::flavor::current_thread;
  o.paused_clock = paused_clock;
  return runtime(o);
}

runtime runtime::multi_thread(unsigned workers) {
  runtime_options o;
  o.kind = runtime_options::flavor::multi_thread;
  o.workers = workers;
  return runtime(o);
}

std::size_t runtime::live_tasks() const noexcept {
  return s_ ? s_->live_count() : 0;
}

std::optional<task_info> current_task() noexcept {
  detail::task_cell* c = detail::current_cell();
  if (c == nullptr) return std::nullopt;
  return task_info{c->id_, c->name(), c->spawn_site_, c->parent_id_};
}

}  // namespace lucid

#include "lucid/rt/run.hpp"

#include <optional>
#include <vector>

#include "lucid/debug/panic_report.hpp"

namespace lucid {

namespace {
template <class T>
int run_main(task<T> t, runtime_options opts) {
  std::optional<runtime> rt(std::in_place, opts);
  join_handle<T> h = rt->spawn("main", std::move(t));
  detail::block_on_cell(rt->scheduler(), h.cell());
  detail::task_cell* c = h.cell();
  if (c->outcome_ == task_outcome::exception) {
    // Report after the workers stopped, naming the root task, and exit 101.
    std::exception_ptr e = c->exception();
    c->panic_reported_ = true;
    detail::panic_origin o = detail::origin_of(c);
    std::string name(o.task.name);
    debug::task_info info{o.task.id, name, o.task.spawn_site};
    std::vector<debug::await_frame> chain(o.chain.begin(), o.chain.end());
    h.detach();
    rt.reset();
    debug::panic_context ctx;
    ctx.task = &info;
    ctx.async_backtrace = chain;
    debug::exit_on_panic(e, ctx);
  }
  if (c->outcome_ == task_outcome::cancelled && rt->scheduler()->panicked()) {
    // An unobserved panic shut the runtime down (panic_policy::shutdown); its
    // report is out already.
    h.detach();
    rt.reset();
    std::exit(debug::panic_exit_status);
  }
  if constexpr (std::is_void_v<T>) {
    detail::take_result<void>(c);
    return 0;
  } else {
    return detail::take_result<T>(c);
  }
}
}  // namespace

int run(task<int> main_task, runtime_options opts) {
  return run_main(std::move(main_task), opts);
}
int run(task<void> main_task, runtime_options opts) {
  return run_main(std::move(main_task), opts);
}

}  // namespace lucid
