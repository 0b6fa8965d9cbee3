// Tests of lucid/trace/dispatch.hpp: global and scoped defaults, nesting,
// no recursion from inside a subscriber, flush.
#include "lucid/trace/dispatch.hpp"

#include <gtest/gtest.h>

#include <thread>

#include "mock_subscriber.hpp"

namespace lucid::trace {
namespace {

using ::testing::_;
using ::testing::Return;
using namespace testing;

TEST(Dispatch, ScopedDefaultsNest) {
  auto a = make_mock();
  auto b = make_mock();
  EXPECT_CALL(*a, on_event(event_message("to a"))).Times(2);
  EXPECT_CALL(*b, on_event(event_message("to b")));
  scoped_default ga(a);
  EXPECT_EQ(current_subscriber(), a.get());
  LUCID_INFO("to a");
  {
    scoped_default gb(b);
    EXPECT_EQ(current_subscriber(), b.get());
    LUCID_INFO("to b");
  }
  LUCID_INFO("to a");
}

TEST(Dispatch, ScopedDefaultIsPerThread) {
  auto a = make_mock();
  EXPECT_CALL(*a, on_event(_)).Times(1);
  scoped_default ga(a);
  std::thread([] {
    EXPECT_EQ(current_subscriber(), global_default());
    LUCID_INFO("not to a");  // no global default here: dropped
  }).join();
  LUCID_INFO("to a");
}

TEST(Dispatch, GlobalDefault) {
  auto rec = std::make_shared<recording_subscriber>();
  set_global_default(rec);
  EXPECT_EQ(global_default(), rec.get());
  std::thread([] { LUCID_INFO("from a thread"); }).join();
  ASSERT_EQ(rec->messages.size(), 1u);
  EXPECT_EQ(rec->messages[0], "from a thread");
  // A scoped default overrides it on this thread only.
  auto a = make_mock();
  EXPECT_CALL(*a, on_event(event_message("scoped")));
  {
    scoped_default ga(a);
    LUCID_INFO("scoped");
  }
  LUCID_INFO("global again");
  EXPECT_EQ(rec->messages.size(), 2u);
}

TEST(Dispatch, EventsFromInsideASubscriberDoNotRecurse) {
  auto a = make_mock();
  int depth = 0;
  EXPECT_CALL(*a, on_event(_)).Times(1).WillOnce([&](const event&) {
    ++depth;
    LUCID_INFO("from inside");           // dropped
    auto s = LUCID_INFO_SPAN("inside");  // disabled
    EXPECT_TRUE(s.is_none());
  });
  scoped_default ga(a);
  LUCID_INFO("outer");
  EXPECT_EQ(depth, 1);
}

TEST(Dispatch, SubscriberExceptionsLoseOneEventOnly) {
  auto a = make_mock();
  EXPECT_CALL(*a, on_event(_))
      .WillOnce([](const event&) { throw std::runtime_error("boom"); })
      .WillOnce(Return());
  scoped_default ga(a);
  LUCID_INFO("first");
  LUCID_INFO("second");
}

TEST(Dispatch, FlushReachesTheSubscriber) {
  auto a = make_mock();
  EXPECT_CALL(*a, flush()).Times(::testing::AtLeast(1));
  scoped_default ga(a);
  flush();
}

}  // namespace
}  // namespace lucid::trace
