// Tests of LUCID_TRACE_STATIC_MAX_LEVEL (lucid/trace/event.hpp): levels above
// the compile-time ceiling of this translation unit compile to nothing.
#define LUCID_TRACE_STATIC_MAX_LEVEL 2  // error and warn only
#include <gtest/gtest.h>

#include "lucid/trace/event.hpp"
#include "mock_subscriber.hpp"

namespace lucid::trace {
namespace {

using namespace testing;

TEST(EventStaticLevel, LevelsAboveTheCeilingAreCompiledOut) {
  auto m = make_mock();
  EXPECT_CALL(*m, on_event(event_message("warn")));
  scoped_default g(m);
  int evaluated = 0;
  LUCID_INFO("info {}", ++evaluated);
  LUCID_WARN("warn");
  auto s = LUCID_DEBUG_SPAN("off", ("x", ++evaluated));
  EXPECT_TRUE(s.is_none());
  EXPECT_EQ(evaluated, 0);
}

}  // namespace
}  // namespace lucid::trace
