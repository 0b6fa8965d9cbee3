// lucid::runtime: the scheduler that runs tasks, and the entry points to it.
//
// Contract: a runtime is either current_thread (tasks run on the thread that
// calls block_on) or multi_thread (N worker threads with work stealing).
// Destroying it stops the workers and destroys every task still alive (their
// frames, at their suspension points). Calling block_on from a runtime worker,
// or destroying a runtime from one of its own tasks, stops the program with a
// message naming the call site: both would otherwise deadlock.
//
// Thread safety: block_on, spawn and the destructor may be called from any
// thread that is not one of this runtime's workers.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <utility>

#include "lucid/base/source_site.hpp"
#include "lucid/rt/handle.hpp"
#include "lucid/rt/join_handle.hpp"
#include "lucid/rt/task.hpp"

namespace lucid {

/// What an exception escaping a task that nobody joins does.
enum class panic_policy : std::uint8_t {
  report,    ///< print the panic report and keep running (default)
  shutdown,  ///< print the report and shut the runtime down
};

/// How a runtime is built.
///
/// Example:
///   lucid::run(app(), lucid::runtime_options::current_thread());
struct runtime_options {
  enum class flavor : std::uint8_t { current_thread, multi_thread };

  /// Tasks run on the thread that calls block_on (or lucid::run).
  static runtime_options current_thread(bool paused_clock = false) noexcept {
    runtime_options o;
    o.kind = flavor::current_thread;
    o.paused_clock = paused_clock;
    return o;
  }
  /// `workers` threads (0 = one per core) with work stealing.
  static runtime_options multi_thread(unsigned workers = 0) noexcept {
    runtime_options o;
    o.kind = flavor::multi_thread;
    o.workers = workers;
    return o;
  }

  flavor kind = flavor::multi_thread;
  unsigned workers = 0;                ///< multi_thread: 0 = one per core
  unsigned max_blocking_threads = 64;  ///< bound of the spawn_blocking pool
  bool paused_clock = false;  ///< current_thread only: time moves only by advance() or when idle
  panic_policy unobserved_panic = panic_policy::report;
  bool crash_handler = true;  ///< install lucid's crash handler (lucid/debug/crash_handler.hpp)
  /// Listed by the inspection interface (lucid/rt/detail/inspect.hpp): its
  /// tasks appear in the console, the task dump and the detectors. A tool's
  /// own runtime (the console server's) sets false: it does not show itself,
  /// and starting it does not run the runtime-start hook.
  bool inspectable = true;
};

/// A lucid runtime.
///
/// Example:
///   lucid::runtime rt = lucid::runtime::multi_thread(4);
///   int v = rt.block_on(compute());
class runtime {
 public:
  explicit runtime(runtime_options opts = {});
  ~runtime();
  runtime(runtime&&) noexcept;
  runtime& operator=(runtime&&) noexcept;

  /// A runtime whose tasks run on the thread that calls block_on.
  static runtime current_thread(bool paused_clock = false);
  /// A runtime with `workers` threads (0 = one per core). Throws
  /// std::system_error ("lucid: could not start worker thread i of n") when
  /// the system refuses a thread; the workers already started are stopped.
  static runtime multi_thread(unsigned workers = 0);

  /// Runs `t` to completion on this runtime and returns its value (or rethrows).
  template <class T>
  T block_on(task<T> t, source_site site = source_site::current()) {
    return handle().block_on(std::move(t), site);
  }

  /// Spawns `t` on this runtime (from any thread).
  template <class T>
  join_handle<T> spawn(task<T> t, source_site site = source_site::current()) {
    return detail::spawn_task(s_.get(), std::move(t), std::string_view(), site);
  }
  template <class T>
  join_handle<T> spawn(std::string_view name, task<T> t,
                       source_site site = source_site::current()) {
    return detail::spawn_task(s_.get(), std::move(t), name, site);
  }

  /// A handle to this runtime, to spawn on it from anywhere (see handle.hpp).
  runtime_handle handle() const noexcept { return runtime_handle(s_); }

  /// Number of tasks alive (spawned and not yet finished).
  std::size_t live_tasks() const noexcept;

 private:
  std::shared_ptr<detail::scheduler> s_;
};

}  // namespace lucid
