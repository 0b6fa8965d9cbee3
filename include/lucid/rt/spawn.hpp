// lucid::spawn, spawn_local, yield_now, spawn_blocking, current_task: what a
// task uses to start other work and to learn about itself.
//
// Contract: spawn() and spawn_blocking() use the runtime of the calling
// thread (a worker, or a thread inside block_on); calling them elsewhere stops
// the program with a message naming the call site. A spawned task's parent is
// the calling task. spawn_local() must be called from a task: the new task
// runs only on the calling task's worker (see docs/runtime.md).
//
// spawn(fn, args...) moves fn and a decayed copy of each argument into the
// task (like std::thread), so the coroutine's reference parameters bind to
// the task's own copies. It refuses at compile time what would still borrow
// the caller's objects: std::ref/std::cref, a non-const lvalue reference
// parameter, a std::string_view or std::span argument.
#pragma once

#include <coroutine>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
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
scheduler* require_local_worker(source_site site) noexcept;
/// Queues job on s's blocking pool; false once s is shut down (job dropped).
bool submit_blocking(scheduler* s, std::function<void()> job);
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

/// Spawns `t` as a *local* task: it runs only on the worker of the calling
/// task, never moves to another one (stealing and the injection queue skip
/// it), so it may hold values that are not thread-safe (thread_bound,
/// local_rc). Join handle and abort() work as for spawn. Must be called from
/// a task (tokio's spawn_local, with the calling worker as the LocalSet).
///
/// Example:
///   auto counts = lucid::local_rc<std::map<std::string, int>>::make();
///   auto h = lucid::spawn_local(count_words(counts, text));
///   co_await h;
template <class T>
join_handle<T> spawn_local(task<T> t, source_site site = source_site::current()) {
  return detail::spawn_task(detail::require_local_worker(site), std::move(t), std::string_view(),
                            site, /*local=*/true);
}

/// Spawns a named local task (see above).
template <class T>
join_handle<T> spawn_local(std::string_view name, task<T> t,
                           source_site site = source_site::current()) {
  return detail::spawn_task(detail::require_local_worker(site), std::move(t), name, site,
                            /*local=*/true);
}

namespace detail {

template <class F>
struct params_of {
  static constexpr bool known = false;
};
template <class R, class... P>
struct params_of<R (*)(P...)> {
  static constexpr bool known = true;
  using type = params_of;
  template <std::size_t I>
  using at = std::tuple_element_t<I, std::tuple<P...>>;
  static constexpr std::size_t size = sizeof...(P);
};
template <class R, class... P>
struct params_of<R (*)(P...) noexcept> : params_of<R (*)(P...)> {};
template <class R, class... P>
struct params_of<R(P...)> : params_of<R (*)(P...)> {};
template <class C, class R, class... P>
struct params_of<R (C::*)(P...)> : params_of<R (*)(P...)> {};
template <class C, class R, class... P>
struct params_of<R (C::*)(P...) const> : params_of<R (*)(P...)> {};
template <class C, class R, class... P>
struct params_of<R (C::*)(P...) noexcept> : params_of<R (*)(P...)> {};
template <class C, class R, class... P>
struct params_of<R (C::*)(P...) const noexcept> : params_of<R (*)(P...)> {};

/// The parameters of a callable, when it has one signature (a function, a
/// function pointer, a lambda that is not generic); `known` is false otherwise.
template <class F>
struct callable_params : params_of<std::remove_pointer_t<std::decay_t<F>>> {};
template <class F>
requires requires {
  &std::decay_t<F>::operator();
}
struct callable_params<F> : params_of<decltype(&std::decay_t<F>::operator())> {};
template <class R, class... P>
struct callable_params<R (*)(P...)> : params_of<R (*)(P...)> {};

template <class T>
inline constexpr bool is_reference_wrapper_v = false;
template <class T>
inline constexpr bool is_reference_wrapper_v<std::reference_wrapper<T>> = true;
template <class T>
inline constexpr bool is_view_v = false;
template <class C, class Tr>
inline constexpr bool is_view_v<std::basic_string_view<C, Tr>> = true;
template <class T, std::size_t N>
inline constexpr bool is_view_v<std::span<T, N>> = true;

template <class F, std::size_t I>
constexpr bool param_is_mutable_ref() {
  using P = callable_params<F>;
  if constexpr (!P::known) {
    return false;
  } else if constexpr (I >= P::size) {
    return false;
  } else {
    using T = typename P::template at<I>;
    return std::is_lvalue_reference_v<T> && !std::is_const_v<std::remove_reference_t<T>>;
  }
}

template <class... A>
inline constexpr bool any_reference_wrapper_v = (is_reference_wrapper_v<std::decay_t<A>> || ...);
template <class... A>
inline constexpr bool any_view_v = (is_view_v<std::decay_t<A>> || ...);
template <class F, std::size_t... I>
constexpr bool any_mutable_ref_param(std::index_sequence<I...>) {
  return (param_is_mutable_ref<F, I>() || ...);
}
template <class>
inline constexpr bool dependent_false_v = false;

/// The root coroutine of spawn(fn, args...): it owns fn and the arguments
/// for the task's whole life.
template <class T, class F, class... A>
task<T> call_owned(F fn, A... args) {
  co_return co_await std::invoke(std::move(fn), std::move(args)...);
}

template <class F, class... A>
using spawn_result_t = std::invoke_result_t<std::decay_t<F>&&, std::decay_t<A>&&...>;

}  // namespace detail

