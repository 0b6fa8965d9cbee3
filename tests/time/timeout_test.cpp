#include "lucid/time/timeout.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>

#include "lucid/rt/runtime.hpp"
#include "lucid/rt/select.hpp"
#include "lucid/rt/spawn.hpp"
#include "lucid/rt/when_all.hpp"
#include "lucid/sync/oneshot.hpp"
#include "lucid/time/clock.hpp"
#include "lucid/time/sleep.hpp"

using namespace std::chrono_literals;

namespace {

lucid::task<int> slow(lucid::duration d, int v, std::atomic<int>* destroyed = nullptr) {
  struct guard {
    std::atomic<int>* d;
    ~guard() {
      if (d) d->fetch_add(1);
    }
  } g{destroyed};
  co_await lucid::sleep(d);
  co_return v;
}

TEST(Timeout, ValueWhenInTime) {
  auto rt = lucid::runtime::current_thread(true);
  auto r = rt.block_on([]() -> lucid::task<lucid::result<int>> {
    co_return co_await lucid::timeout(5s, slow(50ms, 42));
  }());
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, 42);
}

// duration::max() as "no limit" must be no limit: the deadline used to wrap
// into the past and time out at once.
TEST(Timeout, ALimitTooLongForTheClockNeverFires) {
  auto rt = lucid::runtime::current_thread(true);
  rt.block_on([]() -> lucid::task<> {
    auto r = co_await lucid::timeout(lucid::duration::max(), slow(1h, 7));
    EXPECT_TRUE(r && *r == 7) << "timeout(duration::max()) fired";
    auto r2 = co_await lucid::timeout(std::chrono::hours::max(), slow(1h, 8));
    EXPECT_TRUE(r2 && *r2 == 8) << "timeout(hours::max()) fired";
  }());
}

TEST(Timeout, TimedOutCancelsTheOperation) {
  std::atomic<int> destroyed{0};
  auto rt = lucid::runtime::current_thread(true);
  auto r = rt.block_on([](std::atomic<int>* d) -> lucid::task<lucid::result<int>> {
    auto t0 = lucid::time::now();
    auto r = co_await lucid::timeout(100ms, slow(1h, 1, d));
    EXPECT_EQ(lucid::time::now() - t0, std::chrono::duration_cast<lucid::duration>(100ms));
    EXPECT_EQ(d->load(), 1);  // the inner frame is gone before timeout returns
    co_return r;
  }(&destroyed));
  EXPECT_FALSE(r);
  EXPECT_EQ(r.error(), lucid::errc::timed_out);
}

TEST(Timeout, ExceptionsPassThrough) {
  auto rt = lucid::runtime::current_thread(true);
  EXPECT_THROW(rt.block_on([]() -> lucid::task<> {
    (void)co_await lucid::timeout(1s, []() -> lucid::task<int> {
      co_await lucid::sleep(1ms);
      throw std::runtime_error("inner");
    }());
  }()),
               std::runtime_error);
}

TEST(Timeout, WorksOnAnyAwaitable) {
  auto rt = lucid::runtime::current_thread(true);
  auto r = rt.block_on([]() -> lucid::task<bool> {
    auto a = co_await lucid::timeout(10ms, lucid::sleep(1s));
    auto b = co_await lucid::timeout(10s, lucid::sleep(1s));
    co_return !a && a.error() == lucid::errc::timed_out && b.has_value();
  }());
  EXPECT_TRUE(r);
}

TEST(Timeout, NestedTimeoutsTheInnerFiresFirst) {
  auto rt = lucid::runtime::current_thread(true);
  auto r = rt.block_on([]() -> lucid::task<int> {
    auto outer = co_await lucid::timeout(1s, [&]() -> lucid::task<int> {
      auto inner = co_await lucid::timeout(10ms, slow(1h, 0));
      co_return inner ? 1 : 2;
    }());
    co_return outer ? *outer : 3;
  }());
  EXPECT_EQ(r, 2);
}

TEST(Timeout, MultiThreadRealClock) {
  auto rt = lucid::runtime::multi_thread(2);
  auto r = rt.block_on([]() -> lucid::task<int> {
    int timed_out = 0;
    for (int i = 0; i < 20; ++i) {
      auto r = co_await lucid::timeout(200us, slow(1h, 0));
      if (!r) ++timed_out;
    }
    co_return timed_out;
  }());
  EXPECT_EQ(r, 20);
}

