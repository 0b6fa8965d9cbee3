// lucid::detail::branch<T>: one awaited task running on a child strand of a
// combinator (select, timeout, when_all) inside the awaiting task.
//
// Contract: start() runs the branch inline until it first suspends; poll()
// resumes it only if it was woken since. Both run on the thread polling the
// owning task. Destroying the branch destroys its frame at its suspension
// point (cancellation is destruction). See strand.hpp.
#pragma once

#include <coroutine>
#include <exception>
#include <optional>
#include <type_traits>
#include <utility>
#include <variant>

#include "lucid/rt/detail/strand.hpp"
#include "lucid/rt/task.hpp"

namespace lucid::detail {

/// void results are carried as std::monostate.
template <class T>
using value_or_monostate = std::conditional_t<std::is_void_v<T>, std::monostate, T>;

template <class T>
struct branch {
  task<T> t;
  strand s;
  bool started = false;

  explicit branch(task<T>&& tt) : t(std::move(tt)) {}
  branch(branch&& o) noexcept : t(std::move(o.t)) {}

  /// Starts the branch under `parent`; true if it finished already.
  bool start(strand* parent) {
    auto& p = t.handle().promise();
    p.parent_ = nullptr;
    p.strand_ = &s;
    s.leaf = &p;
    s.parent = parent;
    s.cell = parent->cell;
    started = true;
    s.run();
    return s.complete;
  }
  /// Resumes the branch if it was woken; true once it has finished.
  bool poll() {
    if (s.complete) return true;
    // acquire: see what the waker published before waking the branch.
    if (s.ready.exchange(false, std::memory_order_acquire)) s.run();
    return s.complete;
  }
  bool complete() const noexcept { return s.complete; }
  bool failed() const noexcept { return s.complete && s.leaf->exception_ != nullptr; }
  /// Destroys the frame now (a losing branch).
  void cancel() noexcept { t = task<T>(); }

  value_or_monostate<T> take() {
    auto h = t.handle();
    if constexpr (std::is_void_v<T>) {
      h.promise().take_result();
      return std::monostate{};
    } else {
      return h.promise().take_result();
    }
  }
};

/// The value type an awaitable produces when co_awaited in a lucid task.
template <class A>
struct awaited {
  using type = decltype(std::declval<A>().await_resume());
};
template <class A>
requires requires(A a) {
  std::move(a).operator co_await();
}
struct awaited<A> {
  using type = decltype(std::declval<A>().operator co_await().await_resume());
};
template <class T>
struct awaited<task<T>> {
  using type = T;
};
template <class A>
using awaited_t = typename awaited<std::remove_cvref_t<A>>::type;

template <class A>
task<awaited_t<A>> await_as_task(A a) {
  co_return co_await std::move(a);
}

/// Turns any awaitable into a task (a task stays itself).
template <class A>
auto as_task(A&& a) {
  if constexpr (requires { typename std::remove_cvref_t<A>::promise_type; } &&
                std::is_same_v<std::remove_cvref_t<A>, task<awaited_t<A>>>) {
    return std::forward<A>(a);
  } else {
    return await_as_task<std::remove_cvref_t<A>>(std::forward<A>(a));
  }
}

}  // namespace lucid::detail
