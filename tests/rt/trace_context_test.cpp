// The span context belongs to the task: a guard held across co_await keeps
// the task's events in the task's span and never leaks into another task on
// the same worker, on the current-thread runtime and when tasks move between
// workers. Spawned tasks take the spawner's span as parent; events carry the
// task id.
#define LUCID_TRACE_TARGET "rt.test"
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "lucid/rt/instrumented_task.hpp"
#include "lucid/rt/runtime.hpp"
#include "lucid/rt/spawn.hpp"
#include "lucid/trace/trace.hpp"
#include "trace_capture.hpp"

using namespace std::chrono_literals;

namespace {

using lucid::test::captured;

/// Enters span worker{n}, then logs `rounds` times, yielding between (the guard
/// is held across every co_await: a bug under Rust's tracing, fine here).
lucid::task<> worker(int n, int rounds) {
  auto span = LUCID_INFO_SPAN("worker", ("n", n));
  auto guard = span.enter();
  for (int i = 0; i < rounds; ++i) {
    LUCID_INFO("tick from {}", n);
    co_await lucid::yield_now{};
  }
}

void expect_every_tick_in_its_own_span(const captured& c, int workers, int rounds) {
  for (int n = 0; n < workers; ++n) {
    auto ticks = c.with("tick from " + std::to_string(n));
    ASSERT_EQ(ticks.size(), static_cast<std::size_t>(rounds)) << c.out->str();
    for (auto& l : ticks) {
      // full format: "... worker{n=N}: ..." with the task's own span only.
      EXPECT_NE(l.find("worker{n=" + std::to_string(n) + "}"), std::string::npos) << l;
      for (int m = 0; m < workers; ++m) {
        if (m != n) {
          EXPECT_EQ(l.find("worker{n=" + std::to_string(m) + "}"), std::string::npos) << l;
        }
      }
    }
  }
}

lucid::task<> run_workers(int workers, int rounds) {
  std::vector<lucid::join_handle<void>> hs;
  for (int n = 0; n < workers; ++n)
    hs.push_back(lucid::spawn(worker(n, rounds)));
  for (auto& h : hs)
    co_await h;
  LUCID_INFO("all done");
}

TEST(TraceContext, GuardAcrossAwaitStaysWithItsTaskOnOneThread) {
  captured c;
  auto rt = lucid::runtime::current_thread();
  rt.block_on(run_workers(3, 20));
  expect_every_tick_in_its_own_span(c, 3, 20);
  auto done = c.with("all done");
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].find("worker{"), std::string::npos) << done[0];  // nothing leaked out
}

TEST(TraceContext, GuardAcrossAwaitStaysWithItsTaskAcrossWorkers) {
  captured c;
  auto rt = lucid::runtime::multi_thread(2);
  rt.block_on(run_workers(8, 200));
  expect_every_tick_in_its_own_span(c, 8, 200);
}

TEST(TraceContext, SpawnedTaskTakesTheSpawnersSpanAsParent) {
  captured c;
  auto rt = lucid::runtime::multi_thread(2);
  rt.block_on([]() -> lucid::task<> {
    auto req = LUCID_INFO_SPAN("request", ("id", 42));
    auto g = req.enter();
    co_await lucid::spawn([]() -> lucid::task<> {
      co_await lucid::yield_now{};
      LUCID_INFO("in the child");
    }());
  }());
  auto child = c.with("in the child");
  ASSERT_EQ(child.size(), 1u) << c.out->str();
  EXPECT_NE(child[0].find("request{id=42}"), std::string::npos) << child[0];
}

TEST(TraceContext, EventsCarryTheTaskId) {
  captured c;
  auto rt = lucid::runtime::current_thread();
  auto id = rt.block_on([]() -> lucid::task<lucid::task_id> {
    LUCID_INFO("who am i");
    co_return lucid::current_task()->id;
  }());
  auto l = c.with("who am i");
  ASSERT_EQ(l.size(), 1u);
  EXPECT_NE(l[0].find("task=" + std::to_string(id)), std::string::npos) << l[0];
}

}  // namespace
