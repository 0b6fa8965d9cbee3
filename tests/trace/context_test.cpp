// Tests of lucid/trace/context.hpp: span stacks swapped by hand the way the
// runtime swaps them, two tasks interleaving on one thread, a task migrating
// to another thread, inherited parent spans, guards dropped while swapped out.
#include "lucid/trace/context.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <thread>
#include <vector>

#include "mock_subscriber.hpp"

namespace lucid::trace {
namespace {

using ::testing::_;
using ::testing::Return;
using namespace testing;
using detail::create_span_stack;
using detail::current_span_id;
using detail::destroy_span_stack;
using detail::exchange_current_stack;
using detail::span_stack;
using detail::stack_depth;

// Records enter/exit/event calls as "enter a", "exit a", "msg@parent".
struct journal {
  std::vector<std::string> log;
  std::map<span_id, std::string> names;
  std::string name(span_id id) { return id == 0 ? "-" : names[id]; }
};

std::shared_ptr<::testing::StrictMock<mock_subscriber>> journaled(journal& j) {
  auto m = make_mock();
  EXPECT_CALL(*m, new_span(_)).WillRepeatedly([&j](const span_attributes& a) {
    j.names[a.id] = a.meta->name;
    return nullptr;
  });
  EXPECT_CALL(*m, enter(_)).WillRepeatedly([&j](span_ref r) {
    j.log.push_back("enter " + j.name(r.id));
  });
  EXPECT_CALL(*m, exit(_)).WillRepeatedly([&j](span_ref r) {
    j.log.push_back("exit " + j.name(r.id));
  });
  EXPECT_CALL(*m, on_event(_)).WillRepeatedly([&j](const event& e) {
    j.log.push_back(message_of(e) + "@" + j.name(e.parent.id));
  });
  EXPECT_CALL(*m, clone_span(_)).WillRepeatedly(Return());
  EXPECT_CALL(*m, close(_)).WillRepeatedly(Return());
  return m;
}

TEST(Context, TwoTasksInterleaveOnOneThread) {
  journal j;
  auto m = journaled(j);
  scoped_default g(m);
  span_stack* task_a = create_span_stack(false);
  span_stack* task_b = create_span_stack(false);

  span sa, sb;
  entered ga, gb;
  // poll A: enters span a and suspends holding the guard (across a co_await)
  span_stack* prev = exchange_current_stack(task_a);
  sa = LUCID_INFO_SPAN("a");
  ga = sa.enter();
  LUCID_INFO("a1");
  EXPECT_EQ(exchange_current_stack(prev), task_a);
  // poll B on the same thread: must not see span a
  prev = exchange_current_stack(task_b);
  LUCID_INFO("b1");
  sb = LUCID_INFO_SPAN("b");
  gb = sb.enter();
  LUCID_INFO("b2");
  exchange_current_stack(prev);
  // the thread itself, between polls
  LUCID_INFO("t");
  EXPECT_EQ(current_span_id(), 0u);
  // poll A again: back inside a
  prev = exchange_current_stack(task_a);
  EXPECT_EQ(current_span_id(), sa.id());
  LUCID_INFO("a2");
  ga.exit();
  LUCID_INFO("a3");
  exchange_current_stack(prev);
  // poll B again
  prev = exchange_current_stack(task_b);
  LUCID_INFO("b3");
  gb.exit();
  exchange_current_stack(prev);

  std::vector<std::string> want = {
      "enter a", "a1@a",    "exit a",            // A's first poll
      "b1@-",    "enter b", "b2@b",   "exit b",  // B's first poll
      "t@-",                                     // thread
      "enter a", "a2@a",    "exit a", "a3@-",    // A resumes
      "enter b", "b3@b",    "exit b",            // B resumes
  };
  EXPECT_EQ(j.log, want);
  destroy_span_stack(task_a);
  destroy_span_stack(task_b);
}

TEST(Context, TaskMigratesToAnotherThread) {
  auto rec = std::make_shared<recording_subscriber>();
  set_global_default(rec);
  span_stack* task = create_span_stack(false);
  span s;
  entered g;
  std::thread([&] {
    span_stack* prev = exchange_current_stack(task);
    s = LUCID_INFO_SPAN("request");
    g = s.enter();
    LUCID_INFO("on worker 1");
    exchange_current_stack(prev);
  }).join();
  std::thread([&] {
    LUCID_INFO("worker 2 before");
    span_stack* prev = exchange_current_stack(task);
    LUCID_INFO("on worker 2");
    g.exit();
    exchange_current_stack(prev);
  }).join();
  LUCID_INFO("main");
  ASSERT_EQ(rec->messages.size(), 4u);
  EXPECT_EQ(rec->parents[0], s.id());
  EXPECT_EQ(rec->parents[1], 0u);
  EXPECT_EQ(rec->parents[2], s.id());
  EXPECT_EQ(rec->parents[3], 0u);
  destroy_span_stack(task);
}

TEST(Context, SpawnedTaskInheritsTheCurrentSpan) {
  journal j;
  auto m = journaled(j);
  span_id parent_seen = 0;
  scoped_default g(m);
  auto parent = LUCID_INFO_SPAN("spawner");
  auto pg = parent.enter();
  EXPECT_CALL(*m, clone_span(ref_id(parent.id())));
  span_stack* task = create_span_stack(true);
  EXPECT_EQ(stack_depth(task), 1u);
  pg.exit();
  span_stack* prev = exchange_current_stack(task);
  EXPECT_EQ(current_span_id(), parent.id());
  LUCID_INFO("in child task");
  EXPECT_CALL(*m, new_span(_)).WillOnce([&](const span_attributes& a) {
    parent_seen = a.parent.id;
    return nullptr;
  });
  { auto child = LUCID_INFO_SPAN("child"); }
  exchange_current_stack(prev);
  EXPECT_EQ(parent_seen, parent.id());
  EXPECT_CALL(*m, close(ref_id(parent.id()))).Times(2);  // the stack's handle, then `parent`
  destroy_span_stack(task);
  EXPECT_EQ(j.log.back(), "exit spawner");
}

TEST(Context, GuardDroppedWhileSwappedOutDoesNotNotify) {
  journal j;
  auto m = journaled(j);
  scoped_default g(m);
  span_stack* task = create_span_stack(false);
  span s;
  {
    entered guard;
    span_stack* prev = exchange_current_stack(task);
    s = LUCID_INFO_SPAN("cancelled");
    guard = s.enter();
    exchange_current_stack(prev);
    EXPECT_EQ(stack_depth(task), 1u);
    j.log.clear();
  }  // the task's frame is destroyed (cancellation) while its stack is not current
  EXPECT_TRUE(j.log.empty());
  EXPECT_EQ(stack_depth(task), 0u);
  destroy_span_stack(task);
}

TEST(Context, ExchangeWithEmptyStacksIsCheap) {
  span_stack* task = create_span_stack(false);
  span_stack* own = detail::current_stack();
  EXPECT_EQ(exchange_current_stack(task), own);
  EXPECT_EQ(detail::current_stack(), task);
  EXPECT_EQ(exchange_current_stack(nullptr), task);
  EXPECT_EQ(detail::current_stack(), own);
  EXPECT_EQ(exchange_current_stack(own), own);
  destroy_span_stack(task);
  destroy_span_stack(nullptr);
}

TEST(Context, TaskIdProvider) {
  EXPECT_EQ(detail::current_task_id(), 0u);
  detail::set_task_id_provider([]() noexcept -> std::uint64_t { return 9; });
  EXPECT_EQ(detail::current_task_id(), 9u);
  detail::set_task_id_provider(nullptr);
  EXPECT_EQ(detail::current_task_id(), 0u);
}

}  // namespace
}  // namespace lucid::trace
