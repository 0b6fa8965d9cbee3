// lucid::runtime_handle: a cheap, copyable reference to a running runtime,
// for code that is not a task (a synchronous callback inside a task, a
// library, another thread) but must spawn on it.
//
// Contract: runtime_handle::current() returns the handle of the runtime whose
// task (or worker) calls it; outside any runtime it stops the program with a
// message naming the call site, as spawn() does. A handle keeps the
// runtime's scheduler alive, not its work: once the runtime is destroyed, a
// task spawned through the handle never runs and its join handle throws
// task_aborted; so does awaiting a function given to spawn_blocking, which
// never runs either.
//
// Thread safety: a handle may be copied and used from any thread. block_on
// may not be called from one of the runtime's workers (it would wait for
// itself): that stops the program with the call site.
//
// Example:
//   void on_message(std::string m) {  // a callback, called inside a task
//     lucid::runtime_handle::current().spawn(store(std::move(m)));
//   }
#pragma once

#include <cstddef>
#include <memory>
#include <string_view>
#include <utility>

#include "lucid/base/source_site.hpp"
#include "lucid/rt/join_handle.hpp"
#include "lucid/rt/spawn.hpp"
#include "lucid/rt/task.hpp"

namespace lucid {

namespace detail {
[[noreturn]] void block_on_worker_fatal(source_site site) noexcept;
bool on_worker_thread() noexcept;
/// Waits on the calling thread (not a worker) until t completes, running the
/// runtime's tasks if it is a current_thread runtime.
void block_on_task(scheduler* s, raw_task t);
/// The scheduler of the calling thread, shared; fatal outside a runtime.
std::shared_ptr<scheduler> require_shared_scheduler(source_site site) noexcept;
std::size_t live_task_count(scheduler* s) noexcept;
}  // namespace detail

namespace detail {
struct handle_access;
}

/// A reference to a runtime that spawns on it from anywhere.
class runtime_handle {
 public:
  /// The runtime of the calling task or worker; stops the program outside one.
  static runtime_handle current(source_site site = source_site::current()) {
    return runtime_handle(detail::require_shared_scheduler(site));
  }

  /// Spawns `t` on the runtime (from any thread).
  template <class T>
  join_handle<T> spawn(task<T> t, source_site site = source_site::current()) const {
    return detail::spawn_task(s_.get(), std::move(t), std::string_view(), site);
  }
  /// Spawns a named task (the name shows in dumps, panics and the console).
  template <class T>
  join_handle<T> spawn(std::string_view name, task<T> t,
                       source_site site = source_site::current()) const {
    return detail::spawn_task(s_.get(), std::move(t), name, site);
  }

  /// Runs `fn` on the runtime's blocking pool; await the result in a task.
  template <class F>
  auto spawn_blocking(F fn) const {
    return detail::spawn_blocking_on(s_.get(), std::move(fn));
  }

  /// Runs `t` to completion and returns its value (or rethrows). Not from one
  /// of the runtime's workers.
  template <class T>
  T block_on(task<T> t, source_site site = source_site::current()) const {
    if (detail::on_worker_thread()) detail::block_on_worker_fatal(site);
    join_handle<T> h = spawn(std::string_view("block_on"), std::move(t), site);
    detail::block_on_task(s_.get(), detail::join_access::raw(h));
    return detail::take_result<T>(detail::join_access::raw(h));
  }

  /// Number of tasks alive (spawned and not yet finished).
  std::size_t live_tasks() const noexcept { return detail::live_task_count(s_.get()); }

  friend bool operator==(const runtime_handle& a, const runtime_handle& b) noexcept {
    return a.s_ == b.s_;
  }

 private:
  friend class runtime;
  friend struct detail::handle_access;
  explicit runtime_handle(std::shared_ptr<detail::scheduler> s) noexcept : s_(std::move(s)) {}
  std::shared_ptr<detail::scheduler> s_;
};

namespace detail {
/// For the runtime's own code (lucid::run): the scheduler behind a handle.
struct handle_access {
  static scheduler* get(const runtime_handle& h) noexcept { return h.s_.get(); }
};
}  // namespace detail

}  // namespace lucid
