// lucid::detail::task_cell: the header of a spawned task. Private to rt: the
// rest of lucid holds a task through detail::raw_task
// (include/lucid/rt/detail/raw_task.hpp).
//
// State word (atomic `state_`):
//   RUNNING    a worker is polling the task; it alone touches the strand
//   NOTIFIED   the task is in a run queue, or must be re-queued when the poll ends
//   COMPLETE   the root frame finished, was cancelled, or the runtime shut down
//   CANCELLED  abort() was requested; the next poll destroys the frame instead
//   DETACHED   no join handle is left (an unobserved panic must be reported)
//   YIELDED    the task woke itself with yield_now during this poll
//   INSPECTED  an inspector (the console's dump or detectors, on its own
//              thread) is reading the suspended task's frames and wait record
//   LOCAL      a spawn_local task: set at spawn, never changed (in the state
//              word so the queueing paths test it on the line they already hold)
//
// Transitions:
//   wake:     idle -> NOTIFIED (push to a queue); RUNNING -> RUNNING|NOTIFIED;
//             NOTIFIED or COMPLETE -> unchanged
//   yield:    RUNNING -> RUNNING|NOTIFIED|YIELDED (yield_now, always inside a poll)
//   poll:     NOTIFIED -> RUNNING (YIELDED cleared); at the end RUNNING -> idle,
//             or RUNNING|NOTIFIED -> NOTIFIED (re-queued behind the runnable
//             tasks; if YIELDED, deferred until the worker has also polled
//             its timers and I/O), or -> COMPLETE
//   abort:    sets CANCELLED and wakes
//   inspect:  idle or NOTIFIED, not RUNNING/COMPLETE/INSPECTED -> +INSPECTED
//             (try_inspect); -> -INSPECTED (end_inspect). A wake meanwhile
//             queues the task as usual; a poll (or shutdown) that finds
//             INSPECTED spins until it is gone, so an inspector reads a
//             frame chain no one changes. Inspectors hold it for
//             microseconds and never block, allocate or lock while holding it.
//
// References (bits 8-15 of the state word, `st_ref_one` each): one for the
// scheduler, held from spawn until the task is COMPLETE and its completion
// handled; one for the join handle while it exists. A queue entry needs no
// reference: a queued task is never complete. In the state word so that the
// two common ends take one atomic step each: dropping the handle sets
// DETACHED and gives its reference back together (raw_task::detach), and a
// detached task's completion sets COMPLETE and gives the scheduler's back
// together (no join lock: no joiner can exist). The cell is freed when both
// are gone, by whoever gave the last one back.
//
// An exception nobody observed (report_if_unobserved) is reported once, by
// whichever of the two ends comes second on the state word: a handle dropped
// after COMPLETE reports in raw_task::detach, before it gives its reference
// back; a completion that finds DETACHED (set before COMPLETE) reports before
// it takes the task off the live list. So the report is out before
// live_tasks() stops counting the task, or before detach() returns.
//
// The root frame is destroyed as soon as the task ends (like tokio dropping a
// finished future): the frame's final suspend moves its value into a box
// (`result_`, see result_box in task.hpp), completion moves an exception into
// `rare_->exception`, then the frame is destroyed, so
// everything the coroutine owned (its parameters too: a channel sender, a
// lock guard) is released before anyone is told the task finished.
//
// `next_` and `result_` share a word: a task is queued only before it
// completes. Every pop from a linked queue clears next_, so a running task's
// word is null until its root frame's final suspend puts the value's box in
// (set_task_result); cancel_task() clears it for a task cancelled in a queue.
//
// Local tasks (spawn_local): LOCAL is set and `home_` is the index + 1 of
// the worker that spawned the task (0 for an ordinary task); both written
// before the task is first queued, read-only after. A local task is never in a stealable queue or
// the injection queue: every push goes to its home worker's `pinned` list (scheduler/worker.hpp),
// so only that worker polls it.
//
// Migration record (LUCID_CHECK_THREADS builds of rt only): `last_worker_`
// (index + 1 of the worker that polled the task last) and
// `rare_->moved` (the await site where the task was suspended when a poll
// started on another worker) belong to the polling worker, like the frame.
//
// Layout: the cell is 128 bytes (kTaskCellBytes, checked below), one of
// frame_alloc's 16-byte classes exactly. To fit: the small fields sit in the
// tail padding of the [[no_unique_address]] root strand, so nothing may
// assign the strand as a whole object through a pointer or reference to
// strand (that would overwrite them); the spawn site is an interned pointer
// (task/sites.hpp); the root strand finds the cell through its one `up_`
// word; and a value's box carries its own drop function (no per-type table).
//
// Field ownership: `root_`, the frame and the trace context belong to the
// polling worker (RUNNING); `joiner_` is guarded by `join_lock_`; the
// identity fields are written before the task is first queued and read-only
// after. Fields most tasks never use (a name, an exception, the panic chain)
// live behind `rare_`, so a plain task's cell stays small (a million tasks
// alive at once is a workload): `rare_` is created at spawn (named tasks) or
// by the worker polling the task, and published with release.
#pragma once

