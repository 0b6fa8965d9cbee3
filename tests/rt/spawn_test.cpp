// Tests of lucid/rt/spawn.hpp: spawn (named and unnamed, from a task and from
// the runtime), current_task(), the parent id, yield_now, spawn_blocking.
// rt only: no sync or time.
#include "lucid/rt/spawn.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "lucid/rt/detail/inspect.hpp"
#include "lucid/rt/runtime.hpp"

namespace {

lucid::task<int> add(int a, int b) {
  co_await lucid::yield_now{};
  co_return a + b;
}

/// current_task() of the running task, with its name copied (the view is
/// valid only while the task lives).
struct seen {
  lucid::task_info info;
  std::string name;
};

lucid::task<seen> whoami() {
  auto i = lucid::current_task();
  EXPECT_TRUE(i.has_value());
  co_return seen{*i, std::string(i->name)};
}

TEST(Spawn, SpawnFromATaskRunsAndJoins) {
  for (auto make : {+[] { return lucid::runtime::current_thread(); },
                    +[] { return lucid::runtime::multi_thread(2); }}) {
    auto rt = make();
    EXPECT_EQ(rt.block_on([]() -> lucid::task<int> {
      auto h = lucid::spawn(add(1, 2));
      co_return co_await h;
    }()),
              3);
    EXPECT_EQ(rt.live_tasks(), 0u);
  }
}

TEST(Spawn, CurrentTaskKnowsItsNameAndSpawnSite) {
  auto rt = lucid::runtime::current_thread();
  const unsigned spawn_line = __LINE__ + 3;
  auto s = rt.block_on([]() -> lucid::task<std::pair<seen, lucid::task_id>> {
    auto self = lucid::current_task()->id;
    auto h = lucid::spawn("worker", whoami());
    co_return std::make_pair(co_await h, self);
  }());
  auto& info = s.first.info;
  EXPECT_EQ(s.first.name, "worker");
  EXPECT_NE(info.id, 0u);
  EXPECT_EQ(info.parent, s.second);  // the spawning task is the parent
  ASSERT_TRUE(info.spawn_site.known());
  EXPECT_NE(std::string(info.spawn_site.file).find("spawn_test.cpp"), std::string::npos);
  EXPECT_EQ(info.spawn_site.line, spawn_line);
  EXPECT_FALSE(lucid::current_task().has_value());  // not inside a task here
}

// The cell keeps an interned spawn site: tasks spawned from two sites in
// turn, from tasks on every worker, each report their own.
lucid::task<bool> spawn_from_two_sites() {
  auto a = lucid::spawn(whoami());
  const unsigned line_a = __LINE__ - 1;
  auto b = lucid::spawn(whoami());
  const unsigned line_b = __LINE__ - 1;
  seen sa = co_await a;
  seen sb = co_await b;
  co_return sa.info.spawn_site.line == line_a&& sb.info.spawn_site.line ==
      line_b&& std::string(sa.info.spawn_site.function) == "spawn_from_two_sites";
}

TEST(Spawn, TasksFromAlternatingSitesEachKeepTheirOwnSite) {
  for (auto make : {+[] { return lucid::runtime::current_thread(); },
                    +[] { return lucid::runtime::multi_thread(2); }}) {
    auto rt = make();
    int right = rt.block_on([]() -> lucid::task<int> {
      std::vector<lucid::join_handle<bool>> hs;
      for (int i = 0; i < 100; ++i)
        hs.push_back(lucid::spawn(spawn_from_two_sites()));
      int n = 0;
      for (auto& h : hs)
        n += co_await h ? 1 : 0;
      co_return n;
    }());
    EXPECT_EQ(right, 100);
  }
}

TEST(Spawn, UnnamedTaskHasAnEmptyName) {
  auto rt = lucid::runtime::current_thread();
  auto s = rt.block_on([]() -> lucid::task<seen> {
    auto h = lucid::spawn(whoami());
    co_return co_await h;
  }());
  EXPECT_EQ(s.name, "");
  EXPECT_NE(s.info.id, 0u);
}

TEST(Spawn, RuntimeSpawnFromOutsideHasNoParentAndKeepsItsName) {
  auto rt = lucid::runtime::multi_thread(2);
  auto h = rt.spawn("outside", whoami());
  const lucid::task_id id = h.id();
  auto s = rt.block_on(
      [](lucid::join_handle<seen> h) -> lucid::task<seen> { co_return co_await h; }(std::move(h)));
  EXPECT_EQ(s.name, "outside");
  EXPECT_EQ(s.info.id, id);
  EXPECT_EQ(s.info.parent, 0u);  // spawned by no task
  ASSERT_TRUE(s.info.spawn_site.known());
  EXPECT_NE(std::string(s.info.spawn_site.file).find("spawn_test.cpp"), std::string::npos);
}

TEST(Spawn, GrandchildrenKnowTheirParents) {
  auto rt = lucid::runtime::multi_thread(2);
  struct ids {
    lucid::task_id root, child, child_parent, grandchild_parent;
  };
  auto r = rt.block_on([]() -> lucid::task<ids> {
    ids out{};
    out.root = lucid::current_task()->id;
    auto child = lucid::spawn([]() -> lucid::task<std::pair<seen, seen>> {
      auto me = co_await whoami();
      auto g = lucid::spawn(whoami());
      co_return std::make_pair(me, co_await g);
    }());
    auto [c, g] = co_await child;
    out.child = c.info.id;
    out.child_parent = c.info.parent;
    out.grandchild_parent = g.info.parent;
    co_return out;
  }());
  EXPECT_EQ(r.child_parent, r.root);
  EXPECT_EQ(r.grandchild_parent, r.child);
}

TEST(Spawn, EveryTaskGetsItsOwnId) {
  auto rt = lucid::runtime::multi_thread(2);
  auto ids = rt.block_on([]() -> lucid::task<std::set<lucid::task_id>> {
    std::vector<lucid::join_handle<seen>> hs;
    for (int i = 0; i < 1000; ++i)
      hs.push_back(lucid::spawn(whoami()));
    std::set<lucid::task_id> out;
    for (auto& h : hs) {
      auto id = h.id();
      auto s = co_await h;
      EXPECT_EQ(s.info.id, id);  // the handle names the task it joins
      out.insert(s.info.id);
    }
    co_return out;
  }());
  EXPECT_EQ(ids.size(), 1000u);
  EXPECT_EQ(ids.count(0), 0u);
}

TEST(Spawn, YieldLetsTheOtherRunnableTasksRun) {
  // Two tasks on one thread, each yielding between steps: every step of one
  // is followed by a step of the other before it goes on.
  auto rt = lucid::runtime::current_thread();
  auto log = rt.block_on([]() -> lucid::task<std::string> {
    std::string log;
    auto step = [](std::string* log, char c) -> lucid::task<> {
      for (int i = 0; i < 5; ++i) {
        log->push_back(c);
        co_await lucid::yield_now{};
      }
    };
    auto a = lucid::spawn(step(&log, 'a'));
    auto b = lucid::spawn(step(&log, 'b'));
    co_await a;
    co_await b;
    co_return log;
  }());
  ASSERT_EQ(log.size(), 10u);
  for (std::size_t i = 1; i < log.size(); ++i)
    EXPECT_NE(log[i], log[i - 1]) << log;
}

TEST(Spawn, YieldResumesTheSameTask) {
  auto rt = lucid::runtime::multi_thread(2);
  auto same = rt.block_on([]() -> lucid::task<bool> {
    auto before = lucid::current_task()->id;
    for (int i = 0; i < 100; ++i)
      co_await lucid::yield_now{};
    co_return lucid::current_task()->id == before;
  }());
  EXPECT_TRUE(same);
}

TEST(Spawn, SpawnBlockingRunsOffTheWorkers) {
  auto rt = lucid::runtime::multi_thread(2);
  auto r = rt.block_on([]() -> lucid::task<std::pair<int, bool>> {
    auto self = std::this_thread::get_id();
    int v = co_await lucid::spawn_blocking([] { return 6 * 7; });
    // Named first: GCC 12 double-frees a capturing lambda passed by value in a co_await.
    auto elsewhere = [self] { return std::this_thread::get_id() != self; };
    bool other_thread = co_await lucid::spawn_blocking(elsewhere);
    co_return std::make_pair(v, other_thread);
  }());
  EXPECT_EQ(r.first, 42);
  EXPECT_TRUE(r.second);
}

TEST(Spawn, SpawnBlockingVoidAndMoveOnlyResults) {
  auto rt = lucid::runtime::current_thread();
  auto r = rt.block_on([]() -> lucid::task<int> {
    std::atomic<int> ran{0};
    auto* ranp = &ran;
    auto bump = [ranp] { ranp->fetch_add(1); };
    co_await lucid::spawn_blocking(bump);
    auto p = co_await lucid::spawn_blocking([] { return std::make_unique<int>(7); });
    co_return ran.load() * 10 + *p;
  }());
  EXPECT_EQ(r, 17);
}

TEST(Spawn, SpawnBlockingPropagatesExceptions) {
  auto rt = lucid::runtime::current_thread();
  auto what = rt.block_on([]() -> lucid::task<std::string> {
    try {
      co_await lucid::spawn_blocking([] { throw std::runtime_error("blocking failed"); });
    } catch (const std::runtime_error& e) {
      co_return e.what();
    }
    co_return "no exception";
  }());
  EXPECT_EQ(what, "blocking failed");
}

TEST(Spawn, ManySpawnBlockingCallsAllComplete) {
  auto rt = lucid::runtime::multi_thread(2);
  auto sum = rt.block_on([]() -> lucid::task<long> {
    std::vector<lucid::join_handle<int>> hs;
    for (int i = 0; i < 200; ++i) {
      hs.push_back(lucid::spawn([](int i) -> lucid::task<int> {
        auto echo = [i] { return i; };
        co_return co_await lucid::spawn_blocking(echo);
      }(i)));
    }
    long s = 0;
    for (auto& h : hs)
      s += co_await h;
    co_return s;
  }());
  EXPECT_EQ(sum, 199L * 200 / 2);
}

TEST(SpawnDeathTest, SpawnOutsideARuntime) {
  EXPECT_DEATH((void)lucid::spawn(add(1, 2)), "spawn called outside a lucid runtime");
}

TEST(SpawnDeathTest, SpawnBlockingOutsideARuntime) {
  EXPECT_DEATH((void)lucid::spawn_blocking([] { return 1; }), "outside a lucid runtime");
}

}  // namespace

