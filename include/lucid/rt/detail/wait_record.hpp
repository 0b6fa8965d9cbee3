// lucid::detail::wait_record: what a suspended task waits on, written by the
// leaf awaitable that suspends it, so the task dump and the deadlock detector
// read the wait-for graph from what the primitives hold instead of a mirror.
//
// Who writes what:
//   resource_header   written once when the resource is built (id, kind,
//                     creation site, ops, and the creating stack when that
//                     site lies in the standard library); read-only after
//                     (a moved socket moves its header).
//   holder_slot       written by the task that takes or gives back a lock
//                     (relaxed atomics); read racily by inspectors, which
//                     may see a slightly stale holder but never a torn one.
//   wait_record       lives in the leaf awaiter (inside the waiting frame);
//                     the polling thread fills it and links it from the
//                     strand (strand::wait) in await_suspend. strand::run()
//                     unlinks it before every resumption, so a record is
//                     linked only while its frame is suspended on it.
//   Inspectors (the console's dump and detectors) read a strand's record only
//   while they hold the task's INSPECTED claim (src/rt/task/cell.hpp): no
//   worker can poll the task then, so the frame and its record stay put.
// Thread safety: see above. Signal safety: none of this is touched from a
// signal handler.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <utility>

#include "lucid/base/source_site.hpp"
#include "lucid/rt/detail/strand.hpp"
#include "lucid/rt/observer.hpp"

namespace lucid::detail {

/// A steady-clock reading in nanoseconds, cheap enough for every wait: the
/// console's watchdog refreshes a shared value every 10 ms; 0 (unknown) in a
/// program without the console.
std::int64_t coarse_now_ns() noexcept;
/// The watchdog's refresh of coarse_now_ns() (0 stops using it).
void set_coarse_now_ns(std::int64_t ns) noexcept;

/// A holder, as an inspector copies it.
struct holder_info {
  task_id task = 0;
  source_site site{};  ///< where it acquired (the co_await of the lock)
  std::int64_t since_ns = 0;
};

/// Who holds a lock, and since when; read racily by inspectors.
struct holder_slot {
  std::atomic<task_id> task{0};  ///< 0: free, or held outside any task
  std::atomic<const char*> file{nullptr};
  std::atomic<const char*> function{nullptr};
  std::atomic<unsigned> line{0};
  std::atomic<std::int64_t> since_ns{0};

  /// Records the calling task as the holder, at the co_await it runs now.
  void take() noexcept;
  /// take(), unless the calling task is already the one recorded (a
  /// channel's receiving task, noted at every receive).
  void note() noexcept;
  /// note(), at `at` instead of the co_await the task runs now (a call that
  /// does not suspend, such as try_recv).
  void note(const source_site& at) noexcept;
  void give_back() noexcept { task.store(0, std::memory_order_relaxed); }
  /// A racy copy for an inspector; each field is read whole.
  holder_info read() const noexcept {
    return holder_info{
        task.load(std::memory_order_relaxed),
        source_site{file.load(std::memory_order_relaxed), function.load(std::memory_order_relaxed),
                    line.load(std::memory_order_relaxed)},
        since_ns.load(std::memory_order_relaxed)};
  }
};

/// A resource's state beyond its holders (channels, semaphores); -1 = not applicable.
struct resource_state {
  std::int64_t capacity = -1;  ///< channel capacity (0 = unbounded)
  std::int64_t length = -1;    ///< values queued
  std::int64_t senders = -1;   ///< senders alive
  std::int64_t permits = -1;   ///< semaphore permits available
  std::int64_t readers = -1;   ///< rw_lock readers holding it
  int closed = -1;             ///< 1 closed, 0 open
};

/// How an inspector reads a resource's holders, state and handles (all optional).
struct resource_ops {
  /// Copies up to `max` holders into `out`; returns how many it copied.
  std::size_t (*holders)(const void* header, holder_info* out, std::size_t max) noexcept = nullptr;
  void (*state)(const void* header, resource_state& out) noexcept = nullptr;
  /// Copies up to `max` addresses of the handles whose owners can end the
  /// waits on it now (an empty open channel's live senders, a full one's
  /// receiver, the permits taken from a semaphore); returns how many there
  /// are (possibly more than `max`). The console finds which
  /// task's frame holds each (sync/detail/handle_registry.hpp).
  std::size_t (*handles)(const void* header, std::uintptr_t* out,
                         std::size_t max) noexcept = nullptr;
};

/// The identity every lucid resource carries (first member or a member of it).
struct resource_header {
  resource_id id = 0;
  const resource_kind* kind = nullptr;
  source_site site{};  ///< where the resource was created
  const resource_ops* ops = nullptr;
  /// Set when `site` lies in the C++ standard library (see creation_stack):
  /// the creating thread's stack, `created_stack[0]` return addresses from
  /// `created_stack[1]` on, innermost first; null otherwise. Owned.
  const std::uintptr_t* created_stack = nullptr;

