// lucid::detail::strand and promise_base: how a task's chain of coroutine
// frames is resumed, and where each frame is suspended.
//
// A *task* (task_cell) runs one root coroutine. Awaiting a task<T> inside it
// pushes a child frame onto the same *strand*; the strand's `leaf` is the
// innermost frame, the one suspended at a leaf awaitable (timer, wait queue,
// I/O). Polling the strand resumes the leaf. Combinators (select, timeout,
// when_all) run each branch on a child strand whose wake-ups mark the branch
// ready and wake the parent strand, so all branches of one task are polled by
// that task's poll and never run concurrently: losing branches can be
// destroyed synchronously (cancellation is destruction).
//
// Ownership and threads: every field here is touched only by the thread that
// currently polls the task (the task_cell's RUNNING bit gives exclusive
// access), except `ready`, which wakers set from any thread. An inspector
// holding the task's INSPECTED claim (no poll can start) may read `leaf`,
// the frames' sites, `pending` and `wait`.
//
// Resumption without tail calls: a child started by `co_await` runs inline
// inside the parent's await_suspend; if it completes without suspending, its
// final awaiter leaves control to the parent's await_suspend, which returns
// false (no stack growth). A child that completes after having suspended sets
// `resume_again`, and strand::run()'s loop resumes the parent: a trampoline,
// so 1,000,000 synchronously completing awaits never grow the stack.
#pragma once

#include <atomic>
#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <new>
#include <utility>

namespace lucid::detail {

struct strand;
struct task_cell;
struct wait_record;

/// Where a frame is suspended: the file, line and function of its co_await.
struct await_point {
  const char* file = nullptr;
  const char* function = nullptr;
  unsigned line = 0;
};

/// The part of every lucid coroutine promise the runtime needs. It lives in
/// every frame, so it is 32 bytes, four words:
///
///   parent_   the frame awaiting this one; null for a strand's root frame
///   bits_     the strand this frame runs on, with three flags in its low
///             bits (a strand is 8-aligned): INLINE (started by the parent's
///             await_suspend, not yet suspended), DONE (reached final
///             suspend), THREW (an exception escaped the body); and in its
///             top 16 bits the frame's size in 16-byte units (0: unknown or
///             past 1 MiB), set once at creation (frame_bytes())
///   site_     the file of the co_await this frame is suspended at, with its
///             line in the top 16 bits (user-space addresses on x86-64 and
///             AArch64 fit in 48 bits; lines past 65535 read as 65535)
///   function  the coroutine's name (set when the frame is created), until
///             an exception escapes the body: from then on the same word
///             holds the exception (THREW says which). A frame that threw has
///             finished, so its await site is not read again; site() gives
///             no function for it.
///
/// The frame's handle is computed from the promise's address. All of it
/// belongs to the thread polling the task (see strand below).
struct promise_base {
  /// Promise types deriving from promise_base may not be aligned beyond this
  /// (checked in promise_common), so the frame address is promise - 16 (see handle()).
  static constexpr std::size_t kMaxAlign = 16;

  promise_base() noexcept : function_(nullptr) {}
  promise_base(const promise_base&) = delete;
  promise_base& operator=(const promise_base&) = delete;
  ~promise_base() {
    if (bits_ & kThrew) exception_.~exception_ptr();
  }

  promise_base* parent_ = nullptr;  ///< the frame awaiting this one; null for a strand root

