// lucid::task<T>: a lazy, move-only coroutine that produces a T.
//
// Contract: a task does nothing until it is awaited (co_await t) or spawned
// (lucid::spawn). Awaiting runs it on the awaiting task's strand: inline,
// without a scheduler round trip, until it suspends; an exception escaping it
// is rethrown from the co_await. Each co_await inside a task records its file,
// line and function (the async backtrace); see detail/strand.hpp for how
// frames are resumed without relying on tail calls.
//
// Awaiting something named (`co_await x` on an lvalue), decided per awaitable:
//   task                          compile error: awaiting consumes a task;
//                                 write co_await std::move(t)
//   join_handle, oneshot receiver awaited in place through operator co_await;
//                                 the caller keeps it
//   notify::notified(), sleep     awaited in place (lvalue_awaiter below); may
//                                 be awaited again after a lost select/timeout
//   other move-only lucid awaiters (mutex lock, semaphore acquire, channel
//                                 send/recv...) compile error: await them as
//                                 temporaries
//   anything else copyable        as before (GCC 12 awaits a copy)
// select, timeout and when_all follow the same table for their arguments
// (a copyable one is copied into the branch).
//
// Thread safety: a task object is owned by one thread at a time; move it to
// hand it over. Cancellation: destroying a task (or the task that awaits it)
// destroys its frame at its current suspension point; every lucid awaitable
// deregisters in its destructor.
#pragma once

#include <coroutine>
#include <cstdint>
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

/// The value of a finished task<T>, moved out of its root frame before the
/// frame is destroyed (see final_awaiter). `drop` destroys and frees it; the
/// join handle, which knows T, reads the value.
struct result_box {
  void (*drop)(result_box*) noexcept;
};
template <class T>
struct value_box final : result_box {
  T value;
  explicit value_box(T&& v) : result_box{&destroy}, value(std::move(v)) {}
  static void* operator new(std::size_t n) { return frame_alloc(n); }
  static void operator delete(void* p, std::size_t n) noexcept { frame_free(p, n); }
  static void destroy(result_box* b) noexcept { delete static_cast<value_box*>(b); }
};

/// Hands the boxed value of a task's finished root frame to its task (the
/// runtime keeps it for the join handle). Out of line: rt's own code.
void set_task_result(strand* root, result_box* b) noexcept;

/// The final awaiter: hands control back to the parent frame (see strand.hpp).
struct final_awaiter {
  bool await_ready() const noexcept { return false; }
  template <class P>
  void await_suspend(std::coroutine_handle<P> h) noexcept {
    P& p = h.promise();
    p.set_done();
    strand* s = p.strand();
    if (p.parent_ != nullptr) {
      s->leaf = p.parent_;
      if (!p.is_inline()) s->resume_again = true;
    } else {
      s->complete = true;
      // A task's root frame boxes its own value here, where its type is
      // known, so the task's header needs no per-type table. (A combinator
      // branch's root is read by the combinator, which knows the type.)
      if constexpr (requires { p.box_result(); }) {
        if (s->is_task_root() && !p.threw()) set_task_result(s, p.box_result());
      }
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
    strand* s = parent->strand();
    c.set_strand(s);
    c.set_inline(true);
    s->leaf = &c;
    child.resume();
    if (c.done()) return false;  // completed without suspending: continue the parent now
    c.set_inline(false);
    return true;
  }
  T await_resume() { return child.promise().take_result(); }
};

template <class T>
inline constexpr bool is_task_v = false;
template <class T>
inline constexpr bool is_task_v<task<T>> = true;

/// An awaiter itself, rather than something with operator co_await.
template <class A>
concept awaiter_type = requires(A& a) {
  a.await_ready();
};

/// A lucid awaiter that may be awaited through a reference (`co_await w` on a
/// named awaiter) and, when the awaiting frame is destroyed while it waits,
/// be abandoned: it drops its registration but keeps what it already got, so
/// the owner of the awaiter may await it again (notify::notified(), sleep).
template <class A>
concept abandonable_awaiter = requires(A& a) {
  a.lucid_abandon();
};

/// Awaits a named (lvalue) awaiter in place, without copying or moving it.
/// GCC 12 copies an awaiter that await_transform returns by reference, so the
/// reference travels in this by-value proxy. If the awaiting frame is
/// destroyed while suspended, the awaiter is abandoned (see above), since it
/// may outlive the frame (a select or timeout branch awaiting it by reference).
template <class A>
class lvalue_awaiter {
  static_assert(alignof(A) >= 2, "the suspended flag is the pointer's low bit");

