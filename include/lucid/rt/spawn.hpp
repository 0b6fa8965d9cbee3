// lucid::spawn, yield_now, spawn_blocking, current_task: what a task uses to
// start other work and to learn about itself.
//
// Contract: spawn() and spawn_blocking() use the runtime of the calling
// thread (a worker, or a thread inside block_on); calling them elsewhere stops
// the program with a message naming the call site. A spawned task's parent is
// the calling task.
#pragma once

#include <coroutine>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <type_traits>
#include <utility>

#include "lucid/base/source_site.hpp"
#include "lucid/base/spin_lock.hpp"
#include "lucid/rt/detail/wait_record.hpp"
#include "lucid/rt/detail/waker.hpp"
#include "lucid/rt/join_handle.hpp"
#include "lucid/rt/task.hpp"

namespace lucid {

namespace detail {
scheduler* require_scheduler(source_site site) noexcept;
void submit_blocking(scheduler* s, std::function<void()> job);
}  // namespace detail

/// Spawns `t` on the current runtime; the task starts running concurrently.
///
/// Example:
///   auto h = lucid::spawn(fetch(url));
///   auto body = co_await h;
template <class T>
join_handle<T> spawn(task<T> t, source_site site = source_site::current()) {
  return detail::spawn_task(detail::require_scheduler(site), std::move(t), std::string_view(),
                            site);
}

/// Spawns a named task (the name shows in dumps, panics and the console).
template <class T>
join_handle<T> spawn(std::string_view name, task<T> t, source_site site = source_site::current()) {
  return detail::spawn_task(detail::require_scheduler(site), std::move(t), name, site);
}

/// Suspends the current task and lets the others run: it resumes after the
/// tasks already runnable, and after its worker has fired due timers and
/// dispatched ready I/O, so a task that yields in a loop never starves them.
struct yield_now {
  bool await_ready() const noexcept { return false; }
  template <class P>
  void await_suspend(std::coroutine_handle<P> h) const noexcept {
    detail::waker::of(h).yield();
  }
  void await_resume() const noexcept {}
};

/// What a task knows about itself. `name` is valid while the task is alive.
struct task_info {
  task_id id = 0;
  std::string_view name;
  source_site spawn_site;
  task_id parent = 0;
};

/// The task the calling thread is running, if any.
std::optional<task_info> current_task() noexcept;

namespace detail {
template <class R>
struct blocking_state {
  spin_lock lock;
  waker w;  ///< guarded by lock
  bool done = false;
  std::optional<std::conditional_t<std::is_void_v<R>, char, R>> value;
  std::exception_ptr error;
};
}  // namespace detail

/// Awaits a function running on the blocking pool.
///
/// Cancellation: cancelling the awaiting task does not stop the function (it
/// cannot be interrupted); its result is dropped when it finishes.
template <class R>
class [[nodiscard]] blocking_handle {
 public:
  explicit blocking_handle(std::shared_ptr<detail::blocking_state<R>> st) : st_(std::move(st)) {}
  blocking_handle(blocking_handle&&) noexcept = default;
  blocking_handle& operator=(blocking_handle&&) noexcept = default;
  ~blocking_handle() {
    if (st_) {
      std::lock_guard g(st_->lock);
      if (st_->w) st_->w.released(st_.get());
      st_->w = {};
    }
  }

  bool await_ready() const noexcept {
    std::lock_guard g(st_->lock);
    return st_->done;
  }
  template <class P>
  bool await_suspend(std::coroutine_handle<P> h) noexcept {
    std::lock_guard g(st_->lock);
    if (st_->done) return false;
    st_->w = detail::waker::of(h);
    st_->w.registered(st_.get());
    rec_ = detail::wait_record(detail::blocking_resource, detail::wake_source::foreign);
    rec_.begin(h.promise().strand_);
    return true;
  }
  R await_resume() {
    std::lock_guard g(st_->lock);
    if (st_->error) std::rethrow_exception(st_->error);
    if constexpr (!std::is_void_v<R>) return std::move(*st_->value);
  }

 private:
  std::shared_ptr<detail::blocking_state<R>> st_;
  detail::wait_record rec_;
};

namespace detail {
/// spawn_blocking on scheduler s (see below).
template <class F>
auto spawn_blocking_on(scheduler* s, F fn) {
  using R = std::invoke_result_t<F&>;
  auto st = std::make_shared<blocking_state<R>>();
  submit_blocking(s, [st, f = std::move(fn)]() mutable {
    std::exception_ptr err;
    std::optional<std::conditional_t<std::is_void_v<R>, char, R>> v;
    try {
      if constexpr (std::is_void_v<R>) {
        f();
        v.emplace('\0');
      } else {
        v.emplace(f());
      }
    } catch (...) {
      err = std::current_exception();
    }
    std::lock_guard g(st->lock);
    st->value = std::move(v);
    st->error = err;
    st->done = true;
    if (st->w) {
      st->w.released(st.get());
      st->w.wake();
      st->w = {};
    }
  });
  return blocking_handle<R>(std::move(st));
}
}  // namespace detail

/// Runs `fn` on the runtime's bounded pool of blocking threads; await the
/// result. Use it for blocking system calls and CPU-heavy work.
///
/// Example:
///   std::string data = co_await lucid::spawn_blocking([] { return read_file(); });
template <class F>
auto spawn_blocking(F fn, source_site site = source_site::current()) {
  return detail::spawn_blocking_on(detail::require_scheduler(site), std::move(fn));
}

}  // namespace lucid