  detail::strand* strand() const noexcept {
    return reinterpret_cast<detail::strand*>(bits_ & ~(kFlags | kSizeMask));
  }
  void set_strand(detail::strand* s) noexcept {
    bits_ = reinterpret_cast<std::uintptr_t>(s) | (bits_ & (kFlags | kSizeMask));
  }
  /// The frame's size in bytes (rounded up to 16), or 0 when unknown: the
  /// promise was not made by promise_common's allocator, or the frame is
  /// larger than 1 MiB. With handle().address(), the frame's extent.
  std::size_t frame_bytes() const noexcept {
    return static_cast<std::size_t>(bits_ >> kSizeShift) * kSizeUnit;
  }
  /// Records the frame's size (at creation, see frame_bytes()).
  void set_frame_bytes(std::size_t n) noexcept {
    std::uintptr_t units = (n + kSizeUnit - 1) / kSizeUnit;
    if (units > kMaxSizeUnits) units = 0;
    bits_ = (bits_ & ~kSizeMask) | (units << kSizeShift);
  }
  bool is_inline() const noexcept { return (bits_ & kInline) != 0; }
  void set_inline(bool on) noexcept { bits_ = on ? (bits_ | kInline) : (bits_ & ~kInline); }
  bool done() const noexcept { return (bits_ & kDone) != 0; }
  void set_done() noexcept { bits_ |= kDone; }

  /// An exception escaped the body (set by unhandled_exception).
  bool threw() const noexcept { return (bits_ & kThrew) != 0; }
  /// The exception that escaped the body; only when threw().
  std::exception_ptr& exception() noexcept { return exception_; }
  /// Keeps the escaping exception (in the function name's word, see above).
  /// Once per frame: unhandled_exception ends the body.
  void set_exception(std::exception_ptr e) noexcept {
    new (&exception_) std::exception_ptr(std::move(e));
    bits_ |= kThrew;
  }
  /// Rethrows the escaping exception, if any (a finished frame's outcome).
  void rethrow_if_threw() const {
    if (threw()) std::rethrow_exception(exception_);
  }

  /// Records the co_await this frame is about to suspend at (one store).
  void set_site(const char* file, unsigned line) noexcept {
    site_ = reinterpret_cast<std::uintptr_t>(file) |
            (static_cast<std::uintptr_t>(line < kMaxLine ? line : kMaxLine) << kLineShift);
  }
  /// Records the coroutine's name (at creation).
  void set_function(const char* function) noexcept {
    if (!threw()) function_ = function;
  }
  const char* site_file() const noexcept {
    return reinterpret_cast<const char*>(site_ & ((std::uintptr_t{1} << kLineShift) - 1));
  }
  unsigned site_line() const noexcept { return static_cast<unsigned>(site_ >> kLineShift); }
  const char* site_function() const noexcept { return threw() ? nullptr : function_; }
  await_point site() const noexcept {
    return await_point{site_file(), site_function(), site_line()};
  }

  /// This frame. The promise is the first subobject of the promise type, which
  /// the frame holds at the offset __builtin_coro_promise computes.
  std::coroutine_handle<> handle() noexcept {
    return std::coroutine_handle<>::from_address(
        __builtin_coro_promise(static_cast<void*>(this), kMaxAlign, true));
  }

  // The layout the gdb extension (tools/gdb/lucid_gdb.py) decodes.
  static constexpr std::uintptr_t kInline = 1, kDone = 2, kThrew = 4, kFlags = 7;
  static constexpr unsigned kLineShift = 48;
  static constexpr unsigned kMaxLine = 0xFFFF;
  static constexpr unsigned kSizeShift = 48;
  static constexpr std::uintptr_t kSizeMask = ~std::uintptr_t{0} << kSizeShift;
  static constexpr std::size_t kSizeUnit = 16;
  static constexpr std::uintptr_t kMaxSizeUnits = 0xFFFF;

 private:
  std::uintptr_t bits_ = 0;
  std::uintptr_t site_ = 0;
  union {
    const char* function_;
    std::exception_ptr exception_;
  };
};
static_assert(sizeof(promise_base) == 32, "promise_base is in every frame: keep it four words");

/// Something that drives several child strands inside one task (select, timeout, when_all).
struct combinator_base {
  /// Polls the ready branches; true when the combinator is finished and the
  /// strand's leaf (the frame that awaits the combinator) may resume.
  virtual bool poll() = 0;
  /// Copies up to `max` of its live branch strands into `out` (for the task
  /// dump, under the task's INSPECTED claim); returns how many.
  virtual std::size_t branches(const strand** out, std::size_t max) const noexcept = 0;