#include <atomic>
#include <coroutine>
#include <cstdint>
#include <exception>
#include <memory>
#include <string>
#include <string_view>

#include "lucid/base/intrusive_list.hpp"
#include "lucid/base/source_site.hpp"
#include "lucid/base/spin_lock.hpp"
#include "lucid/rt/detail/check_threads.hpp"
#include "lucid/rt/detail/frame_alloc.hpp"
#include "lucid/rt/detail/raw_task.hpp"
#include "lucid/rt/detail/strand.hpp"
#include "lucid/rt/detail/task_stats.hpp"
#include "lucid/rt/observer.hpp"

namespace lucid::detail {

class scheduler;

enum task_state : std::uint32_t {
  st_running = 1u << 0,
  st_notified = 1u << 1,
  st_complete = 1u << 2,
  st_cancelled = 1u << 3,
  st_detached = 1u << 4,
  st_yielded = 1u << 5,
  st_inspected = 1u << 6,
  st_local = 1u << 7,
  st_ref_one = 1u << 8,  ///< one reference (see "References" above)
  st_ref_mask = 0xFFu << 8,
};

/// Where a task was suspended when it next ran on another worker.
struct task_migration {
  std::uint16_t from = 0;  ///< worker index + 1; 0: never moved
  std::uint16_t to = 0;
  const char* file = nullptr;  ///< the co_await it was suspended at
  const char* function = nullptr;
  unsigned line = 0;
};

struct task_cell : list_node {  // list_node: the runtime's list of live tasks
  static void* operator new(std::size_t n);
  static void operator delete(void* p, std::size_t n) noexcept;

  // Layout (see kTaskCellBytes below): 8-byte fields, with the small ones in
  // the tail padding of the [[no_unique_address]] strand.
  std::atomic<std::uint32_t> state_{0};  ///< flags and references (see above)
  std::uint16_t home_ = 0;               ///< spawn_local: home worker index + 1; 0: any worker
  union {
    task_cell* next_ = nullptr;  ///< link in the injection queue (only while queued)
    result_box* result_;  ///< the boxed value of a finished non-void task (a queued task never is)
  };
  scheduler* sched_ = nullptr;
  [[no_unique_address]] strand root_;
  // In root_'s tail padding:
  task_outcome outcome_ = task_outcome::value;
  bool panic_reported_ = false;  ///< the outcome was reported or observed by a joiner
  spin_lock join_lock_;
  bool frame_live_ = false;  ///< the root frame exists (until completion or cancellation)

  task_id id_ = 0;
  task_id parent_id_ = 0;
  const source_site* spawn_site_ = nullptr;  ///< interned (task/sites.hpp); null: unknown

  struct panic_chain;
  struct rare_fields {
    std::string name;              ///< empty when unnamed
    std::exception_ptr exception;  ///< what escaped the root frame
    panic_chain* chain = nullptr;  ///< await chain where that exception left its first frame
    /// Set at spawn while stats are enabled, never changed after (task_stats.hpp).
    std::shared_ptr<task_stats> stats;
    /// The last move to another worker (LUCID_CHECK_THREADS builds of rt).
    task_migration moved;
    /// The serial of the runtime the task ran on, set with `exception`: a
    /// join handle may be dropped after its runtime was destroyed, so the
    /// unobserved-panic policy finds the runtime by serial, not by sched_.
    std::uint64_t runtime_serial = 0;

