// Tests of spawn_local (lucid/rt/spawn.hpp), thread_bound and local_rc
// (lucid/rt/thread_bound.hpp), and the spawn(fn, args...) form: local tasks
// run, join and abort on both flavours, and are never seen on another worker
// under a stealing workload with wake-ups from other workers and from
// outside the runtime. rt only: no sync or time.
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "lucid/rt/runtime.hpp"
#include "lucid/rt/spawn.hpp"
#include "lucid/rt/thread_bound.hpp"

namespace {

lucid::runtime make_rt(bool multi) {
  return multi ? lucid::runtime::multi_thread(2) : lucid::runtime::current_thread();
}

lucid::task<int> add_later(int a, int b) {
  co_await lucid::yield_now{};
  co_return a + b;
}

lucid::task<void> spin_forever() {
  for (;;)
    co_await lucid::yield_now{};
}

class SpawnLocal : public ::testing::TestWithParam<bool> {};

TEST_P(SpawnLocal, RunsJoinsAndAborts) {
  auto rt = make_rt(GetParam());
  auto r = rt.block_on([]() -> lucid::task<int> {
    auto h = lucid::spawn_local(add_later(1, 2));
    auto named = lucid::spawn_local("named_local", add_later(3, 4));
    auto forever = lucid::spawn_local(spin_forever());
    co_await lucid::yield_now{};
    forever.abort();
    bool aborted = false;
    try {
      co_await forever;
    } catch (const lucid::task_aborted&) {
      aborted = true;
    }
    EXPECT_TRUE(aborted);
    co_return co_await h + co_await named;
  }());
  EXPECT_EQ(r, 10);
  EXPECT_EQ(rt.live_tasks(), 0u);
}

TEST_P(SpawnLocal, LocalRcSharedBetweenLocalTasks) {
  auto rt = make_rt(GetParam());
  auto r = rt.block_on([]() -> lucid::task<int> {
    co_return co_await lucid::spawn_local([]() -> lucid::task<int> {
      auto counter = lucid::local_rc<int>::make(0);
      std::vector<lucid::join_handle<void>> hs;
      for (int i = 0; i < 8; ++i) {
        hs.push_back(lucid::spawn_local([](lucid::local_rc<int> c) -> lucid::task<void> {
          for (int k = 0; k < 10; ++k) {
            ++c.get();
            co_await lucid::yield_now{};
          }
        }(counter)));
      }
      for (auto& h : hs)
        co_await std::move(h);
      EXPECT_EQ(counter.use_count(), 1u);
      co_return *counter;
    }());
  }());
  EXPECT_EQ(r, 80);
}

TEST_P(SpawnLocal, DroppedRuntimeDestroysLocalTasksHoldingThreadBoundValues) {
  std::atomic<bool> started{false};
  {
    auto rt = make_rt(GetParam());
    rt.block_on([](std::atomic<bool>* s) -> lucid::task<void> {
      (void)lucid::spawn_local([](std::atomic<bool>* s) -> lucid::task<void> {
        lucid::thread_bound<std::string> v(std::string("held"));
        s->store(true);
        co_await spin_forever();
      }(s));
      while (!s->load())
        co_await lucid::yield_now{};
    }(&started));
  }  // shutdown destroys the local task's frame on this thread: no report
  EXPECT_TRUE(started.load());
}

INSTANTIATE_TEST_SUITE_P(Flavours, SpawnLocal, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "multi" : "current"; });

/// Where each kind of task ran.
struct sightings {
  std::mutex mu;
  std::set<std::thread::id> ordinary;
  int local_moves = 0;
  int local_polls = 0;
};

lucid::task<int> busy(sightings* s, int n) {
  int x = 0;
  for (int i = 0; i < n; ++i) {
    {
      std::lock_guard l(s->mu);
      s->ordinary.insert(std::this_thread::get_id());
    }
    for (int k = 0; k < 2000; ++k)
      x += k ^ i;
    co_await lucid::yield_now{};
  }
  co_return x;
}

