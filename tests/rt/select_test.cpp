// Tests of lucid/rt/select.hpp: the first branch to finish wins, the losers
// are destroyed before select returns (their RAII guards run), the lowest
// index wins a tie, an exception from the winner is rethrown, and aborting
// the awaiting task destroys every branch. rt only: no sync or time (branches
// finish after a number of yields, or when a spawned task finishes).
#include "lucid/rt/select.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <variant>

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

/// Yields `yields` times and returns v; holds a guard in its frame and sets
/// *finished if it gets past its last yield.
lucid::task<int> after(int yields, int v, std::atomic<int>* destroyed = nullptr,
                       std::atomic<bool>* finished = nullptr) {
  count_on_destroy guard(destroyed);
  for (int i = 0; i < yields; ++i)
    co_await lucid::yield_now{};
  if (finished) finished->store(true);
  co_return v;
}

lucid::task<int> throws_after(int yields) {
  for (int i = 0; i < yields; ++i)
    co_await lucid::yield_now{};
  throw std::runtime_error("branch failed");
}

TEST(Select, FirstToFinishWins) {
  for (auto make : kFlavours) {
    auto rt = make();
    auto v = rt.block_on([]() -> lucid::task<std::variant<int, int, int>> {
      co_return co_await lucid::select(after(30, 1), after(3, 2), after(20, 3));
    }());
    EXPECT_EQ(v.index(), 1u);
    EXPECT_EQ(std::get<1>(v), 2);
  }
}

TEST(Select, LosersAreDestroyedBeforeSelectReturns) {
  for (auto make : kFlavours) {
    auto rt = make();
    auto r = rt.block_on([]() -> lucid::task<std::pair<int, int>> {
      std::atomic<int> destroyed{0};
      std::atomic<bool> loser_finished{false};
      auto v = co_await lucid::select(after(1000, 1, &destroyed, &loser_finished),
                                      after(2, 2, &destroyed),
                                      after(1000, 3, &destroyed, &loser_finished));
      // Right here, before anything else ran: both losers' guards have run.
      int seen = destroyed.load();
      EXPECT_FALSE(loser_finished.load());
      co_return std::make_pair(static_cast<int>(v.index()), seen);
    }());
    EXPECT_EQ(r.first, 1);
    EXPECT_EQ(r.second, 3);  // the winner's frame and both losers'
  }
}

TEST(Select, ReadyInTheSamePollTheLowestIndexWinsAndLaterBranchesNeverStart) {
  auto rt = make_current();
  auto r = rt.block_on([]() -> lucid::task<std::pair<std::size_t, bool>> {
    std::atomic<bool> second_ran{false};
    auto v = co_await lucid::select(after(0, 1), after(0, 2, nullptr, &second_ran));
    co_return std::make_pair(v.index(), second_ran.load());
  }());
  EXPECT_EQ(r.first, 0u);
  EXPECT_FALSE(r.second);  // once a branch finished, select starts no more
}

TEST(Select, ExceptionFromTheWinnerIsRethrownAndLosersDestroyed) {
  for (auto make : kFlavours) {
    auto rt = make();
    std::atomic<int> destroyed{0};
    auto what = rt.block_on([](std::atomic<int>* d) -> lucid::task<std::string> {
      try {
        (void)co_await lucid::select(after(1000, 1, d), throws_after(2));
      } catch (const std::runtime_error& e) {
        co_return e.what();
      }
      co_return "no exception";
    }(&destroyed));
    EXPECT_EQ(what, "branch failed");
    EXPECT_EQ(destroyed.load(), 1);
  }
}

TEST(Select, AnExceptionInALoserThatNeverFinishesIsNotSeen) {
  auto rt = make_multi();
  auto v = rt.block_on([]() -> lucid::task<int> {
    auto r = co_await lucid::select(after(1, 5), throws_after(50));
    co_return std::get<0>(r);
  }());
  EXPECT_EQ(v, 5);
}

TEST(Select, VoidBranchesGiveMonostateAndMoveOnlyValuesMove) {
  auto rt = make_multi();
  auto r = rt.block_on([]() -> lucid::task<int> {
    auto v = co_await lucid::select(
        []() -> lucid::task<> {
          for (int i = 0; i < 100; ++i)
            co_await lucid::yield_now{};
        }(),
        []() -> lucid::task<std::unique_ptr<int>> {
          co_await lucid::yield_now{};
          co_return std::make_unique<int>(8);
        }());
    static_assert(std::is_same_v<decltype(v), std::variant<std::monostate, std::unique_ptr<int>>>);
    co_return *std::get<1>(v);
  }());
  EXPECT_EQ(r, 8);
}

TEST(Select, AcceptsPlainAwaitables) {
  auto rt = make_current();
  auto idx = rt.block_on([]() -> lucid::task<std::size_t> {
    auto v = co_await lucid::select(after(5, 1), lucid::yield_now{});
    co_return v.index();
  }());
  EXPECT_EQ(idx, 1u);
}

TEST(Select, BranchWokenByATaskOnAnotherWorker) {
  // The winning branch awaits a spawned task that finishes on whichever
  // worker ran it: the wake crosses threads into the select.
  auto rt = make_multi();
  for (int round = 0; round < 200; ++round) {
    auto r = rt.block_on([]() -> lucid::task<std::pair<std::size_t, int>> {
      // Shared: the loser's task is detached (not aborted) and outlives this frame.
      auto go = std::make_shared<std::atomic<bool>>(false);
      auto slow = lucid::spawn([](std::shared_ptr<std::atomic<bool>> go) -> lucid::task<int> {
        while (!go->load())
          co_await lucid::yield_now{};
        co_return 1;
      }(go));
      auto fast = lucid::spawn(after(2, 2));
      auto v = co_await lucid::select(join(std::move(slow)), join(std::move(fast)));
      go->store(true);  // let the loser's task end
      co_return std::make_pair(v.index(), v.index() == 1 ? std::get<1>(v) : -1);
    }());
    EXPECT_EQ(r.first, 1u);
    EXPECT_EQ(r.second, 2);
  }
}

TEST(Select, AbortingTheAwaitingTaskDestroysEveryBranch) {
  for (auto make : kFlavours) {
    auto rt = make();
    std::atomic<int> destroyed{0};
    auto aborted = rt.block_on([](std::atomic<int>* d) -> lucid::task<bool> {
      std::atomic<bool> started{false};
      auto h =
          lucid::spawn([](std::atomic<int>* d, std::atomic<bool>* started) -> lucid::task<int> {
            started->store(true);
            auto v = co_await lucid::select(after(1'000'000'000, 1, d), after(1'000'000'000, 2, d));
            co_return static_cast<int>(v.index());
          }(d, &started));
      while (!started.load())
        co_await lucid::yield_now{};
      co_await lucid::yield_now{};
      h.abort();
      co_return co_await joins_aborted(h);
    }(&destroyed));
    EXPECT_TRUE(aborted);
    EXPECT_EQ(destroyed.load(), 2);
  }
}

}  // namespace
