#include "lucid/time/sleep.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <system_error>
#include <vector>

#include "address_space.hpp"
#include "lucid/rt/runtime.hpp"
#include "lucid/rt/spawn.hpp"
#include "lucid/time/clock.hpp"
#include "lucid/time/timeout.hpp"

using namespace std::chrono_literals;

namespace {

TEST(Sleep, PausedClockJumpsToTheNextTimerWhenIdle) {
  auto rt = lucid::runtime::current_thread(/*paused_clock=*/true);
  auto elapsed = rt.block_on([]() -> lucid::task<lucid::duration> {
    auto t0 = lucid::time::now();
    co_await lucid::sleep(1h);
    co_return lucid::time::now() - t0;
  }());
  EXPECT_EQ(elapsed, std::chrono::duration_cast<lucid::duration>(1h));
}

// A duration too long for the clock is a sleep that never ends: it used to
// wrap around into the past (or overflow converting hours to nanoseconds)
// and end at once.
TEST(Sleep, ADurationTooLongForTheClockSleepsForEver) {
  auto rt = lucid::runtime::current_thread(/*paused_clock=*/true);
  rt.block_on([]() -> lucid::task<> {
    auto r = co_await lucid::timeout(1s, lucid::sleep(std::chrono::hours::max()));
    EXPECT_FALSE(r) << "sleep(hours::max()) ended";
    r = co_await lucid::timeout(1s, lucid::sleep(lucid::duration::max()));
    EXPECT_FALSE(r) << "sleep(duration::max()) ended";
    r = co_await lucid::timeout(1s, lucid::sleep(std::chrono::duration<double>(1e300)));
    EXPECT_FALSE(r) << "sleep(1e300 s) ended";
  }());
}

TEST(Sleep, AdvancingByMoreThanTheClockHoldsStopsAtItsEnd) {
  auto rt = lucid::runtime::current_thread(true);
  rt.block_on([]() -> lucid::task<> {
    auto t0 = lucid::time::now();
    co_await lucid::time::advance(std::chrono::hours::max());
    EXPECT_EQ(lucid::time::now(), lucid::time_point::max());
    EXPECT_GT(lucid::time::now(), t0);
  }());
}

TEST(Sleep, TimersFireInDeadlineOrder) {
  auto rt = lucid::runtime::current_thread(true);
  auto order = rt.block_on([]() -> lucid::task<std::vector<int>> {
    std::vector<int> out;
    std::vector<lucid::join_handle<void>> hs;
    for (int ms : {30, 10, 20, 5}) {
      hs.push_back(lucid::spawn([](int ms, std::vector<int>* o) -> lucid::task<> {
        co_await lucid::sleep(std::chrono::milliseconds(ms));
        o->push_back(ms);
      }(ms, &out)));
    }
    for (auto& h : hs)
      co_await h;
    co_return out;
  }());
  EXPECT_EQ(order, (std::vector<int>{5, 10, 20, 30}));
}

// The timer heap under load: thousands of timers armed in scrambled order,
// many with equal deadlines, and every third task aborted while its timer is
// armed (a removal from the middle of the heap). Each survivor must wake at
// exactly its deadline on the paused clock, in deadline order, and the
// aborted ones never.
TEST(Sleep, ThousandsOfTimersWithCancellationsFireInDeadlineOrderAtTheirDeadline) {
  constexpr int kTimers = 3000;
  auto rt = lucid::runtime::current_thread(true);
  struct fired {
    int ms;
    lucid::duration late;
  };
  auto out = rt.block_on([]() -> lucid::task<std::vector<fired>> {
    std::vector<fired> woke;
    std::vector<lucid::join_handle<void>> hs;
    const auto t0 = lucid::time::now();
    for (int i = 0; i < kTimers; ++i) {
      const int ms = 1 + static_cast<int>((i * 7919u) % 997u);  // scrambled, repeating
      hs.push_back(
          lucid::spawn([](int ms, lucid::time_point t0, std::vector<fired>* w) -> lucid::task<> {
            co_await lucid::sleep(std::chrono::milliseconds(ms));
            w->push_back({ms, lucid::time::now() - (t0 + std::chrono::milliseconds(ms))});
          }(ms, t0, &woke)));
    }
    co_await lucid::yield_now{};  // every sleeper arms its timer
    for (int i = 0; i < kTimers; i += 3)
      hs[static_cast<std::size_t>(i)].abort();
    for (std::size_t i = 0; i < hs.size(); ++i) {
      if (i % 3 == 0) {
        EXPECT_THROW(co_await hs[i], lucid::task_aborted);
      } else {
        co_await hs[i];
      }
    }
    co_return woke;
  }());
  ASSERT_EQ(out.size(), static_cast<std::size_t>(kTimers - (kTimers + 2) / 3));
  std::vector<int> expected;
  for (int i = 0; i < kTimers; ++i) {
    if (i % 3 != 0) expected.push_back(1 + static_cast<int>((i * 7919u) % 997u));
  }
  std::sort(expected.begin(), expected.end());
  std::vector<int> got;
  for (const fired& f : out) {
    got.push_back(f.ms);
    EXPECT_EQ(f.late, lucid::duration::zero()) << "a " << f.ms << " ms timer woke late";
  }
  EXPECT_EQ(got, expected) << "timers woke out of deadline order, or the wrong ones woke";
}

TEST(Sleep, AdvanceMovesTimeByHand) {
  auto rt = lucid::runtime::current_thread(true);
  rt.block_on([]() -> lucid::task<> {
    bool done = false;
    auto h = lucid::spawn([](bool* d) -> lucid::task<> {
      co_await lucid::sleep(100ms);
      *d = true;
    }(&done));
    co_await lucid::yield_now{};  // let the sleeper arm its timer
    co_await lucid::time::advance(99ms);
    EXPECT_FALSE(done);
    co_await lucid::time::advance(1ms);
    EXPECT_TRUE(done);
    co_await h;
  }());
}

TEST(Sleep, PastDeadlineCompletesWithoutWaiting) {
  auto rt = lucid::runtime::current_thread(true);
  rt.block_on([]() -> lucid::task<> {
    auto t0 = lucid::time::now();
    co_await lucid::sleep_until(t0 - 1s);
    co_await lucid::sleep(0ms);
    EXPECT_EQ(lucid::time::now(), t0);
  }());
}

TEST(Sleep, RealClockMultiThread) {
  auto rt = lucid::runtime::multi_thread(2);
  auto ok = rt.block_on([]() -> lucid::task<bool> {
    auto t0 = std::chrono::steady_clock::now();
    std::vector<lucid::join_handle<void>> hs;
    for (int i = 0; i < 100; ++i) {
      hs.push_back(lucid::spawn([](int i) -> lucid::task<> {
        co_await lucid::sleep(std::chrono::microseconds(100 + i * 10));
      }(i)));
    }
    for (auto& h : hs)
      co_await h;
    co_return std::chrono::steady_clock::now() - t0 >= std::chrono::microseconds(1090);
  }());
  EXPECT_TRUE(ok);
}

// Timers live in one shard per worker (src/rt/driver/timer_queue.hpp), and
// the worker sleeping in epoll as the driver waits for the earliest deadline
// of all shards. Four workers arm short timers in their own shards, cancel
// others' (a timeout whose operation wins), while a 1-hour timer keeps the
// parked driver's deadline far away: each short timer armed after the driver
// read its shard must unpark it, or a sleep never ends and the test hangs.
TEST(Sleep, ShortTimersArmedOnEveryWorkerWakeADriverParkedForAnHour) {
  auto rt = lucid::runtime::multi_thread(4);
  const int done = rt.block_on([]() -> lucid::task<int> {
    auto far = lucid::spawn([]() -> lucid::task<> { co_await lucid::sleep(1h); }());
    auto count = std::make_shared<std::atomic<int>>(0);
    std::vector<lucid::join_handle<void>> hs;
    for (int t = 0; t < 8; ++t) {
      hs.push_back(lucid::spawn([](int t, std::shared_ptr<std::atomic<int>> n) -> lucid::task<> {
        for (int i = 0; i < 40; ++i) {
          const auto d = std::chrono::microseconds(50 + ((t * 40 + i) * 37) % 400);
          if (i % 4 == 3) {
            // The operation wins: the timeout's timer is cancelled, maybe
            // from another worker than the one that armed it.
            auto r = co_await lucid::timeout(1h, lucid::sleep(d));
            if (r) n->fetch_add(1);
          } else {
            co_await lucid::sleep(d);
            n->fetch_add(1);
          }
        }
      }(t, count)));
    }
    for (auto& h : hs)
      co_await h;
    far.abort();
    co_return count->load();
  }());
  EXPECT_EQ(done, 8 * 40);
}

// Two timers that fire in one batch: the worker that fires them runs one and
// wakes the sleeping worker for the other (a sleeper is woken when a batch
// queues more than the one task the waking worker runs next). Each task then
// holds its worker, on purpose, until the other has started: had the second
// been left in the first worker's queue with the other worker asleep,
// neither would finish.
lucid::task<bool> meet_after(std::shared_ptr<std::atomic<int>> started, lucid::time_point at) {
  co_await lucid::sleep_until(at);
  started->fetch_add(1);
  const auto give_up = std::chrono::steady_clock::now() + 10s;
  while (started->load() < 2) {
    if (std::chrono::steady_clock::now() > give_up) co_return false;
  }
  co_return true;
}

TEST(Sleep, TwoTimersFiringTogetherRunOnBothWorkers) {
  auto rt = lucid::runtime::multi_thread(2);
  const bool met = rt.block_on([]() -> lucid::task<bool> {
    auto started = std::make_shared<std::atomic<int>>(0);
    const lucid::time_point at = lucid::time::now() + 20ms;
    auto a = lucid::spawn(meet_after(started, at));
    auto b = lucid::spawn(meet_after(started, at));
    const bool first = co_await a;
    const bool second = co_await b;
    co_return first&& second;
  }());
  EXPECT_TRUE(met);
}

TEST(Sleep, AbortingASleepingTaskDisarmsItsTimer) {
  auto rt = lucid::runtime::current_thread(true);
  rt.block_on([]() -> lucid::task<> {
    auto h = lucid::spawn([]() -> lucid::task<> { co_await lucid::sleep(1h); }());
    co_await lucid::yield_now{};
    h.abort();
    EXPECT_THROW(co_await h, lucid::task_aborted);
    // With the only timer gone, the clock has nothing to jump to.
    auto t0 = lucid::time::now();
    co_await lucid::yield_now{};
    EXPECT_EQ(lucid::time::now(), t0);
  }());
}

// A named sleep is awaited through a proxy (task.hpp, lvalue_awaiter): a
// million awaits of one that has expired complete synchronously and must not
// grow the stack (no reliance on symmetric transfer; DESIGN.md).
TEST(Sleep, MillionAwaitsOfANamedExpiredSleep) {
  auto rt = lucid::runtime::current_thread(true);
  auto n = rt.block_on([]() -> lucid::task<int> {
    auto s = lucid::sleep(1ms);
    co_await s;
    int i = 0;
    for (; i < 1'000'000; ++i)
      co_await s;
    co_return i;
  }());
  EXPECT_EQ(n, 1'000'000);
}

/// In a child: a paused-clock runtime whose spawn_blocking cannot start a
/// thread (a small address-space limit), then a sleep that the paused clock
/// must skip. Exits 0 when both happened; SIGALRM ends a hang.
// maybe_unused: the sanitizer presets skip the test that calls it.
[[noreturn, maybe_unused]] void spawn_blocking_without_a_thread_then_sleep() {
  auto rt = lucid::runtime::current_thread(/*paused_clock=*/true);
  if (!rt_test::limit_address_space(4 * 1024 * 1024)) std::_Exit(4);
  ::alarm(10);
  int code = rt.block_on([]() -> lucid::task<int> {
    try {
      (void)co_await lucid::spawn_blocking([] { return 1; });
      co_return 2;  // it ran: the limit did not bite
    } catch (const std::system_error& e) {
      std::fprintf(stderr, "caught: %s\n", e.what());
    }
    co_await lucid::sleep(1h);  // the paused clock jumps: nothing is in flight
    co_return 0;
  }());
  std::_Exit(code);
}

// A spawn_blocking whose thread could not start used to leave its job queued
// and counted as in flight: the paused clock then never jumped to the next
// timer, and the runtime hung.
TEST(SleepDeathTest, ASpawnBlockingThatCouldNotStartDoesNotHoldThePausedClock) {
#if defined(LUCID_SANITIZER_ADDRESS) || defined(LUCID_SANITIZER_THREAD)
  GTEST_SKIP() << "an address-space limit and sanitizer shadow memory do not mix";
#else
  EXPECT_EXIT(spawn_blocking_without_a_thread_then_sleep(), ::testing::ExitedWithCode(0),
              "caught: ");
#endif
}

}  // namespace
