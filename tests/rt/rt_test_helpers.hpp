// Helpers shared by the tests of spawn's handles and the combinators
// (join_handle, select, when_all): both runtime flavours, a destruction
// counter, joining a handle as a task, and joining an aborted one.
#pragma once

#include <atomic>
#include <utility>

#include "lucid/rt/join_handle.hpp"
#include "lucid/rt/runtime.hpp"
#include "lucid/rt/task.hpp"

namespace rt_test {

inline lucid::runtime make_current() {
  return lucid::runtime::current_thread();
}
inline lucid::runtime make_multi() {
  return lucid::runtime::multi_thread(2);
}
/// Both runtime flavours: `for (auto make : kFlavours) { auto rt = make(); ... }`.
inline constexpr lucid::runtime (*kFlavours[])() = {&make_current, &make_multi};

/// Counts destructions (of a frame that owned it).
struct count_on_destroy {
  std::atomic<int>* n;
  explicit count_on_destroy(std::atomic<int>* p) : n(p) {}
  count_on_destroy(count_on_destroy&& o) noexcept : n(std::exchange(o.n, nullptr)) {}
  ~count_on_destroy() {
    if (n) n->fetch_add(1);
  }
};

/// Awaits h: a spawned task's value as a task of its own (a branch).
inline lucid::task<int> join(lucid::join_handle<int> h) {
  co_return co_await h;
}

/// Awaits h and reports whether it threw task_aborted.
template <class T>
lucid::task<bool> joins_aborted(lucid::join_handle<T>& h) {
  try {
    co_await h;
  } catch (const lucid::task_aborted&) {
    co_return true;
  }
  co_return false;
}

}  // namespace rt_test
