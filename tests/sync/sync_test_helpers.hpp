// Helpers shared by the lucid::sync tests (and their moved cases in
// tests/integration): a recording instrument, a way to run one test body on
// both runtime flavours, and a semaphore waiter that records its turn.
#pragma once

#include <gtest/gtest.h>

#include <cstddef>
#include <mutex>
#include <string>
#include <vector>

#include "lucid/rt/observer.hpp"
#include "lucid/rt/runtime.hpp"
#include "lucid/rt/task.hpp"
#include "lucid/sync/semaphore.hpp"

namespace sync_test {

/// One resource event seen by the recorder.
struct event {
  std::string what;  ///< created, dropped, wait_begin, wait_end, acquire, release
  lucid::task_id task = 0;
  lucid::resource_id res = 0;
  friend bool operator==(const event&, const event&) = default;
};

inline std::ostream& operator<<(std::ostream& os, const event& e) {
  return os << e.what << "(task " << e.task << ", res " << e.res << ")";
}

/// Records resource events (thread-safe); install with lucid::scoped_observer.
class recorder final : public lucid::observer {
 public:
  void on_resource_created(lucid::resource_id r, const lucid::resource_kind& k,
                           lucid::source_site s,
                           const lucid::detail::resource_header*) noexcept override {
    std::lock_guard g(mu_);
    events_.push_back({"created", 0, r});
    kinds_.push_back(k);
    sites_.push_back(s);
  }
  void on_resource_dropped(lucid::resource_id r) noexcept override { add("dropped", 0, r); }
  void on_wait_begin(lucid::task_id t, lucid::resource_id r) noexcept override {
    add("wait_begin", t, r);
  }
  void on_wait_end(lucid::task_id t, lucid::resource_id r) noexcept override {
    add("wait_end", t, r);
  }
  void on_acquire(lucid::task_id t, lucid::resource_id r) noexcept override {
    add("acquire", t, r);
  }
  void on_release(lucid::task_id t, lucid::resource_id r) noexcept override {
    add("release", t, r);
  }
  void on_waker_registered(lucid::task_id, const void* src) noexcept override {
    std::lock_guard g(mu_);
    wakers_.emplace_back(src, +1);
  }
  void on_waker_released(lucid::task_id, const void* src) noexcept override {
    std::lock_guard g(mu_);
    wakers_.emplace_back(src, -1);
  }

  /// The events of resource r, in order.
  std::vector<event> of(lucid::resource_id r) const {
    std::lock_guard g(mu_);
    std::vector<event> out;
    for (const auto& e : events_) {
      if (e.res == r) out.push_back(e);
    }
    return out;
  }
  /// Ids of the resources created, in order.
  std::vector<lucid::resource_id> created() const {
    std::lock_guard g(mu_);
    std::vector<lucid::resource_id> out;
    for (const auto& e : events_) {
      if (e.what == "created") out.push_back(e.res);
    }
    return out;
  }
  /// The kind and site recorded for the n-th created resource.
  std::vector<lucid::resource_kind> kinds() const {
    std::lock_guard g(mu_);
    return kinds_;
  }
  std::vector<lucid::source_site> sites() const {
    std::lock_guard g(mu_);
    return sites_;
  }
  /// Waker registrations in `src` and the balance (registered - released).
  std::pair<int, int> wakers(const void* src) const {
    std::lock_guard g(mu_);
    int n = 0, bal = 0;
    for (auto [s, d] : wakers_) {
      if (s != src) continue;
      if (d > 0) ++n;
      bal += d;
    }
    return {n, bal};
  }

 private:
  void add(const char* w, lucid::task_id t, lucid::resource_id r) {
    std::lock_guard g(mu_);
    events_.push_back({w, t, r});
  }
  mutable std::mutex mu_;
  std::vector<event> events_;
  std::vector<lucid::resource_kind> kinds_;
  std::vector<lucid::source_site> sites_;
  std::vector<std::pair<const void*, int>> wakers_;
};

/// Installs a recorder for the scope; removes it after.
class scoped_recorder {
 public:
  recorder rec;
  lucid::scoped_observer installed{rec};
};

/// Both runtime flavours a behaviour test runs on.
enum class flavour { current_thread, multi_thread2 };

inline lucid::runtime make_runtime(flavour f) {
  return f == flavour::current_thread ? lucid::runtime::current_thread()
                                      : lucid::runtime::multi_thread(2);
}

class on_both : public ::testing::TestWithParam<flavour> {
 protected:
  lucid::runtime rt_ = make_runtime(GetParam());
};

inline std::string flavour_name(const ::testing::TestParamInfo<flavour>& i) {
  return i.param == flavour::current_thread ? "current_thread" : "multi_thread2";
}

/// Acquires n permits of *s, then appends id to *order; false if the acquire failed.
inline lucid::task<bool> wait_for_two(lucid::semaphore* s, std::vector<int>* order, int id,
                                      std::size_t n) {
  auto p = co_await s->acquire(n);
  if (!p) co_return false;
  order->push_back(id);
  co_return true;
}

}  // namespace sync_test

#define SYNC_TEST_ON_BOTH(suite)                                                                \
  INSTANTIATE_TEST_SUITE_P(                                                                     \
      Flavours, suite,                                                                          \
      ::testing::Values(sync_test::flavour::current_thread, sync_test::flavour::multi_thread2), \
      sync_test::flavour_name)
