// lucid::when_all: awaits several awaitables concurrently inside one task and
// returns all their results.
//
// Contract: branches run inside the awaiting task, interleaved at their
// suspension points (concurrency, not parallelism: spawn for that). The result
// is a std::tuple (void results are std::monostate), or a std::vector for the
// vector overload. All branches run to completion; if any threw, the first
// exception by position is rethrown once all have finished.
//
// Cancellation: cancelling the awaiting task destroys every branch.
#pragma once

#include <coroutine>
#include <cstddef>
#include <tuple>
#include <utility>
#include <vector>

#include "lucid/rt/detail/branch.hpp"

namespace lucid {

namespace detail {

template <class... T>
class when_all_awaiter final : public combinator_base {
 public:
  using result_type = std::tuple<value_or_monostate<T>...>;

  explicit when_all_awaiter(task<T>&&... ts) : branches_(branch<T>(std::move(ts))...) {}
  when_all_awaiter(when_all_awaiter&&) = default;
  ~when_all_awaiter() {
    if (parent_ != nullptr && parent_->pending == this) parent_->pending = nullptr;
  }

  bool await_ready() const noexcept { return sizeof...(T) == 0; }
  template <class P>
  bool await_suspend(std::coroutine_handle<P> h) {
    parent_ = h.promise().strand();
    std::apply([&](auto&... b) { (b.start(parent_), ...); }, branches_);
    if (all_done()) return false;
    parent_->pending = this;
    return true;
  }
  result_type await_resume() {
    std::apply([](auto&... b) { (rethrow_if_failed(b), ...); }, branches_);
    return std::apply([](auto&... b) { return result_type(b.take()...); }, branches_);
  }
  bool poll() override {
    std::apply([](auto&... b) { (b.poll(), ...); }, branches_);
    return all_done();
  }
  std::size_t branches(const strand** out, std::size_t max) const noexcept override {
    std::size_t n = 0;
    std::apply([&](const auto&... b) { (collect_branch(b, out, max, n), ...); }, branches_);
    return n;
  }

 private:
  template <class B>
  static void rethrow_if_failed(B& b) {
    if (b.failed()) (void)b.take();
  }
  bool all_done() const {
    return std::apply([](const auto&... b) { return (b.complete() && ...); }, branches_);
  }
  std::tuple<branch<T>...> branches_;
  strand* parent_ = nullptr;
};

template <class T>
class when_all_vec_awaiter final : public combinator_base {
 public:
  explicit when_all_vec_awaiter(std::vector<task<T>> ts) {
    branches_.reserve(ts.size());
    for (auto& t : ts)
      branches_.emplace_back(std::move(t));
  }
  when_all_vec_awaiter(when_all_vec_awaiter&&) = default;
  ~when_all_vec_awaiter() {
    if (parent_ != nullptr && parent_->pending == this) parent_->pending = nullptr;
  }
  bool await_ready() const noexcept { return branches_.empty(); }
  template <class P>
  bool await_suspend(std::coroutine_handle<P> h) {
    parent_ = h.promise().strand();
    for (auto& b : branches_)
      b.start(parent_);
    if (all_done()) return false;
    parent_->pending = this;
    return true;
  }
  std::vector<value_or_monostate<T>> await_resume() {
    for (auto& b : branches_) {
      if (b.failed()) (void)b.take();
    }
    std::vector<value_or_monostate<T>> out;
    out.reserve(branches_.size());
    for (auto& b : branches_)
      out.push_back(b.take());
    return out;
  }
  bool poll() override {
    for (auto& b : branches_)
      b.poll();
    return all_done();
  }
  std::size_t branches(const strand** out, std::size_t max) const noexcept override {
    std::size_t n = 0;
    for (const auto& b : branches_)
      collect_branch(b, out, max, n);
    return n;
  }

 private:
  bool all_done() const {
    for (auto& b : branches_) {
      if (!b.complete()) return false;
    }
    return true;
  }
  std::vector<branch<T>> branches_;
  strand* parent_ = nullptr;
};

}  // namespace detail

/// Runs every awaitable to completion, concurrently within this task.
///
/// Example:
///   auto [a, b] = co_await lucid::when_all(fetch(1), fetch(2));
template <class... A>
auto when_all(A&&... as) {
  return detail::when_all_awaiter<detail::awaited_t<A>...>(detail::as_task(std::forward<A>(as))...);
}

/// Runs every task of `ts` to completion; results in the same order.
template <class T>
auto when_all(std::vector<task<T>> ts) {
  return detail::when_all_vec_awaiter<T>(std::move(ts));
}

}  // namespace lucid
