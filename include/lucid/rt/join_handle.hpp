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
#include "lucid/rt/detail/raw_task.hpp"
#include "lucid/rt/detail/wait_record.hpp"
#include "lucid/rt/task.hpp"

namespace lucid {

/// Thrown when awaiting a task that was aborted before it finished.
class task_aborted : public std::runtime_error {
 public:
  task_aborted() : std::runtime_error("task was aborted") {}
};

namespace detail {

/// The outcome of the finished task t: its value, or its exception rethrown,
/// or task_aborted. Marks the outcome observed (no unobserved-panic report).
template <class T>
T take_result(raw_task t) {
  if (std::exception_ptr e = t.take_outcome()) std::rethrow_exception(e);
  if constexpr (!std::is_void_v<T>) {
    result_box* box = t.take_box();
    LUCID_ASSERT(box != nullptr, "the result of a task was taken twice");
    T v = std::move(static_cast<value_box<T>*>(box)->value);
    box->drop(box);
    return v;
  }
}
}  // namespace detail

template <class T>
class [[nodiscard]] join_handle;

namespace detail {
/// For the runtime's own code (block_on, run): the task behind a handle.
struct join_access {
  template <class T>
  static raw_task raw(const join_handle<T>& h) noexcept {
    return h.t_;
  }
};
}  // namespace detail

namespace detail {
/// Spawns t on scheduler s (local: on the calling worker only, see spawn_local).
template <class T>
join_handle<T> spawn_task(scheduler* s, task<T> t, std::string_view name, source_site site,
                          bool local = false) {
  auto h = t.release();
  return join_handle<T>(raw_task::spawn(s, &h.promise(), name, site, /*joinable=*/true, local));
}
}  // namespace detail

template <class T>
class [[nodiscard]] join_handle {
 public:
  join_handle() noexcept = default;
  explicit join_handle(detail::raw_task t) noexcept : t_(t) {}
  join_handle(join_handle&& o) noexcept : t_(std::exchange(o.t_, {})) {}
  join_handle& operator=(join_handle&& o) noexcept {
    if (this != &o) {
      reset();
      t_ = std::exchange(o.t_, {});
    }
    return *this;
  }
  join_handle(const join_handle&) = delete;
  join_handle& operator=(const join_handle&) = delete;
  ~join_handle() { reset(); }

  /// Requests cancellation of the task (no effect once it finished).
  void abort() const noexcept {
    if (t_) t_.abort();
  }
  bool is_finished() const noexcept { return t_ && t_.is_complete(); }
  task_id id() const noexcept { return t_ ? t_.id() : 0; }
  /// Detaches the task explicitly (same as destroying the handle).
  void detach() noexcept { reset(); }

  struct awaiter {
    detail::raw_task t;
    detail::strand* waiter = nullptr;
    detail::wait_record rec{};  ///< for the task dump: which task this waits for
    bool await_ready() const noexcept { return t.is_complete(); }
    template <class P>
    bool await_suspend(std::coroutine_handle<P> h) noexcept {
      waiter = h.promise().strand();
      if (!t.join_register(waiter)) {
        waiter = nullptr;
        return false;
      }
      rec = detail::wait_record(detail::join_resource, detail::wake_source::task);
      rec.set_joined(t.id());
      rec.begin(waiter);
      return true;
    }
    T await_resume() {
      // The task may be seen complete (and this strand polled, for another
      // reason, or a branch marked ready) while finish_task() is still
      // inside waiter->wake(), under the join lock. Taking that lock waits
      // for the wake to return: until then this frame, a combinator's
      // branch strands above it and the joining task's cell must stay.
      if (waiter) t.join_deregister(std::exchange(waiter, nullptr));
      return detail::take_result<T>(t);
    }
    ~awaiter() {
      if (waiter) t.join_deregister(waiter);
    }
  };

  /// Awaits the task's outcome; the handle is awaited in place (`co_await h`)
  /// and stays with the caller. An await that is cancelled before the task
  /// finished (a lost select or timeout, which accept `h` by reference)
  /// leaves the handle as it was: await it again, or abort() the task. Once
  /// an await has delivered the outcome, awaiting again is an error.
  awaiter operator co_await() const& noexcept {
    LUCID_ASSERT(t_, "co_await on an empty join_handle");
    return awaiter{t_};
  }

 private:
  friend struct detail::join_access;
  void reset() noexcept {
    if (t_) std::exchange(t_, {}).detach();
  }
  detail::raw_task t_;
};

}  // namespace lucid
