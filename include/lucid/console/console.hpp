// lucid::console: what every task of the process is doing and waiting on,
// the wait-for graph between tasks and resources, and the detectors that
// name the culprit of a hang (deadlocks, "all tasks are asleep", stalls,
// lost wake-ups).
//
// Contract: everything here reads the runtimes through rt's inspection
// interface (lucid/rt/detail/inspect.hpp) from the calling thread: no worker
// needs to be responsive, none is stopped, and no task is resumed, freed or
// blocked. The detectors run on one watchdog thread, started with the first
// runtime of a program that links lucid::console (the `lucid` target does),
// configured by the environment:
//   LUCID_DEADLOCK=report|abort|off   deadlock and "all tasks are asleep" reports (report)
//   LUCID_DEADLOCK_MS=<ms>            how long a cycle must persist (1000)
//   LUCID_STALL_MS=<ms>|off           a poll longer than this is a stall (100)
//   LUCID_DUMP_SIGNAL=off             keep SIGQUIT's default action (the dump is on)
// Thread safety: all functions may be called from any thread, except from
// a worker of a runtime that is being inspected while that worker polls.
#pragma once

#include <algorithm>
#include <cstdint>
#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

#include "lucid/base/histogram.hpp"
#include "lucid/rt/observer.hpp"

