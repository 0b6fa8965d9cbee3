#include "lucid/rt/runtime.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "lucid/rt/spawn.hpp"

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

lucid::task<bool> abort_then_join(std::atomic<int>* destroyed) {
  std::atomic<bool> started{false};
  auto h = lucid::spawn(forever(destroyed, &started));
  while (!started.load())
    co_await lucid::yield_now{};
  h.abort();
  try {
    co_await h;
  } catch (const lucid::task_aborted&) {
    co_return true;
  }
  co_return false;
}

TEST(Runtime, AbortDestroysTheFrameAndJoinThrows) {
  for (auto make : {+[] { return lucid::runtime::current_thread(); },
                    +[] { return lucid::runtime::multi_thread(2); }}) {
    std::atomic<int> destroyed{0};
    auto rt = make();
    EXPECT_TRUE(rt.block_on(abort_then_join(&destroyed)));
    EXPECT_EQ(destroyed.load(), 1);
  }
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

TEST(Runtime, JoinRethrowsTheTaskException) {
  auto rt = lucid::runtime::multi_thread(2);
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

TEST(Runtime, BlockOnRethrows) {
  auto rt = lucid::runtime::current_thread();
  EXPECT_THROW(rt.block_on([]() -> lucid::task<> {
    throw std::runtime_error("root");
    co_return;
  }()),
               std::runtime_error);
}

TEST(Runtime, CurrentTaskKnowsItsNameAndSpawnSite) {
  auto rt = lucid::runtime::current_thread();
  struct seen {
    lucid::task_info info;
    std::string name;
  };
  auto s = rt.block_on([]() -> lucid::task<seen> {
    auto h = lucid::spawn("worker", []() -> lucid::task<seen> {
      auto i = *lucid::current_task();
      co_return seen{i, std::string(i.name)};  // name is valid while the task lives
    }());
    co_return co_await h;
  }());
  auto& info = s.info;
  EXPECT_EQ(s.name, "worker");
  EXPECT_NE(info.id, 0u);
  EXPECT_NE(info.parent, 0u);
  ASSERT_TRUE(info.spawn_site.known());
  EXPECT_NE(std::string(info.spawn_site.file).find("runtime_test.cpp"), std::string::npos);
  EXPECT_FALSE(lucid::current_task().has_value());
}

TEST(Runtime, SpawnBlockingRunsOffTheWorkers) {
  auto rt = lucid::runtime::multi_thread(2);
  auto r = rt.block_on([]() -> lucid::task<std::pair<int, bool>> {
    auto self = std::this_thread::get_id();
    int v = co_await lucid::spawn_blocking([] { return 6 * 7; });
    bool other_thread =
        co_await lucid::spawn_blocking([self] { return std::this_thread::get_id() != self; });
    co_return std::make_pair(v, other_thread);
  }());
  EXPECT_EQ(r.first, 42);
  EXPECT_TRUE(r.second);
}

TEST(Runtime, SpawnBlockingPropagatesExceptions) {
  auto rt = lucid::runtime::current_thread();
  EXPECT_THROW(rt.block_on([]() -> lucid::task<> {
    co_await lucid::spawn_blocking([] { throw std::runtime_error("blocking failed"); });
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

TEST(RuntimeDeathTest, SpawnOutsideARuntime) {
  EXPECT_DEATH((void)lucid::spawn(add(1, 2)), "spawn called outside a lucid runtime");
}

}  // namespace

namespace {

struct flag_on_destroy {
  std::atomic<bool>* f;
  explicit flag_on_destroy(std::atomic<bool>* p) : f(p) {}
  flag_on_destroy(flag_on_destroy&& o) noexcept : f(std::exchange(o.f, nullptr)) {}
  ~flag_on_destroy() {
    if (f) f->store(true);
  }
};

lucid::task<int> holds_parameter(flag_on_destroy p) {
  (void)p;
  co_await lucid::yield_now{};
  co_return 9;
}

TEST(Runtime, AFinishedTaskReleasesWhatItOwnedBeforeItIsJoined) {
  auto rt = lucid::runtime::multi_thread(2);
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

}  // namespace
