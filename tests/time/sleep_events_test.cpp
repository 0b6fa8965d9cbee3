// lucid::sleep as the runtime's observers see it: a sleeping child reports
// its timer as a resource it waits on, and the timer's wake-up comes from the
// runtime. (Moved from tests/rt/observer_test.cpp: it exercises time.)
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <mutex>
#include <string>
#include <vector>

#include "lucid/rt/runtime.hpp"
#include "lucid/rt/spawn.hpp"
#include "lucid/time/sleep.hpp"
#include "recording_observer.hpp"

using namespace std::chrono_literals;

namespace {

using lucid::test::dump;
using lucid::test::in_order;
using lucid::test::installed;
using lucid::test::recorder;

TEST(SleepEvents, SleepingChildJoinedByParent) {
  recorder rec;
  installed guard(&rec);
  auto rt = lucid::runtime::current_thread(true);
  lucid::task_id parent = 0, child = 0;
  rt.block_on([](lucid::task_id* p, lucid::task_id* c) -> lucid::task<> {
    *p = lucid::current_task()->id;
    auto h = lucid::spawn("sleeper", []() -> lucid::task<int> {
      co_await lucid::sleep(10ms);
      co_return 1;
    }());
    *c = h.id();
    co_await h;
  }(&parent, &child));
  std::string P = "#" + std::to_string(parent), C = "#" + std::to_string(child);
  auto all = rec.events();
  EXPECT_TRUE(in_order(all,
                       {
                           "spawn " + C + " name=sleeper parent=" + P,
                           "waker_registered " + P,  // parent waits on the join handle
                           "poll_end " + P,
                           "poll_begin " + C,
                           "resource_created timer",
                           "wait_begin " + C,
                           "waker_registered " + C,  // the timer holds the child's waker
                           "poll_end " + C,
                           "waker_released " + C,  // the timer fired
                           "wake " + C + " origin=runtime by=#0",
                           "poll_begin " + C,
                           "wait_end " + C,
                           "resource_dropped",
                           "poll_end " + C,
                           "complete " + C + " value",
                           "waker_released " + P,
                           "wake " + P + " origin=other_task by=" + C,
                           "poll_begin " + P,
                           "complete " + P + " value",
                       }))
      << dump(all);
}

}  // namespace
