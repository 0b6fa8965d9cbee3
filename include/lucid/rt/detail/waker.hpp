// lucid::detail::waker: the handle a leaf awaitable keeps to wake its task.
//
// Contract: a waker is valid while the awaitable that registered it is alive.
// Because cancellation destroys frames, an awaitable's destructor deregisters
// its waker under the same lock that the waking side holds while calling
// wake(): so wake() must be called with that lock held, and then never
// reaches a destroyed frame. wake() itself is lock-free and may be called from
// any thread; it never runs the task inline.
#pragma once

#include <coroutine>

#include "lucid/rt/detail/strand.hpp"
#include "lucid/rt/detail/task_stats.hpp"
#include "lucid/rt/observer.hpp"

namespace lucid::detail {

class waker {
 public:
  waker() noexcept = default;
  explicit waker(strand* s) noexcept : s_(s) {}

  /// The waker of the task suspended in `h` (a lucid task's frame).
  template <class P>
  static waker of(std::coroutine_handle<P> h) noexcept {
    static_assert(std::is_base_of_v<promise_base, P>,
                  "lucid awaitables can only be awaited inside a lucid::task");
    return waker(h.promise().strand());
  }

  void wake() const noexcept { s_->wake(); }
  /// The task wakes itself as a yield (see strand::yield).
  void yield() const noexcept { s_->yield(); }
  explicit operator bool() const noexcept { return s_ != nullptr; }
  task_id task() const noexcept;
  strand* get() const noexcept { return s_; }
  friend bool operator==(waker a, waker b) noexcept { return a.s_ == b.s_; }

  /// Reports the registration of this waker in `source` to the runtime observers.
  void registered(const void* source) const noexcept {
    LUCID_OBSERVE(on_waker_registered, task(), source);
    if (__builtin_expect(task_stats_enabled(), 0)) stats_waker_registered(s_);
  }
  void released(const void* source) const noexcept {
    LUCID_OBSERVE(on_waker_released, task(), source);
    if (__builtin_expect(task_stats_enabled(), 0)) stats_waker_released(s_);
  }

 private:
  strand* s_ = nullptr;
};

/// The id of the task a strand belongs to, or 0.
task_id task_id_of(const strand* s) noexcept;

inline task_id waker::task() const noexcept {
  return task_id_of(s_);
}

}  // namespace lucid::detail
