// Tests of lucid/trace/callsite.hpp: static callsites, cached interest, the
// global maximum level and rebuilds.
#include "lucid/trace/callsite.hpp"

#include <gtest/gtest.h>

#include "lucid/trace/trace.hpp"
#include "mock_subscriber.hpp"

namespace lucid::trace {
namespace {

using ::testing::_;
using testing::make_mock;
using ::testing::Return;

int g_evaluated = 0;
int side_effect() {
  ++g_evaluated;
  return 1;
}

TEST(Callsite, NoSubscriberMeansMaxLevelOff) {
  // No global default in this process (each test runs alone under ctest).
  if (global_default() == nullptr) {
    EXPECT_EQ(max_level(), level_filter::off);
  }
  g_evaluated = 0;
  LUCID_ERROR_F(("x", side_effect()))("nobody listens {}", side_effect());
  EXPECT_EQ(g_evaluated, 0);
}

TEST(Callsite, MaxLevelFollowsTheSubscriberHint) {
  auto m = make_mock();
  EXPECT_CALL(*m, max_level_hint()).WillRepeatedly(Return(level_filter::warn));
  {
    scoped_default g(m);
    EXPECT_EQ(max_level(), level_filter::warn);
    g_evaluated = 0;
    LUCID_INFO_F(("x", side_effect()))("disabled {}", side_effect());
    EXPECT_EQ(g_evaluated, 0);  // neither fields nor arguments are evaluated
    EXPECT_CALL(*m, on_event(testing::event_message("on 1")));
    LUCID_WARN("on {}", side_effect());
    EXPECT_EQ(g_evaluated, 1);
  }
  if (global_default() == nullptr) {
    EXPECT_EQ(max_level(), level_filter::off);
  }
}

TEST(Callsite, InterestIsCachedPerCallsite) {
  auto m = make_mock(interest::never);
  EXPECT_CALL(*m, register_callsite(_))
      .Times(::testing::AtLeast(1))
      .WillRepeatedly(Return(interest::never));
  scoped_default g(m);
  for (int i = 0; i < 3; ++i)
    LUCID_INFO("never delivered");
  // enabled() is never asked for a `never` callsite, on_event never called (StrictMock).
}

TEST(Callsite, SometimesAsksEnabledEachTime) {
  auto m = make_mock(interest::sometimes);
  int calls = 0;
  EXPECT_CALL(*m, enabled(_, _)).WillRepeatedly([&](const metadata&, span_ref) {
    return ++calls % 2 == 1;
  });
  EXPECT_CALL(*m, on_event(_)).Times(2);
  scoped_default g(m);
  for (int i = 0; i < 4; ++i)
    LUCID_INFO("sometimes");
  EXPECT_EQ(calls, 4);
}

TEST(Callsite, RebuildAppliesANewAnswer) {
  auto m = make_mock();
  interest answer = interest::never;
  EXPECT_CALL(*m, register_callsite(_)).WillRepeatedly([&](const metadata&) { return answer; });
  scoped_default g(m);
  auto log = [] { LUCID_INFO("rebuilt"); };
  log();  // never: nothing delivered
  answer = interest::always;
  rebuild_interest();
  EXPECT_CALL(*m, on_event(testing::event_message("rebuilt"))).Times(1);
  log();
}

TEST(Callsite, MetadataDescribesTheCallsite) {
  auto m = make_mock();
  const metadata* seen = nullptr;
  EXPECT_CALL(*m, on_event(_)).WillOnce([&](const event& e) { seen = e.meta; });
  scoped_default g(m);
  int line = __LINE__ + 1;
  LUCID_WARN("where");
  ASSERT_NE(seen, nullptr);
  EXPECT_STREQ(seen->name, "event");
  EXPECT_STREQ(seen->target, "app");
  EXPECT_EQ(seen->line, static_cast<unsigned>(line));
  EXPECT_EQ(seen->lvl, level::warn);
  EXPECT_EQ(seen->kind, callsite_kind::event);
  EXPECT_NE(std::string_view(seen->file).find("callsite_test.cpp"), std::string_view::npos);
}

}  // namespace
}  // namespace lucid::trace
