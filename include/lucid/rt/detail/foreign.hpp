// lucid::detail::foreign_awaiter: routes an awaitable that lucid does not know
// (one whose await_suspend takes a plain std::coroutine_handle<>) back through
// the scheduler.
//
// A foreign awaitable may resume the handle it is given from any thread (an
// I/O library's thread, a callback). Resuming a lucid frame there would run
// the task outside the runtime, concurrently with the scheduler. Instead the
// foreign side gets the handle of a tiny relay coroutine: resuming it wakes
// the task through its waker (a wake-up the runtime counts, origin
// "external" when it comes from a foreign thread), and a worker then resumes
// the task's frame.
//
// Ownership: the relay frame destroys itself when resumed. The link from the
// relay to the task (`relay_state`) is shared and guarded by a spin lock; the
// awaiter's destructor clears it, so a relay resumed after the awaiting task
// was cancelled wakes nothing. A relay that is never resumed leaks one small
// frame: the foreign awaitable never completed.
#pragma once

#include <coroutine>
#include <exception>
#include <memory>
#include <mutex>
#include <type_traits>
#include <typeinfo>
#include <utility>

#include "lucid/base/spin_lock.hpp"
#include "lucid/rt/detail/strand.hpp"
#include "lucid/rt/detail/wait_record.hpp"

namespace lucid::detail {

struct relay_state {
  spin_lock lock;
  strand* target = nullptr;  ///< guarded by lock
};

struct relay_task {
  struct promise_type {
    relay_task get_return_object() noexcept {
      return relay_task{std::coroutine_handle<promise_type>::from_promise(*this)};
    }
    std::suspend_always initial_suspend() const noexcept { return {}; }
    std::suspend_never final_suspend() const noexcept { return {}; }
    void return_void() noexcept {}
    void unhandled_exception() noexcept { std::terminate(); }
  };
  std::coroutine_handle<promise_type> h;
};

inline relay_task make_relay(std::shared_ptr<relay_state> st) {
  std::lock_guard g(st->lock);
  if (st->target != nullptr) st->target->wake();
  co_return;
}

template <class A>
class foreign_awaiter {
 public:
  explicit foreign_awaiter(A&& a) : a_(std::forward<A>(a)) {}
  foreign_awaiter(foreign_awaiter&&) noexcept(std::is_nothrow_move_constructible_v<A>) = default;
  ~foreign_awaiter() {
    if (st_) {
      std::lock_guard g(st_->lock);
      st_->target = nullptr;
    }
  }

  bool await_ready() { return a_.await_ready(); }
  template <class P>
  auto await_suspend(std::coroutine_handle<P> h) {
    st_ = std::make_shared<relay_state>();
    st_->target = h.promise().strand();
    std::coroutine_handle<> relay = make_relay(st_).h;
    // What the task dump shows while the foreign awaitable holds the relay.
    rec_ = wait_record(foreign_resource, wake_source::foreign);
    rec_.set_what(typeid(A).name());
    rec_.begin(h.promise().strand());
    using R = decltype(a_.await_suspend(relay));
    if constexpr (std::is_void_v<R>) {
      a_.await_suspend(relay);
      return true;
    } else if constexpr (std::is_same_v<R, bool>) {
      if (!a_.await_suspend(relay)) {
        relay.destroy();  // not suspended after all: the relay will never run
        st_.reset();
        h.promise().strand()->wait = nullptr;
        return false;
      }
      return true;
    } else {
      // Symmetric transfer to another foreign coroutine: run it via the relay's
      // contract is impossible to honour here; resume it now, on this worker.
      a_.await_suspend(relay).resume();
      return true;
    }
  }
  decltype(auto) await_resume() { return a_.await_resume(); }

 private:
  A a_;
  std::shared_ptr<relay_state> st_;
  wait_record rec_;
};

/// True for awaiters whose await_suspend is a plain (non-template) member:
/// they know nothing of lucid's promise and wakers.
template <class A>
concept foreign_awaiter_type = requires {
  &std::remove_cvref_t<A>::await_suspend;
};

}  // namespace lucid::detail
