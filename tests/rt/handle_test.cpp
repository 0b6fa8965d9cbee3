// lucid::runtime_handle: reaching the running runtime from code that is not a
// task, and from other threads.
#include "lucid/rt/handle.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>

#include "lucid/rt/run.hpp"
#include "lucid/rt/runtime.hpp"
#include "lucid/rt/spawn.hpp"

namespace {

lucid::task<int> twice(int v) {
  co_await lucid::yield_now{};
  co_return 2 * v;
}

// A synchronous callback (no co_await) that must start work on the runtime.
lucid::join_handle<int> on_event(int v) {
  return lucid::runtime_handle::current().spawn("on_event", twice(v));
}

lucid::task<int> calls_a_sync_callback() {
  lucid::join_handle<int> h = on_event(21);
  co_return co_await h;
}

TEST(RuntimeHandle, CurrentSpawnsOnTheRunningRuntime) {
  auto rt = lucid::runtime::current_thread();
  EXPECT_EQ(rt.block_on(calls_a_sync_callback()), 42);
  auto mt = lucid::runtime::multi_thread(2);
  EXPECT_EQ(mt.block_on(calls_a_sync_callback()), 42);
}

lucid::task<bool> same_runtime(lucid::runtime_handle outer) {
  co_return lucid::runtime_handle::current() == outer;
}

TEST(RuntimeHandle, CurrentIsTheRuntimeOfTheCallingTask) {
  auto a = lucid::runtime::multi_thread(1);
  auto b = lucid::runtime::current_thread();
  EXPECT_TRUE(a.block_on(same_runtime(a.handle())));
  EXPECT_FALSE(b.block_on(same_runtime(a.handle())));
}

TEST(RuntimeHandle, UsableFromAnotherThread) {
  auto rt = lucid::runtime::multi_thread(2);
  lucid::runtime_handle h = rt.handle();
  int from_thread = 0;
  std::thread t([h, &from_thread] {
    lucid::runtime_handle copy = h;  // cheap to copy
    from_thread = copy.block_on(twice(5));
  });
  t.join();
  EXPECT_EQ(from_thread, 10);
}

TEST(RuntimeHandle, SpawnBlockingThroughTheHandle) {
  auto rt = lucid::runtime::current_thread();
  lucid::runtime_handle h = rt.handle();
  auto main = [](lucid::runtime_handle h) -> lucid::task<std::string> {
    co_return co_await h.spawn_blocking([] { return std::string("blocking"); });
  };
  EXPECT_EQ(rt.block_on(main(h)), "blocking");
}

lucid::task<bool> await_aborted(lucid::join_handle<int> h) {
  try {
    (void)co_await h;
  } catch (const lucid::task_aborted&) {
    co_return true;
  }
  co_return false;
}

TEST(RuntimeHandle, SpawnAfterTheRuntimeIsGoneNeverRuns) {
  std::optional<lucid::runtime> rt(lucid::runtime::multi_thread(1));
  lucid::runtime_handle h = rt->handle();
  rt.reset();
  std::atomic<bool> ran{false};
  auto body = [](std::atomic<bool>* ran) -> lucid::task<int> {
    ran->store(true);
    co_return 1;
  };
  lucid::join_handle<int> j = h.spawn(body(&ran));
  EXPECT_TRUE(j.is_finished());
  EXPECT_EQ(h.live_tasks(), 0u);
  auto other = lucid::runtime::current_thread();
  EXPECT_TRUE(other.block_on(await_aborted(std::move(j))));
  EXPECT_FALSE(ran.load());
}

// It used to stop the program (an assertion in the blocking pool); now it is
// the same outcome as a task spawned through the handle: task_aborted.
TEST(RuntimeHandle, SpawnBlockingAfterTheRuntimeIsGoneNeverRunsAndIsAborted) {
  std::optional<lucid::runtime> rt(lucid::runtime::multi_thread(1));
  lucid::runtime_handle h = rt->handle();
  rt.reset();
  std::atomic<bool> ran{false};
  auto other = lucid::runtime::current_thread();
  bool aborted =
      other.block_on([](lucid::runtime_handle h, std::atomic<bool>* ran) -> lucid::task<bool> {
        try {
          (void)co_await h.spawn_blocking([ran] {
            ran->store(true);
            return 1;
          });
        } catch (const lucid::task_aborted&) {
          co_return true;
        }
        co_return false;
      }(h, &ran));
  EXPECT_TRUE(aborted);
  EXPECT_FALSE(ran.load());
}

TEST(RuntimeHandle, LiveTasksCountsThroughTheHandle) {
  auto rt = lucid::runtime::current_thread();
  EXPECT_EQ(rt.handle().live_tasks(), 0u);
}

TEST(RuntimeOptions, OneExpressionChoosesTheFlavour) {
  auto main = []() -> lucid::task<int> { co_return lucid::current_task() ? 7 : 0; };
  EXPECT_EQ(lucid::run(main(), lucid::runtime_options::current_thread()), 7);
  EXPECT_EQ(lucid::run(main(), lucid::runtime_options::multi_thread(2)), 7);
  auto o = lucid::runtime_options::current_thread(true);
  EXPECT_EQ(o.kind, lucid::runtime_options::flavor::current_thread);
  EXPECT_TRUE(o.paused_clock);
  EXPECT_EQ(lucid::runtime_options::multi_thread(3).workers, 3u);
}

TEST(RuntimeHandleDeathTest, CurrentOutsideARuntimeNamesTheCallSite) {
  EXPECT_DEATH((void)lucid::runtime_handle::current(),
               "runtime_handle::current\\(\\) called outside a lucid runtime.*handle_test.cpp");
}

lucid::task<> blocks_on_its_own_worker(lucid::runtime_handle h) {
  h.block_on(twice(1));
  co_return;
}

TEST(RuntimeHandleDeathTest, BlockOnFromAWorkerNamesTheCallSite) {
  EXPECT_DEATH(
      {
        auto rt = lucid::runtime::multi_thread(1);
        rt.block_on(blocks_on_its_own_worker(rt.handle()));
      },
      "block_on called on a runtime worker thread at .*handle_test.cpp");
}

}  // namespace