TEST(Select, FirstFinisherWinsAndLosersAreDestroyed) {
  std::atomic<int> destroyed{0};
  auto rt = lucid::runtime::current_thread(true);
  auto r = rt.block_on([](std::atomic<int>* d) -> lucid::task<std::size_t> {
    auto v = co_await lucid::select(slow(30ms, 1, d), slow(10ms, 2, d), slow(20ms, 3, d));
    EXPECT_EQ(d->load(), 3);  // the winner finished, the losers were destroyed
    EXPECT_EQ(std::get<1>(v), 2);
    co_return v.index();
  }(&destroyed));
  EXPECT_EQ(r, 1u);
}

TEST(Select, ImmediateWinnerSkipsTheRest) {
  auto rt = lucid::runtime::current_thread(true);
  auto r = rt.block_on([]() -> lucid::task<std::size_t> {
    bool second_started = false;
    auto v = co_await lucid::select([]() -> lucid::task<int> { co_return 7; }(),
                                    [](bool* s) -> lucid::task<int> {
                                      *s = true;
                                      co_return 8;
                                    }(&second_started));
    EXPECT_FALSE(second_started);
    co_return v.index();
  }());
  EXPECT_EQ(r, 0u);
}

TEST(WhenAll, RunsConcurrentlyInsideOneTask) {
  auto rt = lucid::runtime::current_thread(true);
  rt.block_on([]() -> lucid::task<> {
    auto t0 = lucid::time::now();
    auto [a, b, c] = co_await lucid::when_all(slow(30ms, 1), slow(10ms, 2), lucid::sleep(20ms));
    EXPECT_EQ(a, 1);
    EXPECT_EQ(b, 2);
    (void)c;
    EXPECT_EQ(lucid::time::now() - t0, std::chrono::duration_cast<lucid::duration>(30ms));
  }());
}

TEST(WhenAll, VectorKeepsOrderAndRethrowsFirstError) {
  auto rt = lucid::runtime::multi_thread(2);
  auto v = rt.block_on([]() -> lucid::task<std::vector<int>> {
    std::vector<lucid::task<int>> ts;
    for (int i = 0; i < 50; ++i)
      ts.push_back(slow(std::chrono::microseconds(50 * (50 - i)), i));
    co_return co_await lucid::when_all(std::move(ts));
  }());
  ASSERT_EQ(v.size(), 50u);
  for (int i = 0; i < 50; ++i)
    EXPECT_EQ(v[i], i);

  EXPECT_THROW(rt.block_on([]() -> lucid::task<> {
    std::vector<lucid::task<int>> ts;
    ts.push_back(slow(1ms, 0));
    ts.push_back([]() -> lucid::task<int> {
      co_await lucid::yield_now{};
      throw std::out_of_range("second");
    }());
    (void)co_await lucid::when_all(std::move(ts));
  }()),
               std::out_of_range);
}

}  // namespace

