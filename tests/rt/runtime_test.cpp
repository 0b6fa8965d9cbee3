#include "lucid/rt/runtime.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <coroutine>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <set>
#include <stdexcept>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "address_space.hpp"
#include "lucid/rt/spawn.hpp"
#include "rt_test_helpers.hpp"

namespace {

lucid::task<int> add(int a, int b) {
  co_await lucid::yield_now{};
  co_return a + b;
}

lucid::task<int> spawn_and_join() {
  auto h = lucid::spawn(add(1, 2));
  co_return co_await h;
}

TEST(Runtime, SpawnAndJoinCurrentThread) {
  auto rt = lucid::runtime::current_thread();
  EXPECT_EQ(rt.block_on(spawn_and_join()), 3);
}

TEST(Runtime, SpawnAndJoinMultiThread) {
  auto rt = lucid::runtime::multi_thread(2);
  EXPECT_EQ(rt.block_on(spawn_and_join()), 3);
}

lucid::task<long> many(int n) {
  std::vector<lucid::join_handle<int>> hs;
  for (int i = 0; i < n; ++i)
    hs.push_back(lucid::spawn(add(i, 1)));
  long s = 0;
  for (auto& h : hs)
    s += co_await h;
  co_return s;
}

TEST(Runtime, ManyTasksMultiThread) {
  auto rt = lucid::runtime::multi_thread(2);
  EXPECT_EQ(rt.block_on(many(10'000)), 10'000L * 9'999 / 2 + 10'000);
}

}  // namespace

namespace {

lucid::task<> forever(std::atomic<int>* destroyed, std::atomic<bool>* started = nullptr) {
  struct on_exit {
    std::atomic<int>* d;
    ~on_exit() { d->fetch_add(1); }
  } guard{destroyed};
  if (started) started->store(true);
  for (;;)
    co_await lucid::yield_now{};
}

TEST(Runtime, ShutdownDestroysPendingTasks) {
  std::atomic<int> destroyed{0};
  {
    auto rt = lucid::runtime::multi_thread(2);
    rt.block_on([](std::atomic<int>* d) -> lucid::task<> {
      std::atomic<bool> started[8] = {};
      for (int i = 0; i < 8; ++i)
        lucid::spawn(forever(d, &started[i])).detach();
      for (auto& s : started) {
        while (!s.load())
          co_await lucid::yield_now{};
      }
    }(&destroyed));
    EXPECT_EQ(destroyed.load(), 0);
  }
  EXPECT_EQ(destroyed.load(), 8);
}

using rt_test::count_on_destroy;  // counts the frames that held it
/// A wait nothing ends: the task stays suspended until shutdown destroys it.
/// (A lucid awaiter: a foreign one would be relayed, and the relay leak.)
struct never_resumed {
  bool await_ready() const noexcept { return false; }
  template <class P>
  void await_suspend(std::coroutine_handle<P>) const noexcept {}
  void await_resume() const noexcept {}
};
lucid::task<> short_lived(count_on_destroy) {
  co_await lucid::yield_now{};
}
lucid::task<> parked(count_on_destroy) {
  co_await never_resumed{};
}
lucid::task<> spawn_from_a_worker(std::atomic<int>* made, std::atomic<int>* ended) {
  for (int i = 0; i < 2000; ++i) {
    made->fetch_add(1);
    lucid::spawn(short_lived(count_on_destroy(ended))).detach();
    if (i % 10 == 0) {
      made->fetch_add(1);
      lucid::spawn(parked(count_on_destroy(ended))).detach();
    }
  }
  co_return;
}
lucid::task<> spawn_until_shutdown(std::atomic<int>* made, std::atomic<int>* ended) {
  for (;;) {
    made->fetch_add(1);
    lucid::spawn(short_lived(count_on_destroy(ended))).detach();
    co_await lucid::yield_now{};
  }
}

// The runtime's list of live tasks, which live_tasks() counts and shutdown
// walks, while four workers and an outside thread spawn into it and tasks
// finish on whichever worker ran them.
TEST(Runtime, EveryTaskIsListedWhileWorkersAndAnotherThreadSpawnAndFinishAtOnce) {
  std::atomic<int> made{0}, ended{0};
  {
    auto rt = lucid::runtime::multi_thread(4);
    lucid::runtime_handle h = rt.handle();
    const std::size_t before = rt.live_tasks();
    std::thread outside([&] {
      for (int i = 0; i < 50; ++i) {
        made.fetch_add(1);
        h.spawn(parked(count_on_destroy(&ended))).detach();
      }
    });
    rt.block_on([](std::atomic<int>* made, std::atomic<int>* ended) -> lucid::task<> {
      std::vector<lucid::join_handle<void>> spawners;
      for (int i = 0; i < 4; ++i)
        spawners.push_back(lucid::spawn(spawn_from_a_worker(made, ended)));
      for (auto& s : spawners)
        co_await s;
      while (ended->load() < 4 * 2000)  // the short ones: each ends after one yield
        co_await lucid::yield_now{};
    }(&made, &ended));
    outside.join();
    EXPECT_EQ(ended.load(), 4 * 2000);
    // 4 * 200 parked by the workers' spawners, 50 by the outside thread.
    EXPECT_EQ(rt.live_tasks(), before + 850);
    // Shutdown while four tasks keep spawning: every task is listed (and
    // destroyed by shutdown) or refused (and destroyed at once).
    rt.block_on([](std::atomic<int>* made, std::atomic<int>* ended) -> lucid::task<> {
      for (int i = 0; i < 4; ++i)
        lucid::spawn(spawn_until_shutdown(made, ended)).detach();
      while (made->load() < 10000)
        co_await lucid::yield_now{};
    }(&made, &ended));
  }
  EXPECT_GT(made.load(), 8850);
  EXPECT_EQ(ended.load(), made.load());
}

TEST(Runtime, BlockOnRethrows) {
  auto rt = lucid::runtime::current_thread();
  EXPECT_THROW(rt.block_on([]() -> lucid::task<> {
    throw std::runtime_error("root");
    co_return;
  }()),
               std::runtime_error);
}

TEST(Runtime, SpawnFromOutsideTheRuntime) {
  auto rt = lucid::runtime::multi_thread(2);
  auto h = rt.spawn(add(20, 22));
  EXPECT_EQ(rt.block_on([](lucid::join_handle<int> h) -> lucid::task<int> {
    co_return co_await h;
  }(std::move(h))),
            42);
}

TEST(Runtime, WorkIsSpreadAcrossWorkers) {
  // The tasks keep yielding until both workers have run one of them (or a
  // generous bound passes): on a loaded machine the second worker's thread
  // may not get a core for the first few milliseconds.
  auto rt = lucid::runtime::multi_thread(2);
  auto n = rt.block_on([]() -> lucid::task<std::size_t> {
    std::mutex m;
    std::set<std::thread::id> seen;
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    std::vector<lucid::join_handle<void>> hs;
    for (int i = 0; i < 2000; ++i) {
      hs.push_back(lucid::spawn([](std::mutex* m, std::set<std::thread::id>* s,
                                   std::chrono::steady_clock::time_point give_up) -> lucid::task<> {
        for (int k = 0;; ++k) {
          {
            std::lock_guard g(*m);
            s->insert(std::this_thread::get_id());
            if (k >= 20 && (s->size() >= 2 || std::chrono::steady_clock::now() > give_up)) {
              break;
            }
          }
          co_await lucid::yield_now{};
        }
      }(&m, &seen, give_up)));
    }
    for (auto& h : hs)
      co_await h;
    co_return seen.size();
  }());
  EXPECT_EQ(n, 2u);
}

TEST(RuntimeDeathTest, BlockOnInsideTheRuntimeNamesTheCallSite) {
  EXPECT_DEATH(
      {
        auto rt = lucid::runtime::current_thread();
        rt.block_on([](lucid::runtime* r) -> lucid::task<> {
          r->block_on(add(1, 2));  // misuse
          co_return;
        }(&rt));
      },
      "block_on called on a runtime worker thread at .*runtime_test.cpp:[0-9]+");
}

TEST(RuntimeDeathTest, DestroyingTheRuntimeFromItsOwnTaskIsAnError) {
  EXPECT_DEATH(
      {
        auto* rt = new lucid::runtime(lucid::runtime::multi_thread(1));
        rt->block_on([](lucid::runtime* r) -> lucid::task<> {
          delete r;
          co_return;
        }(rt));
      },
      "destroyed from inside one of its own tasks");
}

}  // namespace

namespace {

/// In a child: limits the address space, builds a runtime of 256 workers,
/// and exits 0 if that threw lucid's std::system_error.
// maybe_unused: the sanitizer presets skip the test that calls it.
[[noreturn, maybe_unused]] void start_256_workers_with_little_address_space() {
  // Room for a few 8 MiB thread stacks, not for 256.
  if (!rt_test::limit_address_space(64 * 1024 * 1024)) std::_Exit(4);
  try {
    lucid::runtime rt = lucid::runtime::multi_thread(256);
    std::_Exit(2);  // every thread started: the limit did not bite
  } catch (const std::system_error& e) {
    std::fprintf(stderr, "caught: %s\n", e.what());
    std::_Exit(std::strstr(e.what(), "lucid: could not start worker thread") ? 0 : 3);
  }
}

// Out of threads (ulimit -u, a cgroup's pid limit, address space): the
// runtime used to let std::thread's exception out with worker threads still
// running and joinable, which ended in std::terminate. Now it stops them and
// throws a std::system_error the caller can catch. Run in a child process
// (the address-space limit stays there); not under ASan/TSan, whose shadow
// memory needs the address space this limit takes away.
TEST(RuntimeDeathTest, AWorkerThatCannotStartIsAnErrorTheCallerCanCatch) {
#if defined(LUCID_SANITIZER_ADDRESS) || defined(LUCID_SANITIZER_THREAD)
  GTEST_SKIP() << "an address-space limit and sanitizer shadow memory do not mix";
#else
  EXPECT_EXIT(start_256_workers_with_little_address_space(), ::testing::ExitedWithCode(0),
              "caught: lucid: could not start worker thread [0-9]+ of 256");
#endif
}

}  // namespace
