// lucid::select: waits for the first of several awaitables; the others are
// cancelled.
//
// Contract: every branch runs inside the awaiting task (never concurrently
// with it or with each other). When one finishes, the losers' frames are
// destroyed before select returns, so whatever a loser held (a lock guard, a
// queued wait) is released. The result is a std::variant whose index() is the
// winner's position; void results are std::monostate. An exception from the
// winner is rethrown. If several branches are ready in the same poll, the
// lowest index wins.
//
// A branch given as an rvalue is moved in and consumed. A branch given as an
// lvalue is awaited by reference where that is meaningful: a named
// join_handle (a losing branch leaves the caller holding the handle, the task
// still running) or oneshot receiver (the value stays in the channel); a
// named notified() or sleep (a losing branch stops waiting; awaiting it again
// resumes the wait). A named task is a compile error (awaiting consumes it:
// std::move it in); other named awaitables are copied if copyable, else a
// compile error asks for std::move.
//
// Cancellation: cancelling the task awaiting select destroys every branch.
// A branch that is itself cancel-safe (e.g. mpsc::recv) loses nothing when it
// loses; see each awaitable's documentation.
#pragma once

#include <array>
#include <coroutine>
#include <cstddef>
#include <tuple>
#include <utility>
#include <variant>

#include "lucid/rt/detail/branch.hpp"

namespace lucid {

namespace detail {

template <class... T>
class select_awaiter final : public combinator_base {
 public:
  using result_type = std::variant<value_or_monostate<T>...>;

  explicit select_awaiter(task<T>&&... ts) : branches_(branch<T>(std::move(ts))...) {}
  select_awaiter(select_awaiter&&) = default;
  ~select_awaiter() {
    if (parent_ != nullptr && parent_->pending == this) parent_->pending = nullptr;
  }

  bool await_ready() const noexcept { return false; }
  template <class P>
  bool await_suspend(std::coroutine_handle<P> h) {
    parent_ = h.promise().strand();
    start(std::index_sequence_for<T...>{});
    if (winner_ != npos) {
      finish(std::index_sequence_for<T...>{});
      return false;
    }
    parent_->pending = this;
    return true;
  }
  result_type await_resume() { return take(std::index_sequence_for<T...>{}); }
  std::size_t branches(const strand** out, std::size_t max) const noexcept override {
    std::size_t n = 0;
    std::apply([&](const auto&... b) { (collect_branch(b, out, max, n), ...); }, branches_);
    return n;
  }

  bool poll() override {
    poll_all(std::index_sequence_for<T...>{});
    if (winner_ == npos) return false;
    finish(std::index_sequence_for<T...>{});
    return true;
  }

 private:
  static constexpr std::size_t npos = ~std::size_t{0};

  template <std::size_t... I>
  void start(std::index_sequence<I...>) {
    // Start in order; stop starting once one has finished.
    ((winner_ == npos && std::get<I>(branches_).start(parent_) ? (void)(winner_ = I) : (void)0),
     ...);
  }
  template <std::size_t... I>
  void poll_all(std::index_sequence<I...>) {
    ((winner_ == npos && std::get<I>(branches_).started && std::get<I>(branches_).poll()
          ? (void)(winner_ = I)
          : (void)0),
     ...);
  }
  template <std::size_t... I>
  void finish(std::index_sequence<I...>) {
    ((I != winner_ ? std::get<I>(branches_).cancel() : (void)0), ...);
  }
  /// Builds the variant in place (its alternatives need not be default-constructible).
  template <std::size_t I>
  result_type take_from() {
    if constexpr (I + 1 < sizeof...(T)) {
      if (winner_ != I) return take_from<I + 1>();
    }
    return result_type(std::in_place_index<I>, std::get<I>(branches_).take());
  }
  template <std::size_t... I>
  result_type take(std::index_sequence<I...>) {
    return take_from<0>();
  }

  std::tuple<branch<T>...> branches_;
  strand* parent_ = nullptr;
  std::size_t winner_ = npos;
};

template <class... A>
auto make_select(A&&... as) {
  return select_awaiter<awaited_t<A>...>(as_task(std::forward<A>(as))...);
}

}  // namespace detail

/// Waits for the first of `as` to finish and cancels the rest.
///
/// Example:
///   auto r = co_await lucid::select(rx.recv(), lucid::sleep(1s));
///   if (r.index() == 1) { /* timed out */ }
///
///   auto h = lucid::spawn(work());            // named: select awaits it in place
///   auto r2 = co_await lucid::select(h, lucid::sleep(1s));
///   if (r2.index() == 1) h.abort();           // the loser's handle is still ours
template <class... A>
auto select(A&&... as) {
  static_assert(sizeof...(A) >= 1, "select needs at least one awaitable");
  return detail::make_select(std::forward<A>(as)...);
}

}  // namespace lucid
