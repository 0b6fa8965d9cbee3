// lucid::observer: the interface through which the runtime reports what it
// does (spawns, polls, wake-ups, resources) to whoever listens: the console,
// the tracing layers, the exporters. rt does not know who they are.
//
// Contract: any number of observers may be installed at once, and added or
// removed while runtimes run (add_observer, remove_observer, or
// scoped_observer). With none installed, each event costs one load and one
// predictable branch; the same holds for an event no installed observer
// asked for (observer::observed_events: the console's resource tracker, for
// one, takes only resource events, so polls and wake-ups do not walk the
// observers for it). Callbacks run on the thread where the event happens (a
// worker, a blocking-pool thread, or a foreign thread waking a task),
// possibly concurrently: implementations must be thread-safe, must not block,
// and must not call back into the runtime or add or remove observers. When
// remove_observer() returns, no callback into the removed observer is running
// and none will start.
//
// How (src/rt/observer.cpp): the installed observers are an immutable array
// published through one atomic pointer. A callback site counts itself in
// and out on a per-thread stripe of counters around its walk of the array;
// add and remove publish a new array, then wait until every walk that may
// have read the old one has counted out, then free it.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "lucid/base/source_site.hpp"

namespace lucid {

namespace detail {
struct resource_header;  // lucid/rt/detail/wait_record.hpp
}  // namespace detail

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

/// A kind of resource that tasks wait on (a mutex, a channel, a timer, a
/// socket). The module that defines the resource declares its kind, once:
///   inline constexpr lucid::resource_kind mutex_resource{"mutex"};
/// rt knows none of them; observers read the name.
struct resource_kind {
  std::string_view name;
  friend bool operator==(const resource_kind& a, const resource_kind& b) noexcept {
    return a.name == b.name;
  }
};

std::string_view to_string(wake_origin o) noexcept;
std::string_view to_string(task_outcome o) noexcept;

/// The events an observer asks for (observer::observed_events): one bit per
/// callback, named after it.
struct observer_events {
  static constexpr std::uint32_t on_spawn = 1u << 0;
  static constexpr std::uint32_t on_poll_begin = 1u << 1;
  static constexpr std::uint32_t on_poll_end = 1u << 2;
  static constexpr std::uint32_t on_wake = 1u << 3;
  static constexpr std::uint32_t on_waker_registered = 1u << 4;
  static constexpr std::uint32_t on_waker_released = 1u << 5;
  static constexpr std::uint32_t on_complete = 1u << 6;
  static constexpr std::uint32_t on_resource_created = 1u << 7;
  static constexpr std::uint32_t on_resource_dropped = 1u << 8;
  static constexpr std::uint32_t on_wait_begin = 1u << 9;
  static constexpr std::uint32_t on_wait_end = 1u << 10;
  static constexpr std::uint32_t on_acquire = 1u << 11;
  static constexpr std::uint32_t on_release = 1u << 12;
  /// Spawns, polls, wake-ups, wakers, completions.
  static constexpr std::uint32_t tasks = (1u << 7) - 1;
  /// Resources: created, dropped, waits, acquire and release.
  static constexpr std::uint32_t resources = ((1u << 13) - 1) & ~tasks;
  static constexpr std::uint32_t all = ~0u;
};

/// Receives the runtime's events. Every method has an empty default.
class observer {
 public:
  virtual ~observer() = default;

  /// The events this observer wants (observer_events bits), read once by
  /// add_observer. Callbacks for others may still come (another observer
  /// asked for them) and hit the empty defaults; asking for fewer only
  /// spares the runtime the walk when no one wants an event.
  virtual std::uint32_t observed_events() const noexcept { return observer_events::all; }

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

