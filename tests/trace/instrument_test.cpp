// Tests of lucid/trace/instrument.hpp with a minimal lazy coroutine type and a
// hand-driven "runtime" that swaps the task's span stack around each resume.
#include "lucid/trace/instrument.hpp"

#include <gtest/gtest.h>

#include <coroutine>
#include <exception>
#include <string>
#include <utility>
#include <vector>

#include "lucid/trace/context.hpp"
#include "mock_subscriber.hpp"

namespace lucid::trace {
namespace {

using testing::recording_subscriber;

// A lazy coroutine that resumes its awaiter when done (symmetric transfer).
struct mini_task {
  struct promise_type {
    std::coroutine_handle<> cont;
    mini_task get_return_object() {
      return mini_task{std::coroutine_handle<promise_type>::from_promise(*this)};
    }
    std::suspend_always initial_suspend() noexcept { return {}; }
    struct final_awaiter {
      bool await_ready() noexcept { return false; }
      std::coroutine_handle<> await_suspend(std::coroutine_handle<promise_type> h) noexcept {
        auto c = h.promise().cont;
        return c ? c : std::noop_coroutine();
      }
      void await_resume() noexcept {}
    };
    final_awaiter final_suspend() noexcept { return {}; }
    void return_void() {}
    void unhandled_exception() { std::terminate(); }
  };
  explicit mini_task(std::coroutine_handle<promise_type> h) : h(h) {}
  mini_task(mini_task&& o) noexcept : h(std::exchange(o.h, {})) {}
  ~mini_task() {
    if (h) h.destroy();
  }
  auto operator co_await() && {
    struct awaiter {
      std::coroutine_handle<promise_type> h;
      bool await_ready() { return false; }
      std::coroutine_handle<> await_suspend(std::coroutine_handle<> c) {
        h.promise().cont = c;
        return h;
      }
      void await_resume() {}
    };
    return awaiter{h};
  }
  std::coroutine_handle<promise_type> h;
};

std::coroutine_handle<> g_parked;
struct park {
  bool await_ready() { return false; }
  void await_suspend(std::coroutine_handle<> h) { g_parked = h; }
  void await_resume() {}
};

mini_task child() {
  LUCID_INFO("in child");
  co_await park{};
  LUCID_INFO("child resumed");
}

mini_task parent(const span& s) {
  co_await instrument(child(), s);
  LUCID_INFO("after");
}

TEST(Instrument, SpanCoversTheAwaitedCoroutineOnlyAndFollowsTheTask) {
  auto rec = std::make_shared<recording_subscriber>();
  scoped_default g(rec);
  auto s = LUCID_INFO_SPAN("query_db", ("id", 42));
  detail::span_stack* task = detail::create_span_stack(false);
  mini_task t = parent(s);

  auto* prev = detail::exchange_current_stack(task);  // runtime: resume the task
  t.h.resume();
  detail::exchange_current_stack(prev);  // the task parked inside child
  LUCID_INFO("between polls");
  prev = detail::exchange_current_stack(task);
  g_parked.resume();
  detail::exchange_current_stack(prev);
  EXPECT_TRUE(t.h.done());

  ASSERT_EQ(rec->messages,
            (std::vector<std::string>{"in child", "between polls", "child resumed", "after"}));
  EXPECT_EQ(rec->parents, (std::vector<span_id>{s.id(), 0, s.id(), 0}));
  EXPECT_EQ(detail::stack_depth(task), 0u);
  detail::destroy_span_stack(task);
}

mini_task ready_await(const span& s, bool* inside) {
  co_await instrument(std::suspend_never{}, s);
  *inside = detail::current_span_id() != 0;
}

TEST(Instrument, ReadyAwaitableAndCancellation) {
  auto rec = std::make_shared<recording_subscriber>();
  scoped_default g(rec);
  auto s = LUCID_INFO_SPAN("ready");
  bool inside = true;
  {
    mini_task t = ready_await(s, &inside);
    t.h.resume();
    EXPECT_TRUE(t.h.done());
  }
  EXPECT_FALSE(inside);
  EXPECT_EQ(detail::current_span_id(), 0u);

  // Destroying a task parked inside an instrumented await pops the span.
  detail::span_stack* task = detail::create_span_stack(false);
  {
    mini_task t = parent(s);
    auto* prev = detail::exchange_current_stack(task);
    t.h.resume();
    detail::exchange_current_stack(prev);
    EXPECT_EQ(detail::stack_depth(task), 1u);
  }  // cancelled: frame destroyed while swapped out
  EXPECT_EQ(detail::stack_depth(task), 0u);
  detail::destroy_span_stack(task);
}

mini_task handle_request(int id) {
  LUCID_INSTRUMENT(("id", id));
  LUCID_INFO("start");
  co_await park{};  // the guard is held across the suspension
  LUCID_INFO("end");
}

TEST(Instrument, InstrumentMacroInACoroutineStaysWithItsTask) {
  auto rec = std::make_shared<recording_subscriber>();
  scoped_default g(rec);
  detail::span_stack* a = detail::create_span_stack(false);
  detail::span_stack* b = detail::create_span_stack(false);
  mini_task ta = handle_request(1);
  mini_task tb = handle_request(2);
  auto poll = [](detail::span_stack* st, std::coroutine_handle<> h) {
    auto* prev = detail::exchange_current_stack(st);
    h.resume();
    detail::exchange_current_stack(prev);
  };
  poll(a, ta.h);
  std::coroutine_handle<> pa = g_parked;
  poll(b, tb.h);
  std::coroutine_handle<> pb = g_parked;
  LUCID_INFO("thread");
  poll(b, pb);
  poll(a, pa);
  ASSERT_EQ(rec->span_ids.size(), 2u);
  span_id s1 = rec->span_ids[0], s2 = rec->span_ids[1];
  EXPECT_EQ(rec->messages, (std::vector<std::string>{"start", "start", "thread", "end", "end"}));
  EXPECT_EQ(rec->parents, (std::vector<span_id>{s1, s2, 0, s2, s1}));
  detail::destroy_span_stack(a);
  detail::destroy_span_stack(b);
}

TEST(Instrument, LvalueAwaiter) {
  auto rec = std::make_shared<recording_subscriber>();
  scoped_default g(rec);
  auto s = LUCID_INFO_SPAN("lv");
  std::suspend_never aw;
  auto i = instrument(aw, s);
  EXPECT_TRUE(i.await_ready());
  i.await_resume();
  EXPECT_EQ(i.get_span().id(), s.id());
}

}  // namespace
}  // namespace lucid::trace
