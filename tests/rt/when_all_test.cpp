// Tests of lucid/rt/when_all.hpp: tuple and vector results in order, branches
// interleaved inside one task, the first exception by position rethrown once
// every branch finished, the empty vector, and aborting the awaiting task.
// rt only: no sync or time.
#include "lucid/rt/when_all.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <variant>
#include <vector>

#include "lucid/rt/runtime.hpp"
#include "lucid/rt/spawn.hpp"
#include "rt_test_helpers.hpp"

namespace {

using rt_test::count_on_destroy;
using rt_test::join;
using rt_test::joins_aborted;
using rt_test::kFlavours;
using rt_test::make_current;
using rt_test::make_multi;

template <class T>
lucid::task<T> after(int yields, T v) {
  for (int i = 0; i < yields; ++i)
    co_await lucid::yield_now{};
  co_return v;
}

lucid::task<> nothing_after(int yields, std::atomic<int>* done) {
  for (int i = 0; i < yields; ++i)
    co_await lucid::yield_now{};
  done->fetch_add(1);
}

template <class E>
lucid::task<int> throws_after(int yields, const char* what, std::atomic<int>* done) {
  for (int i = 0; i < yields; ++i)
    co_await lucid::yield_now{};
  done->fetch_add(1);
  throw E(what);
}

TEST(WhenAll, TupleOfEveryResultInOrder) {
  for (auto make : kFlavours) {
    auto rt = make();
    std::atomic<int> done{0};
    auto r = rt.block_on([](std::atomic<int>* done) -> lucid::task<bool> {
      auto [a, b, c] = co_await lucid::when_all(after(5, 1), after(1, std::string("two")),
                                                nothing_after(3, done));
      static_assert(std::is_same_v<decltype(c), std::monostate>);
      co_return a == 1 && b == "two";
    }(&done));
    EXPECT_TRUE(r);
    EXPECT_EQ(done.load(), 1);
  }
}

TEST(WhenAll, BranchesInterleaveInsideOneTask) {
  // Concurrency, not parallelism: both branches run on the awaiting task's
  // thread, alternating at their suspension points.
  auto rt = make_multi();
  auto log = rt.block_on([]() -> lucid::task<std::string> {
    std::string log;  // no lock: the branches never run at the same time
    auto step = [](std::string* log, char c) -> lucid::task<> {
      for (int i = 0; i < 4; ++i) {
        log->push_back(c);
        co_await lucid::yield_now{};
      }
    };
    (void)co_await lucid::when_all(step(&log, 'a'), step(&log, 'b'));
    co_return log;
  }());
  ASSERT_EQ(log.size(), 8u);
  EXPECT_LT(log.find('b'), log.rfind('a')) << log;  // b started before a finished
}

TEST(WhenAll, VectorOfResultsInOrder) {
  for (auto make : kFlavours) {
    auto rt = make();
    auto v = rt.block_on([]() -> lucid::task<std::vector<int>> {
      std::vector<lucid::task<int>> ts;
      for (int i = 0; i < 1000; ++i)
        ts.push_back(after((i * 7) % 5, i));
      co_return co_await lucid::when_all(std::move(ts));
    }());
    ASSERT_EQ(v.size(), 1000u);
    for (int i = 0; i < 1000; ++i)
      EXPECT_EQ(v[i], i);
  }
}

TEST(WhenAll, VectorOfVoidAndMoveOnly) {
  auto rt = make_current();
  auto r = rt.block_on([]() -> lucid::task<int> {
    std::atomic<int> done{0};
    std::vector<lucid::task<>> vs;
    for (int i = 0; i < 3; ++i)
      vs.push_back(nothing_after(i, &done));
    auto units = co_await lucid::when_all(std::move(vs));
    std::vector<lucid::task<std::unique_ptr<int>>> ps;
    ps.push_back(after(1, std::make_unique<int>(4)));
    ps.push_back(after(0, std::make_unique<int>(5)));
    auto ptrs = co_await lucid::when_all(std::move(ps));
    co_return static_cast<int>(units.size()) * 100 + done.load() * 10 + *ptrs[0] + *ptrs[1];
  }());
  EXPECT_EQ(r, 339);
}

TEST(WhenAll, EmptyVectorCompletesAtOnce) {
  auto rt = make_current();
  auto n = rt.block_on([]() -> lucid::task<std::size_t> {
    auto v = co_await lucid::when_all(std::vector<lucid::task<int>>{});
    co_return v.size() + 1;
  }());
  EXPECT_EQ(n, 1u);
}

TEST(WhenAll, FirstExceptionByPositionAfterEveryBranchFinished) {
  for (auto make : kFlavours) {
    auto rt = make();
    std::atomic<int> done{0};
    auto what = rt.block_on([](std::atomic<int>* done) -> lucid::task<std::string> {
      try {
        // The runtime_error is thrown first, but the logic_error is at the
        // lower position; the last branch still runs to its end.
        (void)co_await lucid::when_all(throws_after<std::logic_error>(6, "late, first", done),
                                       throws_after<std::runtime_error>(1, "early, second", done),
                                       nothing_after(20, done));
      } catch (const std::logic_error& e) {
        co_return e.what();
      } catch (const std::runtime_error& e) {
        co_return e.what();
      }
      co_return "no exception";
    }(&done));
    EXPECT_EQ(what, "late, first");
    EXPECT_EQ(done.load(), 3);
  }
}

TEST(WhenAll, VectorRethrowsTheFirstExceptionByPosition) {
  auto rt = make_multi();
  std::atomic<int> done{0};
  auto what = rt.block_on([](std::atomic<int>* done) -> lucid::task<std::string> {
    std::vector<lucid::task<int>> ts;
    ts.push_back(after(3, 0));
    ts.push_back(throws_after<std::runtime_error>(5, "at 1", done));
    ts.push_back(throws_after<std::runtime_error>(0, "at 2", done));
    ts.push_back(after(9, 3));
    try {
      (void)co_await lucid::when_all(std::move(ts));
    } catch (const std::runtime_error& e) {
      co_return e.what();
    }
    co_return "no exception";
  }(&done));
  EXPECT_EQ(what, "at 1");
  EXPECT_EQ(done.load(), 2);
}

TEST(WhenAll, BranchesWokenByTasksOnOtherWorkers) {
  auto rt = make_multi();
  auto sum = rt.block_on([]() -> lucid::task<long> {
    std::vector<lucid::task<int>> ts;
    for (int i = 0; i < 500; ++i)
      ts.push_back(join(lucid::spawn(after(i % 4, i))));
    auto v = co_await lucid::when_all(std::move(ts));
    long s = 0;
    for (int x : v)
      s += x;
    co_return s;
  }());
  EXPECT_EQ(sum, 499L * 500 / 2);
}

lucid::task<> forever(std::atomic<int>* destroyed) {
  count_on_destroy g(destroyed);
  for (;;)
    co_await lucid::yield_now{};
}

TEST(WhenAll, AbortingTheAwaitingTaskDestroysEveryBranch) {
  for (auto make : kFlavours) {
    auto rt = make();
    std::atomic<int> destroyed{0};
    auto aborted = rt.block_on([](std::atomic<int>* d) -> lucid::task<bool> {
      std::atomic<bool> started{false};
      auto h = lucid::spawn([](std::atomic<int>* d, std::atomic<bool>* started) -> lucid::task<> {
        started->store(true);
        (void)co_await lucid::when_all(forever(d), forever(d), forever(d));
      }(d, &started));
      while (!started.load())
        co_await lucid::yield_now{};
      co_await lucid::yield_now{};
      h.abort();
      co_return co_await joins_aborted(h);
    }(&destroyed));
    EXPECT_TRUE(aborted);
    EXPECT_EQ(destroyed.load(), 3);
  }
}

}  // namespace