namespace lucid::console {

/// A source location as reports print it (the path relative to the source root).
struct location {
  std::string file;
  std::string function;
  unsigned line = 0;
  bool known() const noexcept { return !file.empty(); }
};

/// Who holds a resource, and since when. What holding means depends on the
/// resource (see holder_role): a lock's holder took it; a full bounded mpsc
/// channel's holder is the task that receives from it; an empty channel's
/// holders are the tasks whose frames hold its live senders, a semaphore's
/// the tasks whose frames hold its permits.
struct holder {
  task_id task = 0;
  /// The co_await that took it (a lock); that received from it (a full
  /// channel); for a sender or a permit: the frame holding it (function)
  /// and the co_await that frame is suspended at.
  location acquired_at;
  double held_s = 0;  ///< 0 for a holder found by its handle (not measured)
  /// Found by where the resource's handle lives (a sender, a permit, a
  /// receiver that has not received yet): acquired_at is the frame holding it.
  bool in_frame = false;
  /// Found, the handle being in no frame, in a std::vector, std::deque,
  /// std::map, std::unordered_map or std::list in the frame (full snapshots
  /// only). acquired_at as for in_frame.
  bool in_container = false;
  /// Found in a heap object the frame points to (a member coroutine's
  /// `this`, a shared_ptr's object), not in the frame: in a container there
  /// with in_container, else as the object's own member.
  bool via_object = false;
  /// With via_object: the object is one an element of a container in the
  /// frame points to (a registry of shared_ptrs to sessions), not the frame.
  bool via_element = false;
  /// With via_object: the object is one an element of a container in an
  /// object the frame points to points to (a server's registry of sessions,
  /// the server being a member coroutine's `this`).
  bool via_object_element = false;
  /// Found by where its handle lives, either way.
  bool by_handle() const noexcept { return in_frame || guessed(); }
  /// Found by a search of the frame's words or the objects they point to (in
  /// a container or via an object): a lead, not proof (unrelated or stale
  /// words can match), so reports say "probably" and the deadlock search
  /// ignores it.
  bool guessed() const noexcept { return in_container || via_object; }
};

/// Where, from its frame, a holder found by its handle keeps it, as reports
/// (the dump, lucid-console) word it after the task: "" in the frame itself,
/// " via a container in its frame", " in an object its frame points to", ...
inline std::string_view held_via(const holder& h) noexcept {
  if (h.via_object && h.via_object_element) {
    return h.in_container ? " via a container in an object listed in a container of an object "
                            "its frame points to"
                          : " in an object listed in a container of an object its frame points to";
  }
  if (h.via_object && h.via_element) {
    return h.in_container ? " via a container in an object a container in its frame points to"
                          : " in an object a container in its frame points to";
  }
  if (h.via_object) {
    return h.in_container ? " via a container in an object its frame points to"
                          : " in an object its frame points to";
  }
  return h.in_container ? " via a container in its frame" : "";
}

/// What a resource's holders are to the tasks that wait on it, and how
/// reports word them.
enum class holder_role : std::uint8_t {
  lock,      ///< took it (mutex, rw_lock, semaphore): "held by"
  receiver,  ///< a full bounded mpsc channel: the task receiving from it, "received by"
  sender,    ///< an empty mpsc or oneshot channel: where its live senders are, "sender held by"
  permit,    ///< a semaphore: where the permits taken from it are, "permit held by"
};
/// The role of the holders of a resource of `kind` holding `length` values.
inline holder_role role_of_holders(std::string_view kind, std::int64_t length) noexcept {
  if (kind == "oneshot") return holder_role::sender;
  if (kind == "semaphore") return holder_role::permit;
  if (kind == "mpsc") return length > 0 ? holder_role::receiver : holder_role::sender;
  return holder_role::lock;
}
/// The handle a holder of this role keeps ("sender", "receiver", "permit"),
/// as reports name it; "lock" for a lock's holder.
inline std::string_view holder_noun(holder_role r) noexcept {
  switch (r) {
    case holder_role::sender:
      return "sender";
    case holder_role::receiver:
      return "receiver";
    case holder_role::permit:
      return "permit";
    case holder_role::lock:
      break;
  }
  return "lock";
}

/// What a suspended frame waits on.
struct wait {
  std::string kind;          ///< "mutex", "oneshot", "timer", "join handle", "tcp listener", ...
  resource_id resource = 0;  ///< 0 when it has no identity (a join, a foreign awaitable)
  location created_at;
  task_id joined = 0;  ///< a join handle: the task it waits for
  std::string what;    ///< detail: "read", "timeout", an awaitable's type
  double waiting_s = 0;
  /// Who can end it: "task" (another task), "driver" (a timer, I/O), "foreign".
  std::string woken_by;
  std::vector<holder> holders;
  // Channel and lock state; -1 when not applicable.
  std::int64_t capacity = -1, length = -1, senders = -1, permits = -1, readers = -1;
  int closed = -1;
  /// For a wait whose holders were looked for where their handles live (an
  /// empty channel's senders, the permits of a semaphore, a full channel's
  /// receiver nobody has received from yet): how many such handles there
  /// are. `holders` has one entry per handle found in a suspended task's
  /// frame (holder::in_frame) or, in a full snapshot, in a container such a
  /// frame holds (holder::in_container); those found nowhere (on the
  /// heap behind anything else, in a global, in a running task) are not
  /// listed. -1: not applicable.
  std::int64_t handles = -1;
};

inline holder_role role_of_holders(const wait& w) noexcept {
  return role_of_holders(w.kind, w.length);
}

/// One strand of a task: its await chain (innermost first) and what its
/// innermost frame waits on.
struct strand_view {
  std::vector<location> chain;
  bool waiting = false;
  console::wait wait;
};

/// What the runtime measured about a task (known only while aggregation
/// is enabled: see enable_aggregation). Times in seconds.
struct task_stats_view {
  bool known = false;
  std::uint64_t polls = 0;
  double total_s = 0;              ///< lifetime so far (or until it finished)
  double busy_s = 0;               ///< polling
  double scheduled_s = 0;          ///< woken, waiting for a worker
  double idle_s = 0;               ///< suspended, not woken
  double first_poll_after_s = -1;  ///< from spawn to the first poll; -1 never polled
  std::uint64_t wakes_self = 0, wakes_other_task = 0, wakes_runtime = 0, wakes_external = 0;
  std::uint64_t wakers_registered = 0, wakers_released = 0;
  histogram_snapshot poll_duration_ns;
  histogram_snapshot scheduled_latency_ns;
  std::uint64_t wakes() const noexcept {
    return wakes_self + wakes_other_task + wakes_runtime + wakes_external;
  }
};

/// One task.
struct task_view {
  task_id id = 0;
  task_id parent = 0;
  std::string name;
  location spawned_at;
  /// idle, scheduled, running, finished (leaving now); for a finished task
  /// kept by the retention: completed, cancelled, panicked.
  std::string state;
  std::uint64_t runtime = 0;
  bool cancel_requested = false;
  /// The root strand's chain and wait; empty chain when running (then
  /// `running_s` and `worker` say where).
  strand_view root;
  /// Branches of the combinator (select, timeout, when_all) the task awaits.
  std::vector<strand_view> branches;
  int worker = -1;        ///< the worker polling it, when running
  double running_s = -1;  ///< how long the current poll has run, when known
  task_stats_view stats;
  double finished_ago_s = -1;  ///< finished tasks: how long ago
};

/// One resource (known while aggregation is enabled, or because a task
/// waits on it).
struct resource_view {
  resource_id id = 0;
  std::string kind;
  location created_at;
  std::vector<holder> holders;
  struct waiter {
    task_id task = 0;
    double waiting_s = 0;
    location at;  ///< the co_await, when the waiting task could be read
  };
  std::vector<waiter> waiters;
  std::int64_t capacity = -1, length = -1, senders = -1, permits = -1, readers = -1;
  int closed = -1;
};

/// The wait-for graph: an edge per "task waits on resource" and per
/// "resource is held by task" (see holder); join waits are edges from task to task.
struct graph_edge {
  enum class type : std::uint8_t { waits_on, held_by, joins } kind;
  task_id task = 0;
  resource_id resource = 0;
  task_id other = 0;  ///< joins: the awaited task
};

/// Everything the console knows at one moment.
struct snapshot {
  double taken_at_s = 0;  ///< steady clock, seconds
  std::size_t runtimes = 0;
  bool aggregation = false;  ///< whether aggregation was on (tasks carry stats)
  /// Every suspended task's frames were read (take_snapshot; not a
  /// detector's filtered walk, nor a snapshot decoded from the wire): a
  /// sender or permit that no holder was found for is in none of them.
  bool all_frames = false;
  /// Sorted by id (take_snapshot and the wire's replica keep them so).
  std::vector<task_view> tasks;
  std::vector<graph_edge> edges;
  /// Cycles of tasks that wait on each other (each a list of task ids).
  std::vector<std::vector<task_id>> cycles;
  /// Finished tasks kept for LUCID_CONSOLE_RETENTION (aggregation only).
  std::vector<task_view> finished;
  std::vector<resource_view> resources;  ///< sorted by id, as tasks
  /// The whole process's poll durations and scheduling latencies (aggregation only).
  histogram_snapshot poll_duration_ns;
  histogram_snapshot scheduled_latency_ns;