 protected:
  ~combinator_base() = default;
};

/// A chain of frames inside one task that is resumed as a unit.
struct strand {
  promise_base* leaf = nullptr;  ///< innermost frame, resumed by run()
  /// Up one level: a task's root strand holds its task_cell; a combinator
  /// branch holds its parent strand with the low bit set (one word, as a
  /// task cell holds its root strand inline and a million tasks is a workload).
  std::uintptr_t up_ = 0;
  combinator_base* pending = nullptr;  ///< when set, run() polls it instead of resuming leaf
  /// What the leaf is suspended on (see wait_record.hpp); set by the leaf
  /// awaitable in await_suspend, cleared by run() before each resumption.
  const wait_record* wait = nullptr;
  // The flags last: a task cell holds its root strand [[no_unique_address]]
  // and puts its own small fields in the tail padding.
  bool resume_again = false;       ///< trampoline: leaf changed to a frame that must run
  bool complete = false;           ///< the root frame of this strand finished
  std::atomic<bool> ready{false};  ///< branch strands: woken since the last poll

  /// The strand a combinator branch reports to; null for a task's root strand.
  strand* parent() const noexcept {
    return (up_ & 1) != 0 ? reinterpret_cast<strand*>(up_ & ~std::uintptr_t{1}) : nullptr;
  }
  /// The task this strand belongs to (a branch: its root strand's), or null
  /// for a strand no task holds (tests).
  task_cell* cell() const noexcept {
    const strand* s = this;
    while ((s->up_ & 1) != 0)
      s = reinterpret_cast<const strand*>(s->up_ & ~std::uintptr_t{1});
    return reinterpret_cast<task_cell*>(s->up_);
  }
  /// A task's root strand (the runtime's spawn).
  void set_task(task_cell* c) noexcept { up_ = reinterpret_cast<std::uintptr_t>(c); }
  /// A combinator branch under `p`, which belongs to the same task.
  void set_parent(strand* p) noexcept { up_ = reinterpret_cast<std::uintptr_t>(p) | 1; }
  /// The root strand of a task (not a branch, not a bare strand).
  bool is_task_root() const noexcept { return up_ != 0 && (up_ & 1) == 0; }

  /// Wakes the strand: a root strand schedules its task; a branch marks itself
  /// ready and wakes its parent. Callable from any thread, under the lock of
  /// the registration that holds the waker (see waker.hpp).
  void wake() noexcept;
  /// Wakes the strand's task from inside its own poll as a yield: it runs
  /// again only after the tasks already runnable, and after its worker has
  /// looked at due timers and ready I/O (yield_now).
  void yield() noexcept;

  /// Resumes the strand until every frame in it is suspended or finished.
  void run();
};

/// Records `s` as the combinator branch the calling thread is running (null:
/// none) and returns the previous one. Combinators set it around each run of
/// a branch, so the async backtrace and crash reports start from the frame
/// that runs, inside the branch, rather than from the frame that awaits the
/// combinator. Out of line (a thread_local; see DESIGN.md).
strand* exchange_running_branch(strand* s) noexcept;

/// Runs a branch strand, recorded as the running branch for its duration.
class running_branch_scope {
 public:
  explicit running_branch_scope(strand* s) noexcept : prev_(exchange_running_branch(s)) {}
  ~running_branch_scope() { exchange_running_branch(prev_); }
  running_branch_scope(const running_branch_scope&) = delete;
  running_branch_scope& operator=(const running_branch_scope&) = delete;

 private:
  strand* prev_;
};

inline void strand::run() {
  for (;;) {
    if (pending != nullptr) {
      if (!pending->poll()) return;
      pending = nullptr;
    }
    resume_again = false;
    wait = nullptr;
    leaf->handle().resume();
    if (!resume_again) return;
  }
}

}  // namespace lucid::detail