  /// `kind` lives as long as the program (it is a constant of its module).
  /// `header` is lucid's own view of the resource (null for one that has
  /// none): through its ops the console reads the resource's holders and
  /// state (channel fill, permits) at any time until on_resource_dropped
  /// for this id returns, which the resource calls before it is destroyed.
  /// An observer that keeps it must stop reading it once it is removed
  /// (no on_resource_dropped reaches a removed observer).
  virtual void on_resource_created(resource_id, const resource_kind& /*kind*/, source_site,
                                   const detail::resource_header* /*header*/) noexcept {}
  virtual void on_resource_dropped(resource_id) noexcept {}
  virtual void on_wait_begin(task_id, resource_id) noexcept {}
  virtual void on_wait_end(task_id, resource_id) noexcept {}
  virtual void on_acquire(task_id, resource_id) noexcept {}
  virtual void on_release(task_id, resource_id) noexcept {}
};

/// Installs `o` (not owned) in addition to the observers already installed.
/// Thread safety: any thread, not from inside an observer callback.
void add_observer(observer* o);
/// Uninstalls `o`; blocks until no callback into `o` runs. A no-op if `o` is
/// not installed. Not from inside an observer callback (that stops the
/// program with a message: it would wait for itself).
void remove_observer(observer* o) noexcept;

/// Installs an observer for the scope's life.
///
/// Example:
///   my_console_layer layer;
///   lucid::scoped_observer watch(layer);
class scoped_observer {
 public:
  explicit scoped_observer(observer& o) : o_(&o) { add_observer(o_); }
  ~scoped_observer() { remove_observer(o_); }
  scoped_observer(const scoped_observer&) = delete;
  scoped_observer& operator=(const scoped_observer&) = delete;

 private:
  observer* o_;
};

namespace detail {

/// The installed observers: an immutable array.
struct observer_set {
  std::size_t size;
  observer* const* items;
  observer* const* begin() const noexcept { return items; }
  observer* const* end() const noexcept { return items + size; }
};

extern std::atomic<const observer_set*> g_observers;
/// The union of the installed observers' observed_events (a superset while
/// an add or remove is under way).
extern std::atomic<std::uint32_t> g_observed_events;

/// Whether any observer is installed: one load.
inline bool observing() noexcept {
  // relaxed: only a hint for the branch; the walk re-reads under its guard.
  return g_observers.load(std::memory_order_relaxed) != nullptr;
}
/// Whether an installed observer asked for one of `events`: one load.
inline bool observing(std::uint32_t events) noexcept {
  // relaxed: a hint, as observing().
  return (g_observed_events.load(std::memory_order_relaxed) & events) != 0;
}

/// Counts one walk of the observer array in and out (see the top of the
/// file); `set` is the array this walk may use, or null.
class observer_walk {
 public:
  observer_walk() noexcept;
  ~observer_walk();
  observer_walk(const observer_walk&) = delete;
  observer_walk& operator=(const observer_walk&) = delete;
  const observer_set* set;

 private:
  unsigned stripe_;
};

std::uint64_t next_resource_id() noexcept;

}  // namespace detail
}  // namespace lucid

/// Reports an event to every installed observer: LUCID_OBSERVE(on_spawn, info).
/// The arguments are evaluated only when an installed observer asked for the
/// event (observer::observed_events). The walk
/// is a cold, out-of-line lambda, so the code around a disabled event keeps
/// only the load and the branch.
#define LUCID_OBSERVE(event, ...)                                                           \
  do {                                                                                      \
    if (__builtin_expect(::lucid::detail::observing(::lucid::observer_events::event), 0)) { \
      [&]() __attribute__((noinline, cold)) {                                               \
        ::lucid::detail::observer_walk lucid_walk_;                                         \
        if (lucid_walk_.set != nullptr) {                                                   \
          for (::lucid::observer * lucid_o_ : *lucid_walk_.set) {                           \
            lucid_o_->event(__VA_ARGS__);                                                   \
          }                                                                                 \
        }                                                                                   \
      }                                                                                     \
      ();                                                                                   \
    }                                                                                       \
  } while (0)
