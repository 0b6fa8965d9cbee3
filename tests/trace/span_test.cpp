// Tests of lucid/trace/span.hpp against the mock subscriber: new span, enter,
// exit, close, record, follows_from, ids, copies, LUCID_INSTRUMENT.
#include "lucid/trace/span.hpp"

#include <gtest/gtest.h>

#include <set>
#include <thread>
#include <vector>

#include "mock_subscriber.hpp"

namespace lucid::trace {
namespace {

using ::testing::_;
using ::testing::AllOf;
using ::testing::InSequence;
using ::testing::Return;
using namespace testing;

TEST(Span, Lifecycle) {
  auto m = make_mock();
  int handle = 0;
  span_id id = 0;
  {
    InSequence seq;
    EXPECT_CALL(*m, new_span(AllOf(span_named("process_request"), span_fields("id=42"),
                                   span_parent(span_id{0}))))
        .WillOnce([&](const span_attributes& a) {
          id = a.id;
          return static_cast<void*>(&handle);
        });
    EXPECT_CALL(*m, enter(_)).WillOnce([&](span_ref r) {
      EXPECT_EQ(r.id, id);
      EXPECT_EQ(r.handle, &handle);
    });
    EXPECT_CALL(*m, on_event(event_message("Starting request processing")))
        .WillOnce([&](const event& e) { EXPECT_EQ(e.parent.id, id); });
    EXPECT_CALL(*m, exit(_)).WillOnce([&](span_ref r) { EXPECT_EQ(r.id, id); });
    EXPECT_CALL(*m, close(_)).WillOnce([&](span_ref r) { EXPECT_EQ(r.id, id); });
  }
  scoped_default g(m);
  {
    auto s = LUCID_INFO_SPAN("process_request", ("id", 42));
    EXPECT_NE(s.id(), 0u);
    auto e = s.enter();
    LUCID_INFO("Starting request processing");
  }
}

TEST(Span, RecordLaterAndFollowsFrom) {
  auto m = make_mock();
  EXPECT_CALL(*m, new_span(span_fields("id=1"))).Times(2).WillRepeatedly(Return(nullptr));
  EXPECT_CALL(*m, record(_, field_list("status=200")));
  EXPECT_CALL(*m, record_follows_from(_, _));
  EXPECT_CALL(*m, close(_)).Times(2);
  scoped_default g(m);
  auto a = LUCID_INFO_SPAN("a", ("id", 1), ("status", empty));
  auto b = LUCID_INFO_SPAN("b", ("id", 1));
  a.record("status", 200);
  b.follows_from(a);
}

TEST(Span, NestedSpansHaveTheEnteredParent) {
  auto m = make_mock();
  std::vector<span_id> ids;
  EXPECT_CALL(*m, new_span(_)).WillRepeatedly([&](const span_attributes& a) {
    ids.push_back(a.id);
    if (ids.size() == 2) {
      EXPECT_EQ(a.parent.id, ids[0]);
    }
    return nullptr;
  });
  EXPECT_CALL(*m, enter(_)).Times(1);
  EXPECT_CALL(*m, exit(_)).Times(1);
  EXPECT_CALL(*m, close(_)).Times(2);
  scoped_default g(m);
  auto outer = LUCID_INFO_SPAN("outer");
  auto e = outer.enter();
  auto inner = LUCID_DEBUG_SPAN("inner");
  ASSERT_EQ(ids.size(), 2u);
}

TEST(Span, CopiesShareTheSpan) {
  auto m = make_mock();
  InSequence seq;
  EXPECT_CALL(*m, new_span(_)).WillOnce(Return(nullptr));
  EXPECT_CALL(*m, clone_span(_));
  EXPECT_CALL(*m, close(_)).Times(2);
  scoped_default g(m);
  auto a = LUCID_INFO_SPAN("a");
  span b = a;  // NOLINT: copy on purpose
  EXPECT_EQ(a.id(), b.id());
  span c = std::move(b);
  EXPECT_TRUE(b.is_none());  // NOLINT: moved-from is none
  EXPECT_EQ(c.id(), a.id());
}

TEST(Span, DisabledSpanIsANoOp) {
  auto m = make_mock();
  EXPECT_CALL(*m, max_level_hint()).WillRepeatedly(Return(level_filter::info));
  scoped_default g(m);
  int evaluated = 0;
  auto s = LUCID_DEBUG_SPAN("quiet", ("x", ++evaluated));
  EXPECT_TRUE(s.is_none());
  EXPECT_EQ(evaluated, 0);
  auto e = s.enter();
  s.record("x", 1);
  EXPECT_EQ(s.id(), 0u);
}

TEST(Span, IdsAreUniqueAcrossThreads) {
  auto rec = std::make_shared<recording_subscriber>();
  set_global_default(rec);
  std::vector<std::thread> ts;
  for (int t = 0; t < 2; ++t) {
    ts.emplace_back([] {
      for (int i = 0; i < 1500; ++i)
        auto s = LUCID_INFO_SPAN("s");
    });
  }
  for (auto& t : ts)
    t.join();
  std::set<span_id> ids(rec->span_ids.begin(), rec->span_ids.end());
  EXPECT_EQ(rec->span_ids.size(), 3000u);
  EXPECT_EQ(ids.size(), 3000u);
  EXPECT_EQ(ids.count(0), 0u);
}

TEST(Span, OutOfOrderExit) {
  auto m = make_mock();
  EXPECT_CALL(*m, new_span(_)).WillRepeatedly(Return(nullptr));
  EXPECT_CALL(*m, enter(_)).Times(2);
  EXPECT_CALL(*m, exit(_)).Times(2);
  EXPECT_CALL(*m, clone_span(_));  // span::current()
  EXPECT_CALL(*m, close(_)).Times(3);
  scoped_default g(m);
  auto a = LUCID_INFO_SPAN("a");
  auto b = LUCID_INFO_SPAN("b");
  auto ea = a.enter();
  auto eb = b.enter();
  ea.exit();  // a leaves first; b stays current
  EXPECT_EQ(span::current().id(), b.id());
}

void instrumented(int id, span_id* seen) {
  LUCID_INSTRUMENT(("id", id), ("kind", "unit"));
  *seen = span::current().id();
}

TEST(Span, InstrumentNamesTheSpanAfterTheFunction) {
  auto m = make_mock();
  span_id id = 0;
  {
    InSequence seq;
    EXPECT_CALL(*m, new_span(AllOf(span_named("instrumented"), span_fields("id=7 kind=\"unit\""))))
        .WillOnce([&](const span_attributes& a) {
          id = a.id;
          return nullptr;
        });
    EXPECT_CALL(*m, enter(_));
    EXPECT_CALL(*m, clone_span(_));  // span::current()
    EXPECT_CALL(*m, close(_));       // ... and its handle
    EXPECT_CALL(*m, exit(_));
    EXPECT_CALL(*m, close(_));
  }
  scoped_default g(m);
  span_id seen = 0;
  instrumented(7, &seen);
  EXPECT_EQ(seen, id);
  EXPECT_EQ(span::current().id(), 0u);
}

TEST(Span, InScope) {
  auto m = make_mock();
  EXPECT_CALL(*m, new_span(_)).WillOnce(Return(nullptr));
  EXPECT_CALL(*m, enter(_));
  EXPECT_CALL(*m, exit(_));
  EXPECT_CALL(*m, close(_));
  scoped_default g(m);
  auto s = LUCID_WARN_SPAN("w");
  EXPECT_EQ(s.in_scope([] { return 5; }), 5);
}

}  // namespace
}  // namespace lucid::trace