 public:
  explicit lvalue_awaiter(A& a) noexcept : a_(reinterpret_cast<std::uintptr_t>(&a)) {}
  lvalue_awaiter(lvalue_awaiter&& o) noexcept : a_(std::exchange(o.a_, o.a_ & ~kSuspended)) {}
  lvalue_awaiter& operator=(lvalue_awaiter&&) = delete;
  ~lvalue_awaiter() {
    if (a_ & kSuspended) awaiter()->lucid_abandon();
  }

  bool await_ready() { return awaiter()->await_ready(); }
  template <class P>
  bool await_suspend(std::coroutine_handle<P> h) {
    using R = decltype(awaiter()->await_suspend(h));
    static_assert(std::is_same_v<R, bool> || std::is_void_v<R>,
                  "a named lucid awaiter's await_suspend returns bool or void");
    A* a = awaiter();
    // Set before the awaiter parks: once it has parked, a wake-up may resume
    // this frame, so `this` is touched afterwards only if it did not suspend.
    a_ |= kSuspended;
    if constexpr (std::is_void_v<R>) {
      a->await_suspend(h);
      return true;
    } else {
      if (!a->await_suspend(h)) {
        a_ &= ~kSuspended;
        return false;
      }
      return true;
    }
  }
  decltype(auto) await_resume() {
    a_ &= ~kSuspended;
    return awaiter()->await_resume();
  }

 private:
  // One word (it is in the frame of every co_await on a named awaiter): the
  // awaiter's address, with the low bit set while it is suspended on it.
  static constexpr std::uintptr_t kSuspended = 1;
  A* awaiter() const noexcept { return reinterpret_cast<A*>(a_ & ~kSuspended); }
  std::uintptr_t a_;
};

/// Awaits a temporary awaiter (`co_await m.lock()`) in place. GCC 12 copies
/// an awaiter that await_transform returns by reference, so a temporary
/// would be in the frame twice (a 64-byte notify waiter made a suspended
/// frame 56 bytes larger). The temporary lives until the end of the
/// co_await's full-expression, across the suspension, and is destroyed with
/// the frame if the frame is destroyed while suspended: its own destructor
/// deregisters it, so this proxy only forwards.
template <class A>
class temporary_awaiter {
 public:
  explicit temporary_awaiter(A& a) noexcept : a_(&a) {}
  decltype(auto) await_ready() { return a_->await_ready(); }
  template <class P>
  decltype(auto) await_suspend(std::coroutine_handle<P> h) {
    return a_->await_suspend(h);
  }
  decltype(auto) await_resume() { return a_->await_resume(); }

 private:
  A* a_;
};

/// Records, once per escaping exception, the task's await chain at the frame
/// the exception leaves first (for panic reports). Exceptional path only.
void note_unhandled_exception(promise_base* p, const std::exception_ptr& e) noexcept;

template <class Derived>
struct promise_common : promise_base {
  // Frames come from the runtime's pooled allocator (detail/frame_alloc.hpp).
  // always_inline: the return address below is then the code that called
  // the coroutine, which names it in the large-frame lint.
  [[gnu::always_inline]] static void* operator new(std::size_t n) {
    if (__builtin_expect(n > kLargeFrameBytes, 0)) note_large_frame(n, __builtin_return_address(0));
    return coroutine_frame_alloc(n);
  }
  static void operator delete(void* p, std::size_t n) noexcept { frame_free(p, n); }