  /// The live task with this id, or null: a binary search, since a view of
  /// 10^5 tasks looks a label up for every line (a scan if not sorted).
  const task_view* task(task_id id) const noexcept { return find_by_id(tasks, id); }
  /// The resource with this id, or null (as task()).
  const resource_view* resource(resource_id id) const noexcept { return find_by_id(resources, id); }

 private:
  template <class T>
  static const T* find_by_id(const std::vector<T>& v, std::uint64_t id) noexcept {
    auto it = std::lower_bound(v.begin(), v.end(), id,
                               [](const T& x, std::uint64_t i) { return x.id < i; });
    if (it != v.end() && it->id == id) return &*it;
    if (std::is_sorted(v.begin(), v.end(), [](const T& a, const T& b) { return a.id < b.id; }))
      return nullptr;
    for (const T& x : v)  // built by hand, unsorted: still right, only slower
      if (x.id == id) return &x;
    return nullptr;
  }
};

/// Turns per-task measurement on or off: busy, scheduled and idle time,
/// polls, wakes by origin, poll and scheduling histograms (measured by the
/// runtime for tasks spawned while it is on), finished tasks kept for
/// LUCID_CONSOLE_RETENTION (default 60 s, at most LUCID_CONSOLE_RETENTION_MAX,
/// default 10,000), and every resource with its holders and waiters. Off by
/// default (it costs: see bench/RESULTS.md); the console server turns it on.
void enable_aggregation(bool on = true);
bool aggregation_enabled() noexcept;

/// Reads every live task of every runtime now (see the contract above).
snapshot take_snapshot();

/// Writes the task dump (every live task, what it waits on and who holds
/// that, its await chain, spawn site and parent) to `out`.
///
/// Example line:
///   task 7 'sale' idle, waiting 12.3 s on mutex#4 (created at app.cpp:31)
///     held by task 3 'audit' since 12.3 s (locked at app.cpp:40)
void dump(std::ostream& out);
/// The same, formatted from a snapshot already taken.
void dump(std::ostream& out, const snapshot& s);

/// A problem a detector or lint found.
struct warning {
  std::string kind;  ///< "deadlock", "all asleep", "stall", "lost waker", "self wakes", ...
  task_id task = 0;  ///< the task it is about, 0 for the whole program
  std::string message;
};
/// Warnings found so far (most recent last, bounded).
std::vector<warning> warnings();

}  // namespace lucid::console