  resource_header() noexcept = default;
  resource_header(const resource_kind& k, source_site s, const resource_ops* o = nullptr,
                  const std::uintptr_t* stack = nullptr) noexcept
      : id(next_resource_id()), kind(&k), site(s), ops(o), created_stack(stack) {}
  /// A moved socket keeps its identity (io_source); the stack moves with it.
  resource_header(resource_header&& o) noexcept
      : id(o.id),
        kind(o.kind),
        site(o.site),
        ops(o.ops),
        created_stack(std::exchange(o.created_stack, nullptr)) {}
  resource_header& operator=(resource_header&& o) noexcept {
    if (this != &o) {
      id = o.id;
      kind = o.kind;
      site = o.site;
      ops = o.ops;
      delete[] created_stack;
      created_stack = std::exchange(o.created_stack, nullptr);
    }
    return *this;
  }
  ~resource_header() { delete[] created_stack; }
};

/// True when `file` is a header of the C++ standard library (libstdc++ and
/// libc++ install theirs under a `c++/` directory).
inline bool in_std_library(const char* file) noexcept {
  return file != nullptr && __builtin_strstr(file, "/c++/") != nullptr;
}

/// The calling thread's stack from the caller of this function on, as
/// lookup addresses (return address - 1), in a new[] array whose first
/// element is the count (at most 24); null when it cannot be taken. About
/// 0.1 us with libunwind's cached unwinder, which setup installs (debug's
/// capture), about 1 us with libgcc's.
const std::uintptr_t* capture_creation_stack() noexcept;

/// A resource built through std::make_shared (or std::optional::emplace, or
/// any std factory) gets its constructor's default source_site filled in
/// inside the standard library, not at the user's line. Then this captures
/// the stack, and the console reports the first frame of it (inlined frames
/// included) that is the user's own (src/console/creation_site.cpp). Only
/// then: a resource made with a site of the user's costs a string search
/// (folded at compile time in optimized builds). Call it from the resource's
/// inline constructor.
[[gnu::always_inline]] inline const std::uintptr_t* creation_stack(const source_site& s) noexcept {
  return in_std_library(s.file) ? capture_creation_stack() : nullptr;
}

/// Who can end a wait: what the "all tasks are asleep" detector asks.
enum class wake_source : std::uint8_t {
  task,     ///< only another task can (a lock, a channel, a notify, a join)
  driver,   ///< the runtime's drivers will (a timer, I/O readiness)
  foreign,  ///< something outside the runtime may (a foreign awaitable, spawn_blocking)
};

/// Resource kinds rt itself owns.
inline constexpr resource_kind join_resource{"join handle"};
inline constexpr resource_kind foreign_resource{"foreign awaitable"};
inline constexpr resource_kind blocking_resource{"spawn_blocking"};
inline constexpr resource_kind timer_resource{"timer"};
/// A timeout's timer (lucid::timeout): shown as a timer, with the detail "timeout".
inline constexpr resource_kind timeout_resource{"timer"};
inline constexpr resource_kind io_resource{"socket"};

/// What one suspended frame waits on. 32 bytes, since one lives in every
/// waiting frame (a million idle tasks is a workload): the wake source rides
/// in the low bits of the coarse start time (10 ms resolution), and the
/// kind says which of the joined task, the deadline or the detail the last
/// word holds:
///   join_resource                 joined()
///   timer_resource, timeout_resource   deadline_ns() (a timeout's detail is "timeout")
///   any other kind                what(): "read"/"write" for sockets, the
///                                 awaitable's type for a foreign one, or null
struct wait_record {
  const resource_kind* kind = nullptr;
  const resource_header* resource = nullptr;  ///< the resource, if it has an identity

  wait_record() noexcept = default;
  wait_record(const resource_kind& k, wake_source src) noexcept : kind(&k) { set_source(src); }
  /// A wait on an identified resource (its kind comes from the header).
  explicit wait_record(const resource_header& r) noexcept : kind(r.kind), resource(&r) {}

  /// Links this record from `s` (the polling thread, in await_suspend).
  void begin(strand* s) noexcept {
    since_ = (static_cast<std::uint64_t>(coarse_now_ns()) & ~kSourceMask) | (since_ & kSourceMask);
    s->wait = this;
  }

  /// coarse_now_ns() when the wait began (to 4 ns; 0: unknown).
  std::int64_t since_ns() const noexcept {
    return static_cast<std::int64_t>(since_ & ~kSourceMask);
  }
  /// Who can end the wait.
  wake_source source() const noexcept { return static_cast<wake_source>(since_ & kSourceMask); }
  void set_source(wake_source src) noexcept {
    since_ = (since_ & ~kSourceMask) | static_cast<std::uint64_t>(src);
  }

  /// A join handle: the task whose end this waits for (0 otherwise).
  task_id joined() const noexcept { return kind == &join_resource ? word_.joined : 0; }
  void set_joined(task_id t) noexcept { word_.joined = t; }
  /// Timers: the deadline on the runtime's clock (0 otherwise).
  std::int64_t deadline_ns() const noexcept { return timed() ? word_.deadline_ns : 0; }
  void set_deadline_ns(std::int64_t d) noexcept { word_.deadline_ns = d; }
  /// A detail: "read", "write", an awaitable's type, "timeout" (null: none).
  const char* what() const noexcept {
    if (kind == &timeout_resource) return "timeout";
    if (kind == &join_resource || timed()) return nullptr;
    return word_.what;
  }
  void set_what(const char* w) noexcept { word_.what = w; }

 private:
  static constexpr std::uint64_t kSourceMask = 3;
  bool timed() const noexcept { return kind == &timer_resource || kind == &timeout_resource; }

  std::uint64_t since_ = 0;  ///< the start time, with the wake source in its low 2 bits
  union word {
    const char* what = nullptr;
    task_id joined;
    std::int64_t deadline_ns;
  } word_;
};
static_assert(sizeof(wait_record) == 32, "a wait record lives in every waiting frame");

}  // namespace lucid::detail
