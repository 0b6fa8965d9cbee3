// lucid::task<T>: a lazy, move-only coroutine that produces a T.
//
// Contract: a task does nothing until it is awaited (co_await t) or spawned
// (lucid::spawn). Awaiting runs it on the awaiting task's strand: inline,
// without a scheduler round trip, until it suspends; an exception escaping it
// is rethrown from the co_await. Each co_await inside a task records its file,
// line and function (the async backtrace); see detail/strand.hpp for how
// frames are resumed without relying on tail calls.
//
// Thread safety: a task object is owned by one thread at a time; move it to
// hand it over. Cancellation: destroying a task (or the task that awaits it)
// destroys its frame at its current suspension point; every lucid awaitable
// deregisters in its destructor.
#pragma once

#include <coroutine>
#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

#include "lucid/base/assert.hpp"
#include "lucid/rt/detail/foreign.hpp"
#include "lucid/rt/detail/frame_alloc.hpp"
#include "lucid/rt/detail/strand.hpp"

namespace lucid {

template <class T = void>
class task;

namespace detail {

template <class T>
struct task_promise;

/// Marks awaitables that know how to suspend a lucid task (they take the
/// waker from the promise). Awaitables without it are still accepted.
template <class P>
concept lucid_promise = std::is_base_of_v<promise_base, P>;

/// The final awaiter: hands control back to the parent frame (see strand.hpp).
struct final_awaiter {
  bool await_ready() const noexcept { return false; }
  template <class P>
  void await_suspend(std::coroutine_handle<P> h) noexcept {
    promise_base& p = h.promise();
    p.done_ = true;
    strand* s = p.strand_;
    if (p.parent_ != nullptr) {
      s->leaf = p.parent_;
      if (!p.inline_) s->resume_again = true;
    } else {
      s->complete = true;
    }
  }
  void await_resume() const noexcept {}
};

/// Awaits a child task on the current strand.
template <class T>
struct task_awaiter {
  std::coroutine_handle<task_promise<T>> child;
  promise_base* parent;

  bool await_ready() const noexcept { return false; }
  bool await_suspend(std::coroutine_handle<>) {
    promise_base& c = child.promise();
    c.parent_ = parent;
    c.strand_ = parent->strand_;
    c.inline_ = true;
    c.strand_->leaf = &c;
    child.resume();
    if (c.done_) return false;  // completed without suspending: continue the parent now
    c.inline_ = false;
    return true;
  }
  T await_resume() { return child.promise().take_result(); }
};

/// Records, once per escaping exception, the task's await chain at the frame
/// the exception leaves first (for panic reports). Exceptional path only.
void note_unhandled_exception(promise_base* p) noexcept;

template <class Derived>
struct promise_common : promise_base {
  // Frames come from the runtime's pooled allocator (detail/frame_alloc.hpp).
  static void* operator new(std::size_t n) { return frame_alloc(n); }
  static void operator delete(void* p, std::size_t n) noexcept { frame_free(p, n); }

  std::suspend_always initial_suspend() const noexcept { return {}; }
  final_awaiter final_suspend() const noexcept { return {}; }
  void unhandled_exception() noexcept {
    exception_ = std::current_exception();
    note_unhandled_exception(this);
  }

  /// Records the site of every co_await in this coroutine (the async backtrace).
  template <class A>
  decltype(auto) await_transform(A&& a, const char* file = __builtin_FILE(),
                                 unsigned line = __builtin_LINE(),
                                 const char* function = __builtin_FUNCTION()) noexcept {
    this->site_file_ = file;
    this->site_function_ = function;
    this->site_line_ = line;
    if constexpr (requires { std::forward<A>(a).lucid_awaiter(this); }) {
      return std::forward<A>(a).lucid_awaiter(this);
    } else if constexpr (foreign_awaiter_type<A>) {
      // Not a lucid awaitable: route its resumption through the scheduler.
      return foreign_awaiter<A>(std::forward<A>(a));
    } else {
      return std::forward<A>(a);
    }
  }
};

template <class T>
struct task_promise final : promise_common<task_promise<T>> {
  std::optional<T> value_;

  task<T> get_return_object() noexcept;
  template <class U>
  requires std::is_convertible_v<U&&, T>
  void return_value(U&& v) noexcept(std::is_nothrow_constructible_v<T, U&&>) {
    value_.emplace(std::forward<U>(v));
  }
  T take_result() {
    if (this->exception_) std::rethrow_exception(this->exception_);
    return std::move(*value_);
  }
};

template <>
struct task_promise<void> final : promise_common<task_promise<void>> {
  task<void> get_return_object() noexcept;
  void return_void() noexcept {}
  void take_result() {
    if (this->exception_) std::rethrow_exception(this->exception_);
  }
};

}  // namespace detail

/// A lazy coroutine producing T; await it, or spawn it as a task.
///
/// Example:
///   lucid::task<int> answer() { co_return 42; }
///   lucid::task<> caller() { int v = co_await answer(); }
template <class T>
class [[nodiscard]] task {
 public:
  using promise_type = detail::task_promise<T>;
  using value_type = T;

  task() noexcept = default;
  explicit task(std::coroutine_handle<promise_type> h) noexcept : h_(h) {}
  task(task&& o) noexcept : h_(std::exchange(o.h_, {})) {}
  task& operator=(task&& o) noexcept {
    if (this != &o) {
      reset();
      h_ = std::exchange(o.h_, {});
    }
    return *this;
  }
  task(const task&) = delete;
  task& operator=(const task&) = delete;
  ~task() { reset(); }

  bool valid() const noexcept { return static_cast<bool>(h_); }

  /// Used by await_transform of lucid promises: runs this task on the awaiting strand.
  detail::task_awaiter<T> lucid_awaiter(detail::promise_base* parent) && {
    LUCID_ASSERT(h_, "co_await on an empty task");
    return detail::task_awaiter<T>{h_, parent};
  }

  /// The frame, still owned by this task.
  std::coroutine_handle<promise_type> handle() const noexcept { return h_; }

  /// Releases the frame (for the runtime's spawn).
  std::coroutine_handle<promise_type> release() noexcept { return std::exchange(h_, {}); }

 private:
  void reset() noexcept {
    if (h_) h_.destroy();
    h_ = {};
  }
  std::coroutine_handle<promise_type> h_;
};

namespace detail {
template <class T>
task<T> task_promise<T>::get_return_object() noexcept {
  static_assert(alignof(task_promise<T>) <= promise_base::kMaxAlign,
                "lucid::task<T> does not support T aligned beyond 16 bytes: return it boxed");
  return task<T>{std::coroutine_handle<task_promise<T>>::from_promise(*this)};
}
inline task<void> task_promise<void>::get_return_object() noexcept {
  return task<void>{std::coroutine_handle<task_promise<void>>::from_promise(*this)};
}
}  // namespace detail

}  // namespace lucid