    // From the frame allocator (per-thread free lists): with stats on, every
    // task has rare fields.
    static void* operator new(std::size_t n) { return frame_alloc(n); }
    static void operator delete(void* p, std::size_t n) noexcept { frame_free(p, n); }
  };
  std::atomic<rare_fields*> rare_{nullptr};

  /// Who waits for completion, under join_lock_: a strand awaiting the join
  /// handle, or (low bit set) the parker of a thread in block_on.
  std::uintptr_t joiner_ = 0;
  void* trace_context_ = nullptr;  ///< the task's entered-span stack (lucid::trace)
#if LUCID_CHECK_THREADS
  /// Index + 1 of the worker that polled it last. Written at every poll, so
  /// not beside spawn_site_ (see above): 8 bytes more in these builds.
  std::uint16_t last_worker_ = 0;
#endif

  /// The rare fields, created on first use. Only the task's current owner
  /// (the spawner before it is queued, then the polling worker) may call it.
  rare_fields& rare();
  std::exception_ptr exception() const noexcept {
    const rare_fields* r = rare_.load(std::memory_order_acquire);
    return r ? r->exception : nullptr;
  }
  panic_chain* chain() const noexcept {
    const rare_fields* r = rare_.load(std::memory_order_acquire);
    return r ? r->chain : nullptr;
  }
  /// The root coroutine frame (root_.leaf is the innermost frame of its chain).
  std::coroutine_handle<> root_frame() const noexcept {
    promise_base* p = root_.leaf;
    while (p->parent_ != nullptr)
      p = p->parent_;
    return p->handle();
  }
  source_site spawn_site() const noexcept {
    return spawn_site_ != nullptr ? *spawn_site_ : source_site{};
  }
  strand* join_waker() const noexcept {
    return (joiner_ & 1) ? nullptr : reinterpret_cast<strand*>(joiner_);
  }

  /// Wakes the task (see the state machine above). Any thread.
  void wake() noexcept;
  /// Wakes the running task from its own poll as a yield (yield_now).
  void wake_yielded() noexcept;
  /// Requests cancellation. Any thread.
  void abort() noexcept;
  /// Drops one reference; frees the cell (and its frame) at zero.
  void release() noexcept;
  std::string_view name() const noexcept {
    const rare_fields* r = rare_.load(std::memory_order_acquire);
    return r ? std::string_view(r->name) : std::string_view();
  }
  bool is_complete() const noexcept {
    // acquire: pairs with the completing worker's release so the result is visible.
    return (state_.load(std::memory_order_acquire) & st_complete) != 0;
  }
};

/// The size of a task cell: a million idle tasks is a workload, so it must not
/// grow unnoticed. 128 is a multiple of 16, so it fills its frame_alloc class
/// (LUCID_CHECK_THREADS builds add last_worker_: 136, in a 144 class).
inline constexpr std::size_t kTaskCellBytes = LUCID_CHECK_THREADS ? 136 : 128;
static_assert(sizeof(task_cell) == kTaskCellBytes,
              "task_cell changed size: keep it within its 16-byte class, and update kTaskCellBytes "
              "and bench/RESULTS.md (Runtime: memory per task)");

/// Reports an exception the task ended with if nothing observed it (a
/// joiner) and it was not reported yet; once per task. Called only by the
/// second of the two ends on the state word (see "References" above): a
/// handle dropped after COMPLETE, or the owner of the last reference.
void report_if_unobserved(task_cell* c) noexcept;
/// Reports an exception nobody observed (report_if_unobserved), releases the
/// root frame and frees the cell (its last reference was given back: the
/// caller owns it alone).
void destroy_cell(task_cell* c) noexcept;

/// The cell behind a raw_task (rt's own code only).
struct raw_task_access {
  static task_cell* cell(raw_task t) noexcept { return t.c_; }
};

/// Moves the outcome out of c's finished root frame (into result_ or the
/// rare exception) and destroys the frame. The polling worker only.
void extract_outcome(task_cell* c) noexcept;

}  // namespace lucid::detail
