#include "lucid/rt/task.hpp"

#include <gtest/gtest.h>

#include <exception>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>

#include "lucid/rt/runtime.hpp"
#include "lucid/rt/spawn.hpp"

namespace {

lucid::task<int> value(int v) {
  co_return v;
}

lucid::task<long> sum_sync(int n) {
  long s = 0;
  for (int i = 0; i < n; ++i)
    s += co_await value(1);
  co_return s;
}

// promise_base packs a frame's bookkeeping into four words (strand.hpp):
// what a task dump or a backtrace reads back must be what was recorded.
TEST(PromiseBase, KeepsTheSiteTheStrandAndTheFlagsInFourWords) {
  static_assert(sizeof(lucid::detail::promise_base) == 32);
  lucid::detail::promise_base p;
  lucid::detail::strand s;
  p.set_strand(&s);
  p.set_inline(true);
  p.set_function("serve");
  p.set_site(__FILE__, 4242);
  EXPECT_EQ(p.strand(), &s);
  EXPECT_TRUE(p.is_inline());
  EXPECT_FALSE(p.done());
  p.set_done();
  p.set_inline(false);
  EXPECT_EQ(p.strand(), &s);  // the flags never leak into the pointer
  EXPECT_FALSE(p.is_inline());
  EXPECT_TRUE(p.done());
  EXPECT_STREQ(p.site_file(), __FILE__);
  EXPECT_EQ(p.site_line(), 4242u);
  EXPECT_STREQ(p.site_function(), "serve");
  p.set_site(__FILE__, 70000);  // past the 16 bits the line has
  EXPECT_EQ(p.site_line(), 65535u);
  EXPECT_STREQ(p.site_file(), __FILE__);
}

TEST(PromiseBase, AnExceptionTakesTheFunctionsWordAndIsReleasedWithTheFrame) {
  auto e = std::make_exception_ptr(std::runtime_error("boom"));
  {
    lucid::detail::promise_base p;
    p.set_function("serve");
    p.set_site(__FILE__, 10);
    EXPECT_FALSE(p.threw());
    p.set_exception(e);
    EXPECT_TRUE(p.threw());
    EXPECT_EQ(p.site_function(), nullptr);  // the word is the exception now
    EXPECT_STREQ(p.site_file(), __FILE__);
    EXPECT_THROW(p.rethrow_if_threw(), std::runtime_error);
    p.set_function("late");  // ignored: it would overwrite the exception
    EXPECT_EQ(p.exception(), e);
  }
  // p's copy is gone with it: e is the only owner left.
  try {
    std::rethrow_exception(e);
  } catch (const std::runtime_error& x) {
    EXPECT_STREQ(x.what(), "boom");
  }
}

TEST(Task, AMillionSynchronousAwaitsDoNotGrowTheStack) {
  auto rt = lucid::runtime::current_thread();
  EXPECT_EQ(rt.block_on(sum_sync(1'000'000)), 1'000'000);
}

lucid::task<int> nested(int depth) {
  if (depth == 0) co_return 0;
  co_return 1 + co_await nested(depth - 1);
}

TEST(Task, NestedAwaitsReturnThroughEveryLevel) {
  auto rt = lucid::runtime::current_thread();
  EXPECT_EQ(rt.block_on(nested(1000)), 1000);
}

lucid::task<long> sum_yielding(int n) {
  long s = 0;
  for (int i = 0; i < n; ++i) {
    s += co_await [](int v) -> lucid::task<int> {
      co_await lucid::yield_now{};
      co_return v;
    }(1);
  }
  co_return s;
}

TEST(Task, ChildrenThatSuspendResumeTheirParent) {
  auto rt = lucid::runtime::current_thread();
  EXPECT_EQ(rt.block_on(sum_yielding(100'000)), 100'000);
}

lucid::task<int> thrower() {
  co_await lucid::yield_now{};
  throw std::runtime_error("boom");
}

lucid::task<std::string> catcher() {
  try {
    co_await thrower();
  } catch (const std::runtime_error& e) {
    co_return e.what();
  }
  co_return "not thrown";
}

TEST(Task, ExceptionsPropagateToTheAwaiter) {
  auto rt = lucid::runtime::current_thread();
  EXPECT_EQ(rt.block_on(catcher()), "boom");
}

TEST(Task, LazyUntilAwaited) {
  bool ran = false;
  {
    auto t = [](bool* r) -> lucid::task<> {
      *r = true;
      co_return;
    }(&ran);
    EXPECT_FALSE(ran);
  }
  EXPECT_FALSE(ran);  // destroyed without running
}

TEST(Task, MoveOnlyResults) {
  auto rt = lucid::runtime::current_thread();
  auto p = rt.block_on(
      []() -> lucid::task<std::unique_ptr<int>> { co_return std::make_unique<int>(7); }());
  EXPECT_EQ(*p, 7);
}

}  // namespace

namespace {

/// An awaitable that knows nothing of lucid: it resumes the handle from a thread of its own.
struct resume_from_thread {
  std::thread* t;
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) {
    *t = std::thread([h] { h.resume(); });
  }
  int await_resume() const noexcept { return 5; }
};

TEST(Task, ForeignAwaitablesResumeOnAWorker) {
  for (auto make : {+[] { return lucid::runtime::current_thread(); },
                    +[] { return lucid::runtime::multi_thread(2); }}) {
    auto rt = make();
    std::thread t;
    auto r = rt.block_on([](std::thread* t) -> lucid::task<std::pair<int, bool>> {
      int v = co_await resume_from_thread{t};
      // The task resumed on a runtime thread, not the foreign one.
      bool on_runtime =
          lucid::current_task().has_value() && std::this_thread::get_id() != t->get_id();
      co_return std::make_pair(v, on_runtime);
    }(&t));
    t.join();
    EXPECT_EQ(r.first, 5);
    EXPECT_TRUE(r.second);
  }
}

}  // namespace

namespace {
struct alignas(16) wide {
  long double v;
};
template <class T>
lucid::task<T> make_value() {
  if constexpr (std::is_void_v<T>) {
    co_return;
  } else {
    co_return T{};
  }
}
template <class T>
void expect_handle_from_promise() {
  lucid::task<T> t = make_value<T>();
  auto h = t.handle();
  lucid::detail::promise_base& p = h.promise();
  EXPECT_EQ(p.handle().address(), h.address());
}
}  // namespace

TEST(Task, PromiseFindsItsFrameForEveryValueAlignment) {
  // promise_base::handle() derives the frame from the promise's address.
  expect_handle_from_promise<void>();
  expect_handle_from_promise<char>();
  expect_handle_from_promise<int>();
  expect_handle_from_promise<std::string>();
  expect_handle_from_promise<wide>();
}
