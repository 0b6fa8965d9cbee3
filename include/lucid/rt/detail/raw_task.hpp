// lucid::detail::raw_task: the type-erased handle to a spawned task that join
// handles and the runtime's templates hold. The task's header (task_cell:
// state word, references, queue links) is private to rt (src/rt/task/cell.hpp);
// this header shows only what a handle may do with it.
//
// Contract: a raw_task is a plain pointer, not an owner: join_handle owns the
// reference it names and gives it back with detach(). is_complete(), id() and
// abort() may be called from any thread while the reference is held. The
// outcome accessors (take_outcome, take_box) are for the one holder of the
// join reference, after is_complete() returned true.
//
// The value of a finished task<T> is boxed by its root frame at final
// suspend (detail::result_box, task.hpp), where the type is known; the box
// carries its own drop function. The runtime takes an exception itself (it
// is in every promise), and a task<void> has no box.
#pragma once

#include <coroutine>
#include <exception>
#include <string_view>

#include "lucid/base/source_site.hpp"
#include "lucid/rt/observer.hpp"

namespace lucid::detail {

struct task_cell;
struct strand;
struct promise_base;
class scheduler;

struct result_box;

class raw_task {
 public:
  raw_task() noexcept = default;
  explicit raw_task(task_cell* c) noexcept : c_(c) {}

  /// Spawns the coroutine whose root promise is `root` on `s`; the returned
  /// task holds a join reference when `joinable`. A `local` task runs only
  /// on the calling worker (spawn_local), which must be one of s's.
  static raw_task spawn(scheduler* s, promise_base* root, std::string_view name, source_site site,
                        bool joinable, bool local = false);

  explicit operator bool() const noexcept { return c_ != nullptr; }
  task_id id() const noexcept;
  /// The task finished (value, exception or cancelled); acquire: its outcome is visible.
  bool is_complete() const noexcept;
  /// Requests cancellation (no effect once finished).
  void abort() const noexcept;

  /// Registers `waiter` to be woken at completion; false if already complete.
  bool join_register(strand* waiter) const noexcept;
  /// Removes `waiter` if still registered; under the join lock, so it also
  /// waits for a completion that is waking it to finish the wake.
  void join_deregister(strand* waiter) const noexcept;
  /// Gives the join reference back and marks the task detached (an
  /// exception that nobody observed is then reported).
  void detach() noexcept;

  /// After completion: throws task_aborted if the task was cancelled; else
  /// marks the outcome observed and returns the exception that escaped it
  /// (null if it returned), recording where it came from for the joiner's
  /// panic report.
  std::exception_ptr take_outcome() const;
  /// After take_outcome() returned null: the boxed value (ownership passes
  /// to the caller), or null if it was taken already.
  result_box* take_box() const noexcept;

 private:
  friend struct raw_task_access;  // rt's own code (src/rt/task/cell.hpp)
  task_cell* c_ = nullptr;
};

}  // namespace lucid::detail