  std::suspend_always initial_suspend() const noexcept { return {}; }
  final_awaiter final_suspend() const noexcept { return {}; }
  void unhandled_exception() noexcept {
    std::exception_ptr e = std::current_exception();
    note_unhandled_exception(this, e);  // first: it reads the frame's name, which e then replaces
    set_exception(std::move(e));
  }

  /// Records the site of every co_await in this coroutine (the async backtrace).
  template <class A>
  decltype(auto) await_transform(A&& a, const char* file = __builtin_FILE(),
                                 unsigned line = __builtin_LINE()) noexcept {
    this->set_site(file, line);  // the coroutine's name was recorded at creation
    using V = std::remove_cvref_t<A>;
    if constexpr (std::is_lvalue_reference_v<A> && is_task_v<V>) {
      static_assert(!is_task_v<V>,
                    "co_await on a named lucid::task: awaiting a task consumes it, so it can be "
                    "awaited once, as an rvalue: write co_await std::move(t)");
    } else if constexpr (requires { std::forward<A>(a).lucid_awaiter(this); }) {
      return std::forward<A>(a).lucid_awaiter(this);
    } else if constexpr (foreign_awaiter_type<A>) {
      // Not a lucid awaitable: route its resumption through the scheduler.
      // By reference, a temporary too (see temporary_awaiter): it lives to
      // the end of the co_await's full-expression, so it is held once.
      return foreign_awaiter<std::remove_reference_t<A>&>(a);
    } else if constexpr (std::is_lvalue_reference_v<A> && abandonable_awaiter<V>) {
      // A named awaiter made to be awaited in place (and again after a lost race).
      return lvalue_awaiter<V>(a);
    } else if constexpr (std::is_lvalue_reference_v<A> && awaiter_type<V> &&
                         !std::is_copy_constructible_v<V>) {
      static_assert(!awaiter_type<V>,
                    "co_await on a named awaiter that can only be awaited as a temporary: "
                    "await it directly (co_await m.lock()), or write co_await std::move(x)");
    } else if constexpr (!std::is_lvalue_reference_v<A> && awaiter_type<V>) {
      return temporary_awaiter<std::remove_reference_t<A>>(a);  // keeps a const
    } else {
      return std::forward<A>(a);
    }
  }
};

template <class T>
struct task_promise final : promise_common<task_promise<T>> {
  std::optional<T> value_;

  /// `function`: the coroutine's own name (the default argument is evaluated
  /// in the coroutine's ramp), recorded once, so the frame is named in an
  /// async backtrace from its creation on (await_transform adds file:line).
  task<T> get_return_object(const char* function = __builtin_FUNCTION()) noexcept;
  template <class U>
  requires std::is_convertible_v<U&&, T>
  void return_value(U&& v) noexcept(std::is_nothrow_constructible_v<T, U&&>) {
    value_.emplace(std::forward<U>(v));
  }
  T take_result() {
    this->rethrow_if_threw();
    return std::move(*value_);
  }
  /// The value, moved into a box (a task's root frame, at final suspend).
  result_box* box_result() noexcept { return new value_box<T>(std::move(*value_)); }
};

template <>
struct task_promise<void> final : promise_common<task_promise<void>> {
  /// See task_promise<T>::get_return_object.
  task<void> get_return_object(const char* function = __builtin_FUNCTION()) noexcept;
  void return_void() noexcept {}
  void take_result() { this->rethrow_if_threw(); }
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
task<T> task_promise<T>::get_return_object(const char* function) noexcept {
  static_assert(alignof(task_promise<T>) <= promise_base::kMaxAlign,
                "lucid::task<T> does not support T aligned beyond 16 bytes: return it boxed");
  this->set_function(function);
  this->set_frame_bytes(last_coroutine_frame_bytes());
  return task<T>{std::coroutine_handle<task_promise<T>>::from_promise(*this)};
}
inline task<void> task_promise<void>::get_return_object(const char* function) noexcept {
  this->set_function(function);
  this->set_frame_bytes(last_coroutine_frame_bytes());
  return task<void>{std::coroutine_handle<task_promise<void>>::from_promise(*this)};
}
}  // namespace detail

}  // namespace lucid
