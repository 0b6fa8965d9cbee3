// The span context across timers: a task instrumented with a span keeps it
// across a sleep, and a task aborted while it sleeps inside a span drops the
// span cleanly. (Moved from tests/rt/trace_context_test.cpp: these use time
// as well as rt and a trace subscriber.)
#define LUCID_TRACE_TARGET "rt.test"
#include <gtest/gtest.h>

#include <string>

#include "lucid/rt/instrumented_task.hpp"
#include "lucid/rt/runtime.hpp"
#include "lucid/rt/spawn.hpp"
#include "lucid/time/sleep.hpp"
#include "lucid/trace/trace.hpp"
#include "trace_capture.hpp"

using namespace std::chrono_literals;

namespace {

using lucid::test::captured;

TEST(TraceContext, InstrumentRunsATaskInsideASpan) {
  captured c;
  auto rt = lucid::runtime::current_thread(true);
  rt.block_on([]() -> lucid::task<> {
    auto query = []() -> lucid::task<int> {
      co_await lucid::sleep(5ms);
      LUCID_INFO("querying");
      co_return 1;
    };
    int v = co_await lucid::trace::instrument(query(), LUCID_INFO_SPAN("query_db", ("id", 7)));
    LUCID_INFO("got {}", v);
  }());
  auto q = c.with("querying");
  ASSERT_EQ(q.size(), 1u);
  EXPECT_NE(q[0].find("query_db{id=7}"), std::string::npos) << q[0];
  auto g = c.with("got 1");
  ASSERT_EQ(g.size(), 1u);
  EXPECT_EQ(g[0].find("query_db"), std::string::npos) << g[0];
}

TEST(TraceContext, AbortedTaskDropsItsSpanCleanly) {
  captured c;
  auto rt = lucid::runtime::current_thread(true);
  rt.block_on([]() -> lucid::task<> {
    auto h = lucid::spawn([]() -> lucid::task<> {
      auto s = LUCID_INFO_SPAN("doomed");
      auto g = s.enter();
      co_await lucid::sleep(1h);
    }());
    co_await lucid::sleep(1ms);
    h.abort();
    try {
      co_await h;
    } catch (const lucid::task_aborted&) {
    }
    LUCID_INFO("after abort");
  }());
  auto l = c.with("after abort");
  ASSERT_EQ(l.size(), 1u);
  EXPECT_EQ(l[0].find("doomed"), std::string::npos) << l[0];
}

}  // namespace
