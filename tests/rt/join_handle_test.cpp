// Tests of lucid/rt/join_handle.hpp: the value, the exception rethrown, abort
// before/while/after the task runs (task_aborted), is_finished, id, detach and
// a moved-from handle. rt only: no sync or time.
#include "lucid/rt/join_handle.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>

#include "lucid/rt/runtime.hpp"
#include "lucid/rt/spawn.hpp"
#include "rt_test_helpers.hpp"

namespace {

using rt_test::joins_aborted;
using rt_test::kFlavours;
using rt_test::make_current;
using rt_test::make_multi;

/// Sets *flag when destroyed (a frame going away takes it with it).
struct flag_on_destroy {
  std::atomic<bool>* f;
  explicit flag_on_destroy(std::atomic<bool>* p) : f(p) {}
  flag_on_destroy(flag_on_destroy&& o) noexcept : f(std::exchange(o.f, nullptr)) {}
  ~flag_on_destroy() {
    if (f) f->store(true);
  }
};

/// Yields until *go is set; marks *started first. Returns `v`.
lucid::task<int> gated(std::atomic<bool>* go, std::atomic<bool>* started, int v) {
  started->store(true);
  while (!go->load())
    co_await lucid::yield_now{};
  co_return v;
}

TEST(JoinHandle, GivesTheValue) {
  for (auto make : kFlavours) {
    auto rt = make();
    auto v = rt.block_on([]() -> lucid::task<std::string> {
      auto h = lucid::spawn([]() -> lucid::task<std::string> {
        co_await lucid::yield_now{};
        co_return std::string(100, 'x');  // heap-allocated: ASan sees it freed once
      }());
      co_return co_await h;
    }());
    EXPECT_EQ(v, std::string(100, 'x'));
  }
}

TEST(JoinHandle, MoveOnlyValueAndVoid) {
  auto rt = make_multi();
  auto v = rt.block_on([]() -> lucid::task<int> {
    auto p = lucid::spawn([]() -> lucid::task<std::unique_ptr<int>> {
      co_await lucid::yield_now{};
      co_return std::make_unique<int>(5);
    }());
    auto n = lucid::spawn([]() -> lucid::task<> { co_await lucid::yield_now{}; }());
    co_await n;
    co_return *co_await p;
  }());
  EXPECT_EQ(v, 5);
}

TEST(JoinHandle, RethrowsTheTaskException) {
  for (auto make : kFlavours) {
    auto rt = make();
    auto r = rt.block_on([]() -> lucid::task<std::string> {
      auto h = lucid::spawn([]() -> lucid::task<int> {
        co_await lucid::yield_now{};
        throw std::logic_error("inner failure");
      }());
      try {
        co_await h;
      } catch (const std::logic_error& e) {
        co_return e.what();
      }
      co_return "no exception";
    }());
    EXPECT_EQ(r, "inner failure");
  }
}

TEST(JoinHandle, AbortBeforeTheTaskRanNeverRunsItsBody) {
  // current_thread: the spawned task cannot run before this task suspends.
  auto rt = make_current();
  std::atomic<bool> ran{false};
  std::atomic<bool> destroyed{false};
  auto aborted = rt.block_on([](std::atomic<bool>* ran, std::atomic<bool>* d) -> lucid::task<bool> {
    auto h = lucid::spawn([](std::atomic<bool>* ran, flag_on_destroy) -> lucid::task<int> {
      ran->store(true);
      co_return 1;
    }(ran, flag_on_destroy(d)));
    h.abort();
    co_return co_await joins_aborted(h);
  }(&ran, &destroyed));
  EXPECT_TRUE(aborted);
  EXPECT_FALSE(ran.load());
  EXPECT_TRUE(destroyed.load());  // the frame (and its parameter) is gone
  EXPECT_EQ(rt.live_tasks(), 0u);
}

TEST(JoinHandle, AbortWhileSuspendedDestroysTheFrame) {
  for (auto make : kFlavours) {
    auto rt = make();
    std::atomic<bool> destroyed{false};
    auto r = rt.block_on([](std::atomic<bool>* d) -> lucid::task<std::pair<bool, bool>> {
      std::atomic<bool> go{false}, started{false};
      auto h = lucid::spawn([](std::atomic<bool>* go, std::atomic<bool>* started,
                               flag_on_destroy) -> lucid::task<int> {
        co_return co_await gated(go, started, 1);
      }(&go, &started, flag_on_destroy(d)));
      while (!started.load())
        co_await lucid::yield_now{};
      bool finished_before = h.is_finished();
      h.abort();
      bool aborted = co_await joins_aborted(h);
      co_return std::make_pair(finished_before, aborted);
    }(&destroyed));
    EXPECT_FALSE(r.first);
    EXPECT_TRUE(r.second);
    EXPECT_TRUE(destroyed.load());
    EXPECT_EQ(rt.live_tasks(), 0u);
  }
}

TEST(JoinHandle, AbortAfterCompletionKeepsTheValue) {
  for (auto make : kFlavours) {
    auto rt = make();
    auto v = rt.block_on([]() -> lucid::task<int> {
      auto h = lucid::spawn([]() -> lucid::task<int> { co_return 11; }());
      while (!h.is_finished())
        co_await lucid::yield_now{};
      h.abort();  // too late: no effect
      h.abort();  // and idempotent
      co_return co_await h;
    }());
    EXPECT_EQ(v, 11);
  }
}

TEST(JoinHandle, AbortAfterAnExceptionStillRethrowsIt) {
  auto rt = make_multi();
  auto what = rt.block_on([]() -> lucid::task<std::string> {
    auto h = lucid::spawn([]() -> lucid::task<int> {
      throw std::runtime_error("failed first");
      co_return 0;
    }());
    while (!h.is_finished())
      co_await lucid::yield_now{};
    h.abort();
    try {
      co_await h;
    } catch (const lucid::task_aborted&) {
      co_return "aborted";
    } catch (const std::runtime_error& e) {
      co_return e.what();
    }
    co_return "no exception";
  }());
  EXPECT_EQ(what, "failed first");
}

lucid::task<int> holds_parameter(flag_on_destroy p) {
  (void)p;
  co_await lucid::yield_now{};
  co_return 9;
}

TEST(JoinHandle, AFinishedTaskReleasesWhatItOwnedBeforeItIsJoined) {
  auto rt = make_multi();
  auto r = rt.block_on([]() -> lucid::task<std::pair<bool, int>> {
    std::atomic<bool> released{false};
    auto h = lucid::spawn(holds_parameter(flag_on_destroy(&released)));
    while (!h.is_finished())
      co_await lucid::yield_now{};
    bool before_join = released.load();  // the parameter is gone, the value is kept
    int v = co_await h;
    co_return std::make_pair(before_join, v);
  }());
  EXPECT_TRUE(r.first);
  EXPECT_EQ(r.second, 9);
}

TEST(JoinHandle, IsFinishedFollowsTheTask) {
  for (auto make : kFlavours) {
    auto rt = make();
    rt.block_on([]() -> lucid::task<> {
      std::atomic<bool> go{false}, started{false};
      auto h = lucid::spawn(gated(&go, &started, 3));
      while (!started.load())
        co_await lucid::yield_now{};
      for (int i = 0; i < 10; ++i) {
        EXPECT_FALSE(h.is_finished());
        co_await lucid::yield_now{};
      }
      go.store(true);
      while (!h.is_finished())
        co_await lucid::yield_now{};
      EXPECT_TRUE(h.is_finished());
      EXPECT_EQ(co_await h, 3);
      EXPECT_TRUE(h.is_finished());  // still finished after the value was taken
    }());
  }
}

TEST(JoinHandle, IdNamesTheTask) {
  auto rt = make_multi();
  rt.block_on([]() -> lucid::task<> {
    auto self = []() -> lucid::task<lucid::task_id> { co_return lucid::current_task()->id; };
    auto a = lucid::spawn(self());
    auto b = lucid::spawn(self());
    auto ida = a.id();
    auto idb = b.id();
    EXPECT_NE(ida, 0u);
    EXPECT_NE(idb, 0u);
    EXPECT_NE(ida, idb);
    EXPECT_EQ(co_await a, ida);
    EXPECT_EQ(co_await b, idb);
    EXPECT_EQ(a.id(), ida);  // joining does not forget the id
  }());
}

TEST(JoinHandle, DefaultConstructedHandleIsEmpty) {
  lucid::join_handle<int> h;
  EXPECT_EQ(h.id(), 0u);
  EXPECT_FALSE(h.is_finished());
  h.abort();   // no-op
  h.detach();  // no-op
  EXPECT_EQ(h.id(), 0u);
}

TEST(JoinHandle, DetachedTaskRunsToCompletion) {
  for (auto make : kFlavours) {
    auto rt = make();
    std::atomic<int> done{0};
    rt.block_on([](lucid::runtime* rt, std::atomic<int>* done) -> lucid::task<> {
      for (int i = 0; i < 100; ++i) {
        auto h = lucid::spawn([](std::atomic<int>* done) -> lucid::task<> {
          co_await lucid::yield_now{};
          co_await lucid::yield_now{};
          done->fetch_add(1);
        }(done));
        EXPECT_NE(h.id(), 0u);
        h.detach();
        EXPECT_EQ(h.id(), 0u);  // the handle is empty now
        EXPECT_FALSE(h.is_finished());
      }
      // Only this task is left once the detached ones finished.
      while (rt->live_tasks() != 1)
        co_await lucid::yield_now{};
    }(&rt, &done));
    EXPECT_EQ(done.load(), 100);
    EXPECT_EQ(rt.live_tasks(), 0u);
  }
}

TEST(JoinHandle, DroppingTheHandleDetaches) {
  auto rt = make_multi();
  std::atomic<bool> go{false}, started{false}, finished{false};
  rt.block_on([](lucid::runtime* rt, std::atomic<bool>* go, std::atomic<bool>* started,
                 std::atomic<bool>* finished) -> lucid::task<> {
    {
      auto h = lucid::spawn([](std::atomic<bool>* go, std::atomic<bool>* started,
                               std::atomic<bool>* finished) -> lucid::task<> {
        co_await gated(go, started, 0);
        finished->store(true);
      }(go, started, finished));
    }  // the handle is gone; the task is not
    while (!started->load())
      co_await lucid::yield_now{};
    EXPECT_EQ(rt->live_tasks(), 2u);
    go->store(true);
    while (rt->live_tasks() != 1)
      co_await lucid::yield_now{};
  }(&rt, &go, &started, &finished));
  EXPECT_TRUE(finished.load());
}

// A task's value is moved out of its root frame when the frame finishes, and
// kept for the handle: it must be destroyed exactly once whether the handle
// takes it, drops it unread, or was gone before the task finished.
TEST(JoinHandle, TheValueIsDestroyedOnceWhetherTakenLeftOrDetached) {
  for (auto make : kFlavours) {
    std::atomic<int> destroyed{0};
    auto rt = make();
    rt.block_on([](lucid::runtime* rt, std::atomic<int>* destroyed) -> lucid::task<> {
      auto value = [](std::atomic<int>* d) -> lucid::task<rt_test::count_on_destroy> {
        co_await lucid::yield_now{};
        co_return rt_test::count_on_destroy(d);
      };
      {
        auto v = co_await lucid::spawn(value(destroyed));  // taken
        EXPECT_EQ(destroyed->load(), 0);
      }
      EXPECT_EQ(destroyed->load(), 1);
      {
        auto h = lucid::spawn(value(destroyed));  // finished, never read
        while (!h.is_finished())
          co_await lucid::yield_now{};
        EXPECT_EQ(destroyed->load(), 1);  // kept for the handle
      }
      EXPECT_EQ(destroyed->load(), 2);
      lucid::spawn(value(destroyed)).detach();  // no handle when it finishes
      while (rt->live_tasks() != 1)             // only this one
        co_await lucid::yield_now{};
    }(&rt, &destroyed));
    EXPECT_EQ(destroyed.load(), 3);
  }
}

TEST(JoinHandle, MovedFromHandleIsEmptyAndTheTargetJoins) {
  auto rt = make_multi();
  rt.block_on([]() -> lucid::task<> {
    auto a = lucid::spawn([]() -> lucid::task<int> {
      co_await lucid::yield_now{};
      co_return 21;
    }());
    const auto id = a.id();
    lucid::join_handle<int> b(std::move(a));
    EXPECT_EQ(a.id(), 0u);  // NOLINT(bugprone-use-after-move): the moved-from state is the point
    EXPECT_FALSE(a.is_finished());
    a.abort();  // no-op on an empty handle: must not abort b's task
    a.detach();
    EXPECT_EQ(b.id(), id);
    lucid::join_handle<int> c;
    c = std::move(b);
    EXPECT_EQ(b.id(), 0u);  // NOLINT(bugprone-use-after-move)
    EXPECT_EQ(c.id(), id);
    EXPECT_EQ(co_await c, 21);
  }());
}

TEST(JoinHandle, MoveAssignmentOverALiveHandleDetachesItsTask) {
  auto rt = make_multi();
  std::atomic<bool> first_done{false};
  rt.block_on([](lucid::runtime* rt, std::atomic<bool>* first_done) -> lucid::task<> {
    auto h = lucid::spawn([](std::atomic<bool>* d) -> lucid::task<int> {
      co_await lucid::yield_now{};
      d->store(true);
      co_return 1;
    }(first_done));
    h = lucid::spawn([]() -> lucid::task<int> { co_return 2; }());
    EXPECT_EQ(co_await h, 2);
    while (rt->live_tasks() != 1)
      co_await lucid::yield_now{};
  }(&rt, &first_done));
  EXPECT_TRUE(first_done.load());  // detached, not aborted
}

TEST(JoinHandle, AbortingTheJoiningTaskLeavesTheJoinedTaskRunning) {
  // Cancelling the task that awaits a handle deregisters its waker; the
  // awaited task keeps running (detached) and finishes later.
  for (auto make : kFlavours) {
    auto rt = make();
    std::atomic<bool> go{false}, started{false}, joiner_started{false};
    auto r = rt.block_on([](lucid::runtime* rt, std::atomic<bool>* go, std::atomic<bool>* started,
                            std::atomic<bool>* joiner_started) -> lucid::task<bool> {
      auto joiner = lucid::spawn([](std::atomic<bool>* go, std::atomic<bool>* started,
                                    std::atomic<bool>* joiner_started) -> lucid::task<int> {
        auto inner = lucid::spawn(gated(go, started, 4));
        joiner_started->store(true);
        co_return co_await inner;
      }(go, started, joiner_started));
      while (!joiner_started->load() || !started->load())
        co_await lucid::yield_now{};
      joiner.abort();
      bool aborted = co_await joins_aborted(joiner);
      go->store(true);  // the inner task finishes with nobody joining it
      while (rt->live_tasks() != 1)
        co_await lucid::yield_now{};
      co_return aborted;
    }(&rt, &go, &started, &joiner_started));
    EXPECT_TRUE(r);
    // ASan checks that the inner task's completion did not wake the freed joiner.
  }
}

lucid::task<int> throws_at_once() {
  throw std::runtime_error("gone before its runtime");
  co_return 0;
}
lucid::task<int> forty_two() {
  co_return 42;
}

// A handle may outlive its runtime (tokio allows it too). Dropping it is the
// panic's last chance to be observed, so it reports, and must not reach the
// destroyed runtime to apply its policy: under ASan that was a
// heap-use-after-free. A runtime built afterwards (often at the same
// address) must not take the old runtime's panic for its own and shut down.
TEST(JoinHandle, AHandleDroppedAfterItsRuntimeReportsThePanicAndLeavesOtherRuntimesAlone) {
  lucid::runtime_options opts = lucid::runtime_options::current_thread();
  opts.unobserved_panic = lucid::panic_policy::shutdown;
  lucid::join_handle<int> h;
  {
    lucid::runtime rt(opts);
    rt.block_on([](lucid::join_handle<int>* out) -> lucid::task<> {
      *out = lucid::spawn(throws_at_once());
      while (!out->is_finished())
        co_await lucid::yield_now{};
    }(&h));
  }
  lucid::runtime next(opts);
  ::testing::internal::CaptureStderr();
  h = {};
  std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("gone before its runtime"), std::string::npos) << err;
  EXPECT_EQ(next.block_on(forty_two()), 42);
}

TEST(JoinHandle, TaskAbortedIsARuntimeError) {
  lucid::task_aborted e;
  const std::runtime_error& base = e;
  EXPECT_STREQ(base.what(), "task was aborted");
}

}  // namespace