/// Spawns fn(args...) where fn returns a lucid::task: fn and a copy of each
/// argument move into the task (like std::thread), so the coroutine's
/// parameters never point into the caller's frame. Arguments that would
/// still borrow it are refused at compile time (see the header comment).
/// The spawn site is not recorded (C++ has no caller site after a parameter
/// pack); spawn(fn(args...)) records it.
///
/// Example:
///   lucid::task<void> serve(std::string name, int port);
///   auto h = lucid::spawn(serve, std::move(name), 8080);
template <class F, class... A>
requires(!detail::is_task_v<std::remove_cvref_t<F>>) &&
    (!std::is_convertible_v<F, std::string_view>)&&std::is_move_constructible_v<
        std::decay_t<F>> auto spawn(F&& fn, A&&... args) {
  // The borrow checks, in the style of rustc's E0277: what is wrong, then
  // what to write instead.
  constexpr bool refs = detail::any_reference_wrapper_v<A...>;
  static_assert(!refs,
                "lucid::spawn(fn, args...): an argument is a std::reference_wrapper (std::ref or "
                "std::cref): the task would borrow the caller's local, which may be gone before "
                "the task runs.\n"
                "  = help: move the value into the task: spawn(fn, std::move(x))\n"
                "  = help: or share it: pass a std::shared_ptr<T> (and a lucid::mutex if it "
                "changes)");
  constexpr bool views = detail::any_view_v<A...>;
  static_assert(!views,
                "lucid::spawn(fn, args...): an argument is a std::string_view or std::span: the "
                "task would keep a view of memory it does not own (the caller's local, or a "
                "temporary that dies when spawn returns).\n"
                "  = help: pass an owning value instead, moved in: std::string(view), "
                "std::vector<T>(...)\n"
                "  = help: a string literal may be passed as it is (it lives forever)");
  constexpr bool mut_refs = detail::any_mutable_ref_param<F>(std::index_sequence_for<A...>{});
  static_assert(!mut_refs,
                "lucid::spawn(fn, args...): a parameter of fn is a non-const lvalue reference "
                "(T&): the task gets its own copy of the argument, so fn would change that copy, "
                "not the caller's variable (which may be gone before the task runs anyway).\n"
                "  = help: take the parameter by value and move the argument in: "
                "spawn(fn, std::move(x))\n"
                "  = help: or share it: take a std::shared_ptr<T>");
  if constexpr (!refs && !views && !mut_refs) {
    if constexpr (std::is_invocable_v<std::decay_t<F>&&, std::decay_t<A>&&...>) {
      using R = detail::spawn_result_t<F, A...>;
      static_assert(detail::is_task_v<R>,
                    "lucid::spawn(fn, args...): fn must return a lucid::task<T>");
      if constexpr (detail::is_task_v<R>) {
        return detail::spawn_task(
            detail::require_scheduler(source_site{}),
            detail::call_owned<typename R::value_type>(std::decay_t<F>(std::forward<F>(fn)),
                                                       std::decay_t<A>(std::forward<A>(args))...),
            std::string_view(), source_site{});
      }
    } else {
      static_assert(detail::dependent_false_v<F>,
                    "lucid::spawn(fn, args...): fn cannot be called with the task's copies of "
                    "these arguments (each is passed as an rvalue of its decayed type)");
    }
  }
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
    rec_.begin(h.promise().strand());
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
  const bool queued = submit_blocking(s, [st, f = std::move(fn)]() mutable {
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
  if (!queued) {
    // The runtime was shut down (a runtime_handle outlived it): the function
    // never runs, and awaiting it throws task_aborted, as a spawned task's
    // join handle does.
    st->error = std::make_exception_ptr(task_aborted());
    st->done = true;
  }
  return blocking_handle<R>(std::move(st));
}
}  // namespace detail

/// Runs `fn` on the runtime's bounded pool of blocking threads; await the
/// result. Use it for blocking system calls and CPU-heavy work. Once the
/// runtime is shut down, `fn` does not run and awaiting throws task_aborted.
///
/// Example:
///   std::string data = co_await lucid::spawn_blocking([] { return read_file(); });
template <class F>
auto spawn_blocking(F fn, source_site site = source_site::current()) {
  return detail::spawn_blocking_on(detail::require_scheduler(site), std::move(fn));
}

}  // namespace lucid
