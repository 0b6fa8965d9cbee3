#include "lucid/time/interval.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <vector>

#include "lucid/rt/runtime.hpp"
#include "lucid/time/clock.hpp"
#include "lucid/time/timeout.hpp"

using namespace std::chrono_literals;

namespace {

TEST(Interval, TicksAtFixedPeriod) {
  auto rt = lucid::runtime::current_thread(true);
  auto gaps = rt.block_on([]() -> lucid::task<std::vector<lucid::duration>> {
    lucid::interval iv(10ms);
    std::vector<lucid::duration> out;
    auto start = lucid::time::now();
    for (int i = 0; i < 4; ++i) {
      co_await iv.tick();
      out.push_back(lucid::time::now() - start);
    }
    co_return out;
  }());
  using D = lucid::duration;
  EXPECT_EQ(gaps, (std::vector<D>{D(0), std::chrono::duration_cast<D>(10ms),
                                  std::chrono::duration_cast<D>(20ms),
                                  std::chrono::duration_cast<D>(30ms)}));
}

TEST(Interval, MissedTicksAreDeliveredImmediately) {
  auto rt = lucid::runtime::current_thread(true);
  rt.block_on([]() -> lucid::task<> {
    lucid::interval iv(10ms);
    co_await iv.tick();
    co_await lucid::time::advance(35ms);
    auto t0 = lucid::time::now();
    co_await iv.tick();  // 10 ms: missed
    co_await iv.tick();  // 20 ms: missed
    co_await iv.tick();  // 30 ms: missed
    EXPECT_EQ(lucid::time::now(), t0);
    co_await iv.tick();  // 40 ms: 5 ms from now
    EXPECT_EQ(lucid::time::now() - t0, std::chrono::duration_cast<lucid::duration>(5ms));
  }());
}

TEST(Interval, APeriodTooLongForTheClockTicksOnceThenNever) {
  auto rt = lucid::runtime::current_thread(true);
  rt.block_on([]() -> lucid::task<> {
    lucid::interval iv(std::chrono::hours::max());
    EXPECT_EQ(iv.period(), lucid::duration::max());
    co_await iv.tick();  // the first tick is at once
    auto second = co_await lucid::timeout(1h, iv.tick());
    EXPECT_FALSE(second) << "a second tick came";
  }());
}

}  // namespace
