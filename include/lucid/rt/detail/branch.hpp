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

/// Adds b's strand to `out` if the branch is still running (combinator_base::branches).
template <class B>
void collect_branch(const B& b, const strand** out, std::size_t max, std::size_t& n) noexcept {
  if (n < max && b.started && !b.complete()) out[n++] = &b.s;
}

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
    p.set_strand(&s);
    s.leaf = &p;
    s.set_parent(parent);
    started = true;
    running_branch_scope running(&s);
    s.run();
    return s.complete;
  }
  /// Resumes the branch if it was woken; true once it has finished.
  bool poll() {
    if (s.complete) return true;
    // acquire: see what the waker published before waking the branch.
    if (s.ready.exchange(false, std::memory_order_acquire)) {
      running_branch_scope running(&s);
      s.run();
    }
    return s.complete;
  }
  bool complete() const noexcept { return s.complete; }
  bool failed() const noexcept { return s.complete && s.leaf->threw(); }
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

/// Awaits `a` in place; the caller keeps it (and must keep it alive).
template <class A>
task<awaited_t<A>> await_ref_as_task(A& a) {
  co_return co_await a;
}

/// What a combinator (select, timeout) may await through a reference: the
/// caller keeps it, and it stays usable when its branch is cancelled. A
/// join_handle (each await makes its own awaiter, which deregisters when the
/// branch is destroyed), or a named awaiter that can be abandoned and awaited
/// again (notify::notified(), sleep; see task.hpp).
template <class A>
concept awaitable_by_reference = requires(A& a) {
  a.operator co_await();
}
|| abandonable_awaiter<A>;

/// Turns any awaitable into a task (a task stays itself). An rvalue is moved
/// into the task; an lvalue is awaited by reference when that is meaningful
/// (awaitable_by_reference), else copied, as before.
template <class A>
auto as_task(A&& a) {
  using V = std::remove_cvref_t<A>;
  if constexpr (is_task_v<V>) {
    static_assert(!std::is_lvalue_reference_v<A>,
                  "a named lucid::task given to select/timeout: awaiting a task consumes it, "
                  "so pass it as an rvalue: std::move(t)");
    return V(std::forward<A>(a));
  } else if constexpr (std::is_lvalue_reference_v<A> && awaitable_by_reference<V>) {
    return await_ref_as_task<V>(a);
  } else if constexpr (std::is_lvalue_reference_v<A> && !std::is_copy_constructible_v<V>) {
    static_assert(std::is_copy_constructible_v<V>,
                  "this awaitable cannot be awaited by reference in select/timeout: pass it "
                  "as an rvalue (std::move(x)); it is then consumed");
  } else {
    return await_as_task<V>(std::forward<A>(a));
  }
}

}  // namespace lucid::detail
