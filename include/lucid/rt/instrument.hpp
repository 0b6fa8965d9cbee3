// lucid::instrument: the one interface through which the runtime reports
// what it does (spawns, polls, wake-ups, resources). The console and the
// tracing layers implement it; rt does not know who listens.
//
// Contract: at most one instrument is installed per process
// (lucid::set_instrument). With none installed, each event costs one relaxed
// load and one predictable branch. Callbacks run on the thread where the event
// happens (a worker, a blocking-pool thread, or a foreign thread waking a
// task), possibly concurrently: implementations must be thread-safe, must not
// block, and must not call back into the runtime. The installed object must
// outlive every runtime that reports to it.
#pragma once

#include <atomic>
#include <cstdint>
#include <string_view>

#include "lucid/base/source_site.hpp"

namespace lucid {

using task_id = std::uint64_t;      ///< unique for the life of the process; 0 = none
using resource_id = std::uint64_t;  ///< unique for the life of the process; 0 = none

/// Who woke a task.
enum class wake_origin : std::uint8_t {
  self,        ///< the task woke itself (yield_now, a self-notify)
  other_task,  ///< another task of a lucid runtime
  runtime,     ///< the runtime's drivers (timers, I/O), outside any task
  external,    ///< a thread that is not a runtime worker (spawn_blocking, foreign code)
};

/// How a task ended.
enum class task_outcome : std::uint8_t { value, exception, cancelled };

/// What a newly spawned task is.
struct spawn_info {
  task_id id;
  std::string_view name;  ///< empty when unnamed
  source_site site;       ///< where spawn() was called
  task_id parent;         ///< the spawning task, 0 when spawned from outside
  std::uint64_t span;     ///< the spawner's current trace span id, 0 when none
};

/// Kinds of resources tasks wait on.
enum class resource_kind : std::uint8_t {
  mutex,
  rw_lock,
  semaphore,
  notify,
  oneshot,
  mpsc,
  timer,
  join_handle,
  io,
  other
};

std::string_view to_string(resource_kind k) noexcept;
std::string_view to_string(wake_origin o) noexcept;
std::string_view to_string(task_outcome o) noexcept;

/// Receives the runtime's instrumentation events. Every method has an empty default.
class instrument {
 public:
  virtual ~instrument() = default;

  virtual void on_spawn(const spawn_info&) noexcept {}
  virtual void on_poll_begin(task_id) noexcept {}
  virtual void on_poll_end(task_id) noexcept {}
  /// `by` is the waking task, 0 unless origin is self or other_task.
  virtual void on_wake(task_id, wake_origin, task_id /*by*/) noexcept {}
  /// A waker for the task was stored in `source` (a timer, a wait queue, a join handle).
  virtual void on_waker_registered(task_id, const void* /*source*/) noexcept {}
  /// The waker stored in `source` was released (fired or deregistered).
  virtual void on_waker_released(task_id, const void* /*source*/) noexcept {}
  virtual void on_complete(task_id, task_outcome) noexcept {}

  virtual void on_resource_created(resource_id, resource_kind, source_site) noexcept {}
  virtual void on_resource_dropped(resource_id) noexcept {}
  virtual void on_wait_begin(task_id, resource_id) noexcept {}
  virtual void on_wait_end(task_id, resource_id) noexcept {}
  virtual void on_acquire(task_id, resource_id) noexcept {}
  virtual void on_release(task_id, resource_id) noexcept {}
};

namespace detail {
extern std::atomic<instrument*> g_instrument;
/// The installed instrument or nullptr: one relaxed load.
inline instrument* hooks() noexcept {
  // relaxed: installation happens before the runtime that reports starts;
  // the pointee is immutable for the consumer's life.
  return g_instrument.load(std::memory_order_relaxed);
}
std::uint64_t next_resource_id() noexcept;
}  // namespace detail

/// Installs `i` as the process's instrument (nullptr removes it); returns the previous one.
instrument* set_instrument(instrument* i) noexcept;

}  // namespace lucid

/// Emits an instrumentation event: LUCID_HOOK(on_spawn, info).
#define LUCID_HOOK(event, ...)                                    \
  do {                                                            \
    if (::lucid::instrument* lucid_i_ = ::lucid::detail::hooks(); \
        __builtin_expect(lucid_i_ != nullptr, 0)) {               \
      lucid_i_->event(__VA_ARGS__);                               \
    }                                                             \
  } while (0)
