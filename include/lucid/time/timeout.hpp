// lucid::timeout: runs an awaitable with a deadline.
//
// Contract: co_await timeout(d, op) gives result<T>: the value of op, or
// errc::timed_out if d passed first. On expiry op is cancelled: its frame is
// destroyed and its wait registrations removed before timeout returns. An
// exception from op is rethrown. op runs inside the awaiting task.
//
// op given as an rvalue is moved in and consumed. op given as an lvalue (a
// named join_handle or oneshot receiver, a named notified() or sleep) is
// awaited by reference, as tokio's `timeout(d, &mut handle)`: the caller keeps
// it, and after a timeout may await it again or, for a join_handle, abort()
// the task. A named task is a compile error (awaiting a task consumes it:
// std::move it in).
// Cancellation: cancelling the awaiting task cancels op and the timer.
#pragma once

#include <chrono>
#include <coroutine>
#include <utility>

#include "lucid/base/result.hpp"
#include "lucid/rt/detail/branch.hpp"
#include "lucid/rt/detail/timer.hpp"
#include "lucid/rt/detail/wait_record.hpp"

namespace lucid {

namespace detail {

template <class T>
class timeout_awaiter final : public combinator_base {
 public:
  timeout_awaiter(time_point deadline, task<T>&& t) : inner_(std::move(t)) {
    timer_.deadline = deadline;
  }
  timeout_awaiter(timeout_awaiter&& o) noexcept : inner_(std::move(o.inner_)) {
    timer_.deadline = o.timer_.deadline;
  }
  ~timeout_awaiter() {
    cancel_timer(&timer_);
    if (parent_ != nullptr && parent_->pending == this) parent_->pending = nullptr;
  }

  bool await_ready() const noexcept { return false; }
  template <class P>
  bool await_suspend(std::coroutine_handle<P> h) {
    parent_ = h.promise().strand();
    if (inner_.start(parent_)) return false;
    timer_strand_.set_parent(parent_);
    timer_.w = waker(&timer_strand_);
    if (!register_timer(&timer_)) {  // deadline already passed
      expired_ = true;
      inner_.cancel();
      return false;
    }
    parent_->pending = this;
    rec_ = wait_record(timeout_resource, wake_source::driver);
    rec_.set_deadline_ns(timer_.deadline.time_since_epoch().count());
    rec_.begin(parent_);
    return true;
  }

  bool poll() override {
    if (inner_.poll()) {
      cancel_timer(&timer_);
      return true;
    }
    // acquire: pairs with the timer's wake; then `fired` is visible.
    if (timer_strand_.ready.exchange(false, std::memory_order_acquire) && timer_.fired) {
      expired_ = true;
      inner_.cancel();
      return true;
    }
    return false;
  }

  std::size_t branches(const strand** out, std::size_t max) const noexcept override {
    if (max == 0 || !inner_.started || inner_.complete()) return 0;
    out[0] = &inner_.s;
    return 1;
  }

  result<T> await_resume() {
    if (expired_) return errc::timed_out;
    if constexpr (std::is_void_v<T>) {
      inner_.take();
      return result<T>();
    } else {
      return result<T>(inner_.take());
    }
  }

 private:
  branch<T> inner_;
  strand timer_strand_;
  timer_entry timer_;
  strand* parent_ = nullptr;
  wait_record rec_;
  bool expired_ = false;
};

}  // namespace detail

/// Awaits `op` for at most `d`; errc::timed_out if it takes longer.
///
/// A join_handle shows the difference between the two ways of passing op:
/// - `timeout(d, h)` (h named): awaits h in place. On timeout the task keeps
///   running and the caller still holds h: it can `h.abort()` (then awaiting
///   h throws task_aborted), or await h again for the value.
/// - `timeout(d, std::move(h))`: h moves into the timeout. On timeout h is
///   destroyed with the cancelled branch, which detaches the task: it runs on
///   unseen, and nobody can abort or await it any more.
///
/// Example:
///   auto r = co_await lucid::timeout(5s, query_db(42));
///   if (!r) LUCID_ERROR("query timed out");
///
///   auto h = lucid::spawn(query_db(42));
///   if (!co_await lucid::timeout(5s, h)) h.abort();  // h is still ours
template <class Rep, class Period, class A>
auto timeout(std::chrono::duration<Rep, Period> d, A&& op) {
  using T = detail::awaited_t<A>;
  return detail::timeout_awaiter<T>(detail::deadline_after(d),
                                    detail::as_task(std::forward<A>(op)));
}

/// Awaits `op` until `deadline`.
template <class A>
auto timeout_at(time_point deadline, A&& op) {
  using T = detail::awaited_t<A>;
  return detail::timeout_awaiter<T>(deadline, detail::as_task(std::forward<A>(op)));
}

}  // namespace lucid
