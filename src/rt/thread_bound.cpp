// Thread-bound values (include/lucid/rt/thread_bound.hpp): the owner
// registry, the migration check of the poll harness, and the report.
//
// State and who touches what:
//   tls_token           the calling thread's own address token (no one else)
//   tls_exempt          set by the thread that runs a runtime's shutdown
//                       while it destroys the remaining tasks (exempt_scope)
//   g_owned, under g_mu task id -> the thread-bound values registered with
//                       that task (count, one creation site): written by
//                       the thread that creates, moves, settles or destroys
//                       a value; read by the worker that polls a task on a
//                       new worker (note_poll_worker)
//   g_registered        how many values are registered (a hint read without
//                       g_mu, so a process without thread-bound values
//                       takes no lock on a migration)
//   task_cell::last_worker_, rare_->moved: the polling worker (cell.hpp)
#include "thread_check.hpp"

#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "context.hpp"
#include "lucid/base/assert.hpp"
#include "lucid/debug/backtrace_format.hpp"
#include "lucid/debug/captured_trace.hpp"
#include "lucid/debug/symbolize.hpp"
#include "lucid/rt/thread_bound.hpp"
#include "scheduler/worker.hpp"
#include "task/cell.hpp"

namespace lucid::detail {

namespace {

thread_local char tls_token = 0;
thread_local bool tls_exempt = false;

struct owned {
  std::uint32_t count = 0;
  const char* type = nullptr;
  source_site created{};
  std::uint16_t worker = 0;
};

std::mutex g_mu;
std::unordered_map<task_id, owned>* g_owned = nullptr;  // leaked: values may die at exit
std::atomic<std::size_t> g_registered{0};

void do_register(bound_origin& o, task_id t) noexcept {
  if (t == 0) return;
  std::lock_guard l(g_mu);
  if (g_owned == nullptr) g_owned = new std::unordered_map<task_id, owned>;
  owned& e = (*g_owned)[t];
  if (e.count++ == 0) e = owned{1, o.type, o.created, o.worker};
  o.task = t;
  g_registered.fetch_add(1, std::memory_order_relaxed);
}

void do_unregister(bound_origin& o) noexcept {
  if (o.task == 0) return;
  std::lock_guard l(g_mu);
  auto it = g_owned->find(o.task);
  if (it != g_owned->end() && --it->second.count == 0) g_owned->erase(it);
  o.task = 0;
  g_registered.fetch_sub(1, std::memory_order_relaxed);
}

std::uint16_t worker_number() noexcept {
  worker* w = current_worker();
  return w != nullptr ? static_cast<std::uint16_t>(w->index + 1) : 0;
}

/// "lucid::thread_bound<int>" out of "const char* lucid::detail::type_tag()
/// [with T = int]" (GCC) or "... [T = int]" (Clang); a local_rc's block
/// gives "lucid::local_rc<int>".
std::string value_name(const char* tag) {
  if (tag == nullptr) return "lucid::thread_bound<?>";
  std::string_view s(tag);
  std::size_t at = s.find("T = ");
  if (at != std::string_view::npos) {
    s.remove_prefix(at + 4);
    s = s.substr(0, s.find_first_of(";]"));
  }
  std::string t(s);
  for (std::string_view ns : {"lucid::checked_threads::", "lucid::unchecked_threads::"}) {
    for (std::size_t p; (p = t.find(ns)) != std::string::npos;)
      t.erase(p, ns.size());
  }
  constexpr std::string_view block = "::block";
  if (t.starts_with("local_rc<") && t.ends_with(block)) {
    return "lucid::" + t.substr(0, t.size() - block.size());
  }
  return "lucid::thread_bound<" + t + ">";
}

std::string site_text(source_site s) {
  if (!s.known()) return "?";
  std::string r = debug::display_path(s.file) + ":" + std::to_string(s.line);
  if (s.function != nullptr) r += std::string(" in ") + s.function;
  return r;
}

std::string thread_text(std::uint16_t worker) {
  if (worker != 0) return "worker " + std::to_string(worker - 1);
  return "thread " + std::to_string(static_cast<long>(::syscall(SYS_gettid))) + " (not a worker)";
}

void put(const std::string& s) {
  std::fwrite(s.data(), 1, s.size(), stderr);
}

/// The task lines of a report: the task and its last move between workers.
std::string task_lines(task_cell* c) {
  if (c == nullptr) return "  task:        none (not inside a lucid task)\n";
  std::string r = "  task:        #" + std::to_string(c->id_);
  if (!c->name().empty()) r += " \"" + std::string(c->name()) + "\"";
  r += ", spawned at " + site_text(c->spawn_site());
  if (c->home_ != 0) r += " (spawn_local)";
  r += "\n";
  const task_cell::rare_fields* rare = c->rare_.load(std::memory_order_acquire);
#if LUCID_CHECK_THREADS
  if (rare != nullptr && rare->moved.from != 0) {
    const task_migration& m = rare->moved;
    r += "  moved:       from worker " + std::to_string(m.from - 1) + " to worker " +
         std::to_string(m.to - 1) + " after the co_await at " +
         site_text(source_site{m.file, m.function, m.line}) + "\n";
  } else {
    r += "  moved:       not between workers (the value came to this thread another way)\n";
  }
#else
  (void)rare;
  r += "  moved:       unknown (lucid's runtime was built with LUCID_CHECK_THREADS=0)\n";
#endif
  return r;
}

const char* const kHelp =
    "  = help: a task that holds a thread-bound value must stay on one thread: spawn it with\n"
    "          lucid::spawn_local(...), which never moves it to another worker\n"
    "  = help: or make the value shareable between threads (std::shared_ptr, a lucid::mutex)\n";

}  // namespace

__attribute__((noinline)) const void* this_thread_token() noexcept {
  return &tls_token;
}

void bound_create(bound_origin& o, const char* type, source_site site) noexcept {
  o.thread = this_thread_token();
  o.type = type;
  o.created = site;
  o.worker = worker_number();
  o.settled = true;
  task_cell* c = current_cell();
  do_register(o, c != nullptr ? c->id_ : 0);
}

void bound_move(bound_origin& o, bound_origin& from, source_site) noexcept {
  o.thread = from.thread;
  o.type = from.type;
  o.created = from.created;
  o.worker = from.worker;
  o.task = 0;
  o.settled = false;  // registers with the task that uses it next
  do_unregister(from);
}

void bound_settle(bound_origin& o) noexcept {
  o.settled = true;
  task_cell* c = current_cell();
  do_register(o, c != nullptr ? c->id_ : 0);
}

void bound_destroy(bound_origin& o) noexcept {
  if (o.thread != nullptr && o.thread != this_thread_token() && !tls_exempt) {
    bound_violation(o, source_site{});
  }
  do_unregister(o);
}

void bound_violation(const bound_origin& o, source_site access) noexcept {
  if (tls_exempt) return;
  task_cell* c = current_cell();
  std::string r = "lucid: " + value_name(o.type) + " used on a thread that does not own it\n";
  r += "  created at:  " + site_text(o.created) + ", on " + thread_text(o.worker) + "\n";
  std::string where;
  if (access.known()) {
    where = site_text(access);
  } else {
    // operator*, operator-> or a local_rc copy/release: the caller's frame.
    debug::captured_trace t = debug::capture_current(1);
    auto frames = debug::symbolize(t.frames());
    if (const debug::symbolized_frame* f = debug::first_user_frame(frames)) {
      where = debug::display_path(f->file) + ":" + std::to_string(f->line) + " in " + f->function;
    } else {
      where = "? (no user frame in the backtrace)";
    }
  }
  r += "  accessed at: " + where + ", on " + thread_text(worker_number()) + "\n";
  r += task_lines(c);
  r += kHelp;
  put(r);
  std::fflush(stderr);
  std::abort();
}

void note_migration(task_cell* c, std::uint16_t to) noexcept {
#if LUCID_CHECK_THREADS
  if (c->home_ != 0 && c->home_ != to) {
    fatal("a spawn_local task was polled on a worker other than its own (a lucid bug)", __FILE__,
          __LINE__, __func__);
  }
  const std::uint16_t from = c->last_worker_;
  c->last_worker_ = to;
  if (from == 0 || from == to) return;
  const promise_base* leaf = c->root_.leaf;
  const await_point a = leaf->site();
  c->rare().moved = task_migration{from, to, a.file, a.function, a.line};
  if (g_registered.load(std::memory_order_relaxed) == 0) return;
  owned e;
  {
    std::lock_guard l(g_mu);
    if (g_owned == nullptr) return;
    auto it = g_owned->find(c->id_);
    if (it == g_owned->end()) return;
    e = it->second;
  }
  std::string r = "lucid: a task that owns a " + value_name(e.type) + " moved to another worker\n";
  r += "  created at:  " + site_text(e.created) + ", on " + thread_text(e.worker) + "\n";
  r += "  detected:    when the task was next polled, on worker " + std::to_string(to - 1) +
       " (before it used the value there)\n";
  r += task_lines(c);
  r += kHelp;
  put(r);
  std::fflush(stderr);
  std::abort();
#else
  (void)c;
  (void)to;
#endif
}

void poll_on_worker(task_cell* c) noexcept {
  note_migration(c, worker_number());
}

thread_check_exempt_scope::thread_check_exempt_scope() noexcept : prev_(tls_exempt) {
  tls_exempt = true;
}
thread_check_exempt_scope::~thread_check_exempt_scope() {
  tls_exempt = prev_;
}

}  // namespace lucid::detail