namespace {

struct no_default {
  explicit no_default(int x) : v(x) {}
  int v;
};

TEST(Select, AlternativesNeedNoDefaultConstructor) {
  auto rt = lucid::runtime::current_thread(true);
  auto r = rt.block_on([]() -> lucid::task<int> {
    auto v = co_await lucid::select(
        []() -> lucid::task<lucid::result<no_default>> {
          co_await lucid::sleep(5ms);
          co_return no_default(4);
        }(),
        lucid::sleep(1s));
    co_return v.index() == 0 ? (*std::get<0>(v)).v : -1;
  }());
  EXPECT_EQ(r, 4);
}

// A join handle given by reference (tokio's `timeout(d, &mut handle)`): after
// a timeout the caller still holds it.
lucid::task<int> finishes_after(lucid::duration d, int v, std::atomic<bool>* done) {
  co_await lucid::sleep(d);
  done->store(true);
  co_return v;
}

TEST(Timeout, ReferencedHandleCanBeAbortedAfterATimeout) {
  std::atomic<bool> done{false};
  auto rt = lucid::runtime::current_thread(true);
  rt.block_on([](std::atomic<bool>* d) -> lucid::task<> {
    auto h = lucid::spawn(finishes_after(1s, 7, d));
    lucid::result<int> r = co_await lucid::timeout(5ms, h);
    EXPECT_FALSE(r);
    EXPECT_EQ(r.error(), lucid::errc::timed_out);
    EXPECT_NE(h.id(), 0u);  // still ours
    EXPECT_FALSE(h.is_finished());
    h.abort();
    bool aborted = false;
    try {
      (void)co_await h;
    } catch (const lucid::task_aborted&) {
      aborted = true;
    }
    EXPECT_TRUE(aborted);
    co_await lucid::sleep(2s);  // past the task's own deadline
    EXPECT_FALSE(d->load());    // it never ran on
  }(&done));
}

TEST(Timeout, ReferencedHandleCanBeAwaitedAgainAfterATimeout) {
  std::atomic<bool> done{false};
  auto rt = lucid::runtime::current_thread(true);
  auto v = rt.block_on([](std::atomic<bool>* d) -> lucid::task<int> {
    auto h = lucid::spawn(finishes_after(50ms, 7, d));
    auto r = co_await lucid::timeout(5ms, h);
    EXPECT_FALSE(r);
    auto again = co_await lucid::timeout(1s, h);  // the same task, awaited again
    EXPECT_TRUE(again);
    co_return again ? *again : -1;
  }(&done));
  EXPECT_EQ(v, 7);
  EXPECT_TRUE(done.load());
}

TEST(Timeout, ReferencedHandleInTimeGivesTheValue) {
  std::atomic<bool> done{false};
  auto rt = lucid::runtime::current_thread(true);
  auto v = rt.block_on([](std::atomic<bool>* d) -> lucid::task<int> {
    auto h = lucid::spawn(finishes_after(5ms, 3, d));
    auto r = co_await lucid::timeout(1s, h);
    EXPECT_TRUE(h.is_finished());
    co_return r ? *r : -1;
  }(&done));
  EXPECT_EQ(v, 3);
}

TEST(Timeout, MovedInHandleDetachesTheTaskOnTimeout) {
  std::atomic<bool> done{false};
  auto rt = lucid::runtime::current_thread(true);
  rt.block_on([](std::atomic<bool>* d) -> lucid::task<> {
    auto h = lucid::spawn(finishes_after(50ms, 7, d));
    auto r = co_await lucid::timeout(5ms, std::move(h));
    EXPECT_FALSE(r);
    co_await lucid::sleep(1s);
    EXPECT_TRUE(d->load());  // detached with the handle: it ran on, unseen
  }(&done));
}

TEST(Select, ReferencedHandleStaysWithTheCallerWhenItLoses) {
  std::atomic<bool> done{false};
  auto rt = lucid::runtime::current_thread(true);
  auto v = rt.block_on([](std::atomic<bool>* d) -> lucid::task<int> {
    auto h = lucid::spawn(finishes_after(50ms, 9, d));
    auto s = co_await lucid::select(h, lucid::sleep(5ms));
    EXPECT_EQ(s.index(), 1u);
    EXPECT_FALSE(h.is_finished());
    co_return co_await h;  // still ours: await it to the end
  }(&done));
  EXPECT_EQ(v, 9);
}

TEST(Select, ReferencedHandleCanWin) {
  std::atomic<bool> done{false};
  auto rt = lucid::runtime::current_thread(true);
  auto v = rt.block_on([](std::atomic<bool>* d) -> lucid::task<int> {
    auto h = lucid::spawn(finishes_after(5ms, 9, d));
    auto s = co_await lucid::select(lucid::sleep(1s), h);
    co_return s.index() == 1 ? std::get<1>(s) : -1;
  }(&done));
  EXPECT_EQ(v, 9);
}

// A named sleep awaited by reference in a loop: the deadline stays put while
// other branches win.
TEST(Select, ReferencedSleepKeepsItsDeadlineAcrossLostRaces) {
  auto rt = lucid::runtime::current_thread(true);
  auto n = rt.block_on([]() -> lucid::task<int> {
    auto t0 = lucid::time::now();
    auto deadline = lucid::sleep(100ms);
    int ticks = 0;
    for (;;) {
      auto s = co_await lucid::select(deadline, lucid::sleep(30ms));
      if (s.index() == 0) break;
      ++ticks;
    }
    EXPECT_EQ(lucid::time::now() - t0, std::chrono::duration_cast<lucid::duration>(100ms));
    co_await deadline;  // passed: completes at once
    EXPECT_EQ(lucid::time::now() - t0, std::chrono::duration_cast<lucid::duration>(100ms));
    co_return ticks;
  }());
  EXPECT_EQ(n, 3);  // 30, 60, 90 ms
}

TEST(Timeout, ReferencedOneshotReceiverKeepsTheChannel) {
  auto rt = lucid::runtime::current_thread(true);
  auto v = rt.block_on([]() -> lucid::task<int> {
    auto [tx, rx] = lucid::oneshot::channel<int>();
    auto r = co_await lucid::timeout(5ms, rx);  // rx by reference: still ours
    EXPECT_FALSE(r);
    EXPECT_TRUE(tx.send(5));
    auto got = co_await rx;
    co_return got ? *got : -1;
  }());
  EXPECT_EQ(v, 5);
}

}  // namespace