lucid::task<void> local_watcher(sightings* s, int rounds) {
  const std::thread::id home = std::this_thread::get_id();
  lucid::thread_bound<int> mine(0);  // would be caught at a move, in checked builds
  auto note = [&] {
    std::lock_guard l(s->mu);
    ++s->local_polls;
    if (std::this_thread::get_id() != home) ++s->local_moves;
  };
  for (int i = 0; i < rounds; ++i) {
    note();
    ++mine.get();
    switch (i % 3) {
      case 0:
        co_await lucid::yield_now{};  // deferred, then re-queued on this worker
        break;
      case 1: {
        // Woken from another worker (or this one): the joined task may be stolen.
        auto h = lucid::spawn(busy(s, 2));
        (void)co_await h;
        break;
      }
      default:
        // Woken from outside the runtime (a blocking-pool thread).
        co_await lucid::spawn_blocking([] {});
        break;
    }
  }
  note();
  EXPECT_EQ(mine.get(), rounds);
}

TEST(SpawnLocalStealing, LocalTasksNeverRunOnAnotherWorker) {
  auto rt = lucid::runtime::multi_thread(4);
  sightings s;
  rt.block_on([](sightings* s) -> lucid::task<void> {
    std::vector<lucid::join_handle<void>> spawners;
    for (int t = 0; t < 4; ++t) {
      spawners.push_back(lucid::spawn([](sightings* s) -> lucid::task<void> {
        // Many ordinary tasks pushed on this worker's queue: the others steal.
        std::vector<lucid::join_handle<int>> work;
        for (int i = 0; i < 64; ++i)
          work.push_back(lucid::spawn(busy(s, 20)));
        std::vector<lucid::join_handle<void>> locals;
        for (int i = 0; i < 8; ++i)
          locals.push_back(lucid::spawn_local(local_watcher(s, 30)));
        for (auto& h : locals)
          co_await std::move(h);
        for (auto& h : work)
          (void)co_await std::move(h);
      }(s)));
    }
    for (auto& h : spawners)
      co_await std::move(h);
  }(&s));
  EXPECT_EQ(s.local_moves, 0);
  EXPECT_EQ(s.local_polls, 4 * 8 * 31);
  EXPECT_GE(s.ordinary.size(), 2u) << "the workload did not make the workers steal";
  EXPECT_EQ(rt.live_tasks(), 0u);
}

// ---- spawn(fn, args...)

lucid::task<std::size_t> length_of(const std::string& s) {
  co_await lucid::yield_now{};
  co_return s.size();  // the task's own copy: the caller's string is gone
}

lucid::task<int> sum_of(std::unique_ptr<int> a, int b) {
  co_await lucid::yield_now{};
  co_return *a + b;
}

TEST(SpawnFn, ArgumentsAreOwnedByTheTask) {
  auto rt = lucid::runtime::multi_thread(2);
  auto r = rt.block_on([]() -> lucid::task<std::size_t> {
    lucid::join_handle<std::size_t> h;
    {
      std::string temp = "twelve chars";
      h = lucid::spawn(length_of, temp);  // copied into the task
    }
    auto h2 = lucid::spawn(sum_of, std::make_unique<int>(40), 2);
    auto prefix = std::make_shared<std::string>("n=");
    auto h3 = lucid::spawn(
        [prefix](int n) -> lucid::task<std::string> {  // the lambda lives in the task
          co_await lucid::yield_now{};
          co_return *prefix + std::to_string(n);
        },
        7);
    EXPECT_EQ(co_await h3, "n=7");
    co_return co_await h + static_cast<std::size_t>(co_await h2);
  }());
  EXPECT_EQ(r, 12u + 42u);
}

#if !LUCID_CHECK_THREADS
static_assert(sizeof(lucid::thread_bound<int>) == sizeof(int));
static_assert(sizeof(lucid::local_rc<int>) == sizeof(void*));
#endif

}  // namespace
