// lucid::join_handle<T>: owns the right to await a spawned task's result.
//
// Contract: awaiting the handle gives the task's value, or rethrows the
// exception that escaped it, or throws lucid::task_aborted if it was aborted
// (or the runtime shut down first). abort() requests cancellation: the task's
// frame is destroyed at its suspension point by a worker. Destroying the
// handle detaches the task; an exception escaping a detached task is reported
// (see runtime_options::unobserved_panic).
//
// Thread safety: the handle itself is used by one thread at a time; abort()
// and is_finished() may race with the task running anywhere.
// Cancellation: cancelling the task that awaits a handle deregisters its
// waker; the spawned task keeps running (detached).
#pragma once

#include <coroutine>
#include <new>
#include <stdexcept>
#include <string_view>
#include <type_traits>
#include <utility>

#include "lucid/base/assert.hpp"
#include "lucid/rt/detail/frame_alloc.hpp"
#include "lucid/rt/detail/task_cell.hpp"
#include "lucid/rt/task.hpp"

namespace lucid {

/// Thrown when awaiting a task that was aborted before it finished.
class task_aborted : public std::runtime_error {
 public:
  task_aborted() : std::runtime_error("task was aborted") {}
};

namespace detail {
/// Drops the handle's reference and marks the task detached.
void detach_handle(task_cell* c) noexcept;
/// Suspends `waiter` until c completes; false if it already has.
bool join_register(task_cell* c, strand* waiter) noexcept;
void join_deregister(task_cell* c, strand* waiter) noexcept;
/// Throws task_aborted if c was cancelled.
void join_check_cancelled(task_cell* c);
/// The joining task inherits where c's exception came from (panic reports).
void inherit_panic_origin(const task_cell* c) noexcept;

/// complete_fn_ of a task<T>: see task_cell.hpp.
template <class T>
void complete_root(task_cell* c, task_cell::result_op op) noexcept {
  if (op == task_cell::result_op::extract) {
    auto h = std::coroutine_handle<task_promise<T>>::from_address(c->root_frame().address());
    auto& p = h.promise();
    if (p.exception_) {
      c->rare().exception = std::move(p.exception_);
    } else if constexpr (!std::is_void_v<T>) {
      c->result_ = new (frame_alloc(sizeof(T))) T(std::move(*p.value_));
    }
    c->frame_live_ = false;
    h.destroy();
  } else if constexpr (!std::is_void_v<T>) {
    if (c->result_ != nullptr) {
      static_cast<T*>(c->result_)->~T();
      frame_free(c->result_, sizeof(T));
      c->result_ = nullptr;
    }
  }
}

/// The outcome of the finished task c: its value, or its exception rethrown,
/// or task_aborted. Marks the outcome observed (no unobserved-panic report).
template <class T>
T take_result(task_cell* c) {
  join_check_cancelled(c);
  c->panic_reported_ = true;
  if (std::exception_ptr e = c->exception()) {
    inherit_panic_origin(c);
    std::rethrow_exception(e);
  }
  if constexpr (!std::is_void_v<T>) {
    LUCID_ASSERT(c->result_ != nullptr, "the result of a task was taken twice");
    T v = std::move(*static_cast<T*>(c->result_));
    complete_root<T>(c, task_cell::result_op::drop_result);
    return v;
  }
}
}  // namespace detail

template <class T>
class [[nodiscard]] join_handle;

namespace detail {
/// Spawns t on scheduler s.
template <class T>
join_handle<T> spawn_task(scheduler* s, task<T> t, std::string_view name, source_site site) {
  auto h = t.release();
  return join_handle<T>(spawn_cell(s, h, &h.promise(), &complete_root<T>, name, site, true));
}
}  // namespace detail

template <class T>
class [[nodiscard]] join_handle {
 public:
  join_handle() noexcept = default;
  explicit join_handle(detail::task_cell* c) noexcept : c_(c) {}
  join_handle(join_handle&& o) noexcept : c_(std::exchange(o.c_, nullptr)) {}
  join_handle& operator=(join_handle&& o) noexcept {
    if (this != &o) {
      reset();
      c_ = std::exchange(o.c_, nullptr);
    }
    return *this;
  }
  join_handle(const join_handle&) = delete;
  join_handle& operator=(const join_handle&) = delete;
  ~join_handle() { reset(); }

  /// Requests cancellation of the task (no effect once it finished).
  void abort() const noexcept {
    if (c_) c_->abort();
  }
  bool is_finished() const noexcept { return c_ && c_->is_complete(); }
  task_id id() const noexcept { return c_ ? c_->id_ : 0; }
  /// Detaches the task explicitly (same as destroying the handle).
  void detach() noexcept { reset(); }

  struct awaiter {
    detail::task_cell* c = nullptr;
    detail::strand* waiter = nullptr;
    bool await_ready() const noexcept { return c->is_complete(); }
    template <class P>
    bool await_suspend(std::coroutine_handle<P> h) noexcept {
      waiter = h.promise().strand_;
      if (!detail::join_register(c, waiter)) {
        waiter = nullptr;
        return false;
      }
      return true;
    }
    T await_resume() {
      waiter = nullptr;
      return detail::take_result<T>(c);
    }
    ~awaiter() {
      if (waiter) detail::join_deregister(c, waiter);
    }
  };

  /// Awaits the task's outcome; the handle is awaited in place (`co_await h`)
  /// and stays with the caller. An await that is cancelled before the task
  /// finished (a lost select or timeout, which accept `h` by reference)
  /// leaves the handle as it was: await it again, or abort() the task. Once
  /// an await has delivered the outcome, awaiting again is an error.
  awaiter operator co_await() const& noexcept {
    LUCID_ASSERT(c_ != nullptr, "co_await on an empty join_handle");
    return awaiter{c_};
  }

  /// For the runtime: the task cell.
  detail::task_cell* cell() const noexcept { return c_; }

 private:
  void reset() noexcept {
    if (c_) detail::detach_handle(std::exchange(c_, nullptr));
  }
  detail::task_cell* c_ = nullptr;
};

}  // namespace lucid