namespace {

// What the stall detector's signal handler reads on a stalled worker
// (lucid/rt/detail/inspect.hpp): the polled task's identity, its name cut to
// what the fixed buffer holds, and nothing outside a poll.
lucid::detail::polled_task polled_now() {
  lucid::detail::polled_task t;
  EXPECT_TRUE(lucid::detail::current_polled_task(t));
  return t;
}
lucid::task<lucid::detail::polled_task> report_polled() {
  co_return polled_now();
}
lucid::task<lucid::detail::polled_task> spawn_polled(std::string name) {
  co_return co_await lucid::spawn(name, report_polled());
}

TEST(PolledTask, NamesTheTaskTheThreadPolls) {
  lucid::runtime rt = lucid::runtime::current_thread();
  const lucid::detail::polled_task t = rt.block_on(spawn_polled("stall-me"));
  EXPECT_NE(t.cell, nullptr);
  EXPECT_NE(t.id, 0u);
  EXPECT_STREQ(t.name, "stall-me");
  EXPECT_FALSE(t.name_cut);
  ASSERT_NE(t.spawn_site.file, nullptr);
  EXPECT_NE(std::string(t.spawn_site.file).find("spawn_test.cpp"), std::string::npos);

  const std::string long_name(100, 'n');
  const lucid::detail::polled_task cut = rt.block_on(spawn_polled(long_name));
  EXPECT_EQ(std::string(cut.name), std::string(63, 'n'));
  EXPECT_TRUE(cut.name_cut);
}

TEST(PolledTask, NoneOutsideAPoll) {
  lucid::detail::polled_task t;
  EXPECT_FALSE(lucid::detail::current_polled_task(t));
}

}  // namespace
