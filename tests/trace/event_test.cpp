// Tests of lucid/trace/event.hpp: the event macros, fields, targets and the
// message, against the mock subscriber.
#define LUCID_TRACE_TARGET "tests.event"
#include "lucid/trace/event.hpp"

#include <gtest/gtest.h>

#include <string>

#include "lucid/trace/context.hpp"
#include "mock_subscriber.hpp"

namespace lucid::trace {
namespace {

using ::testing::_;
using ::testing::AllOf;
using ::testing::InSequence;
using namespace testing;

TEST(Event, MessageWithArguments) {
  auto m = make_mock();
  EXPECT_CALL(*m, on_event(AllOf(event_message("Request complete with data: processed_data_42"),
                                 event_fields(""), event_level(level::info))));
  scoped_default g(m);
  std::string processed = "processed_data_42";
  LUCID_INFO("Request complete with data: {}", processed);
}

TEST(Event, EveryLevel) {
  auto m = make_mock();
  InSequence seq;
  EXPECT_CALL(*m, on_event(event_level(level::trace)));
  EXPECT_CALL(*m, on_event(event_level(level::debug)));
  EXPECT_CALL(*m, on_event(event_level(level::info)));
  EXPECT_CALL(*m, on_event(event_level(level::warn)));
  EXPECT_CALL(*m, on_event(event_level(level::error)));
  EXPECT_CALL(*m, on_event(event_level(level::warn)));
  scoped_default g(m);
  LUCID_TRACE("t");
  LUCID_DEBUG("d");
  LUCID_INFO("i");
  LUCID_WARN("w");
  LUCID_ERROR("e {}", 1);
  LUCID_EVENT(level::warn, "generic {}", 2);
}

TEST(Event, TypedFieldsApartFromTheMessage) {
  auto m = make_mock();
  EXPECT_CALL(*m, on_event(AllOf(event_message("login 3 ms"),
                                 event_fields("id=42 ok=true ratio=0.5 user=\"bob\""))))
      .WillOnce([](const event& e) {
        ASSERT_EQ(e.fields.size(), 4u);
        EXPECT_EQ(e.fields[0].val.kind, value_kind::i64);
        EXPECT_EQ(e.fields[1].val.kind, value_kind::boolean);
        EXPECT_EQ(e.fields[2].val.kind, value_kind::f64);
        EXPECT_EQ(e.fields[3].val.kind, value_kind::str);
      });
  scoped_default g(m);
  std::string user = "bob";
  LUCID_INFO_F(("id", 42), ("ok", true), ("ratio", 0.5), ("user", user))("login {} ms", 3);
}

TEST(Event, AllFieldMacros) {
  auto m = make_mock();
  EXPECT_CALL(*m, on_event(event_fields("a=1"))).Times(5);
  scoped_default g(m);
  LUCID_TRACE_F(("a", 1))("x");
  LUCID_DEBUG_F(("a", 1))("x");
  LUCID_INFO_F(("a", 1))("x");
  LUCID_WARN_F(("a", 1))("x");
  LUCID_ERROR_F(("a", 1))("x");
}

TEST(Event, SixteenFields) {
  auto m = make_mock();
  EXPECT_CALL(*m, on_event(_)).WillOnce([](const event& e) { EXPECT_EQ(e.fields.size(), 16u); });
  scoped_default g(m);
  LUCID_INFO_F(("a", 1), ("b", 2), ("c", 3), ("d", 4), ("e", 5), ("f", 6), ("g", 7), ("h", 8),
               ("i", 9), ("j", 10), ("k", 11), ("l", 12), ("m", 13), ("n", 14), ("o", 15),
               ("p", 16))
  ("many");
}

TEST(Event, TargetFromTheTranslationUnitOrExplicit) {
  auto m = make_mock();
  InSequence seq;
  EXPECT_CALL(*m, on_event(event_target("tests.event")));
  EXPECT_CALL(*m, on_event(event_target("db.pool")));
  scoped_default g(m);
  LUCID_INFO("default target");
  LUCID_EVENT_AT("db.pool", level::info)("explicit target");
}

TEST(Event, DanglingElseIsSafe) {
  auto m = make_mock();
  EXPECT_CALL(*m, on_event(event_message("else branch")));
  scoped_default g(m);
  bool cond = false;
  if (cond)
    LUCID_INFO("then branch");
  else
    LUCID_INFO("else branch");
}

TEST(Event, CarriesTheTaskId) {
  auto m = make_mock();
  std::uint64_t seen = 1;
  EXPECT_CALL(*m, on_event(_)).WillRepeatedly([&](const event& e) { seen = e.task_id; });
  scoped_default g(m);
  LUCID_INFO("no task");
  EXPECT_EQ(seen, 0u);
  detail::set_task_id_provider([]() noexcept -> std::uint64_t { return 77; });
  LUCID_INFO("in task");
  EXPECT_EQ(seen, 77u);
  detail::set_task_id_provider(nullptr);
}

TEST(Event, ParentIsTheCurrentSpan) {
  auto m = make_mock();
  span_id id = 0;
  EXPECT_CALL(*m, new_span(_)).WillOnce([&](const span_attributes& a) {
    id = a.id;
    return nullptr;
  });
  EXPECT_CALL(*m, enter(_));
  EXPECT_CALL(*m, exit(_));
  EXPECT_CALL(*m, close(_));
  EXPECT_CALL(*m, on_event(event_parent(span_id{0}))).Times(2);
  scoped_default g(m);
  LUCID_INFO("outside");
  {
    auto s = LUCID_INFO_SPAN("s");
    EXPECT_CALL(*m, on_event(event_parent(id)));
    auto e = s.enter();
    LUCID_INFO("inside");
  }
  LUCID_INFO("outside again");
}

}  // namespace
}  // namespace lucid::trace
