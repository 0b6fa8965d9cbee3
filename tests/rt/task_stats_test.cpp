// Tests of lucid/rt/detail/task_stats.hpp and finished_tasks.hpp: polls
// counted exactly, busy and idle time, wakes by origin, wakers registered
// and released, the per-task and runtime-wide histograms, and the bounded
// store of finished tasks. rt only: the timer and the wake slot are built on
// rt's detail API (no sync or time).
#include "lucid/rt/detail/task_stats.hpp"

#include <gtest/gtest.h>

#include <unistd.h>
#include <chrono>
#include <cstdio>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "lucid/rt/detail/finished_tasks.hpp"
#include "lucid/rt/detail/timer.hpp"
#include "lucid/rt/detail/waker.hpp"
#include "lucid/rt/handle.hpp"
#include "lucid/rt/join_handle.hpp"
#include "lucid/rt/runtime.hpp"
#include "lucid/rt/spawn.hpp"
#include "lucid/rt/task.hpp"
#include "rt_test_helpers.hpp"

namespace {

namespace d = lucid::detail;
using namespace std::chrono_literals;
using lucid::wake_origin;

/// Stats on for the scope, the finished-task store emptied, defaults restored.
struct stats_on {
  stats_on() {
    d::finished_tasks::global().configure(60s, 10'000);
    d::finished_tasks::global().clear();
    d::set_task_stats_enabled(true);
  }
  ~stats_on() {
    d::set_task_stats_enabled(false);
    d::finished_tasks::global().clear();
  }
};

/// A one-shot event a task waits on; fire() wakes it from any thread.
struct wake_slot {
  std::mutex mu;
  d::waker w;
  bool set = false;

  void fire() {
    std::lock_guard g(mu);
    set = true;
    if (w) {
      w.released(this);
      w.wake();  // under mu: the awaiter cannot be gone (waker.hpp)
      w = d::waker();
    }
  }
  struct awaiter {
    wake_slot* s;
    bool await_ready() {
      std::lock_guard g(s->mu);
      return s->set;
    }
    template <class P>
    bool await_suspend(std::coroutine_handle<P> h) {
      std::lock_guard g(s->mu);
      if (s->set) return false;
      s->w = d::waker::of(h);
      s->w.registered(s);
      return true;
    }
    void await_resume() {}
  };
  awaiter wait() { return awaiter{this}; }
};

/// Sleeps on the runtime's timer queue (fired by the worker outside any task).
struct rt_sleep {
  d::timer_entry e;
  explicit rt_sleep(lucid::duration dur) { e.deadline = d::now() + dur; }
  ~rt_sleep() { d::cancel_timer(&e); }
  bool await_ready() const noexcept { return false; }
  template <class P>
  bool await_suspend(std::coroutine_handle<P> h) noexcept {
    e.w = d::waker::of(h);
    return d::register_timer(&e);
  }
  void await_resume() const noexcept {}
};

/// The finished record of task `id`, copied; id 0 when not kept.
d::finished_task find_finished(lucid::task_id id) {
  d::finished_task out;
  d::finished_tasks::global().for_each([&](const d::finished_task& r) {
    if (r.id == id) out = r;
  });
  return out;
}

template <class T>
std::shared_ptr<d::task_stats> stats_of(const lucid::join_handle<T>& h) {
  return d::task_stats_of(d::join_access::raw(h));
}

lucid::task<> join_void(lucid::join_handle<void> h) {
  co_await h;
}

lucid::task<int> yields(int n) {
  for (int i = 0; i < n; ++i)
    co_await lucid::yield_now{};
  co_return n;
}

TEST(TaskStats, OffByDefaultAndNoBlockWhenOff) {
  EXPECT_FALSE(d::task_stats_enabled());
  auto rt = lucid::runtime::current_thread();
  auto h = rt.spawn(yields(2));
  EXPECT_EQ(stats_of(h), nullptr);
  EXPECT_EQ(rt.block_on(rt_test::join(std::move(h))), 2);
}

TEST(TaskStats, PollsCountedExactlyAndHistogramsMatch) {
  stats_on on;
  for (auto make : rt_test::kFlavours) {
    auto rt = make();
    auto h = rt.spawn(yields(3));
    auto st = stats_of(h);
    ASSERT_NE(st, nullptr);
    lucid::task_id id = h.id();
    EXPECT_EQ(rt.block_on(rt_test::join(std::move(h))), 3);
    // 3 yields: 4 polls, each woken by the task itself.
    EXPECT_EQ(st->polls.load(), 4u);
    EXPECT_EQ(st->wakes_by(wake_origin::self), 3u);
    EXPECT_EQ(st->wakes_total(), 3u);
    EXPECT_EQ(st->poll_duration_ns.count(), 4u);
    EXPECT_EQ(st->poll_duration_ns.snapshot().count(), 4u);
    EXPECT_EQ(st->scheduled_latency_ns.count(), 4u);  // spawn queued it, then 3 re-queues
    EXPECT_NE(st->created_ns.load(), 0);
    EXPECT_GE(st->first_poll_ns.load(), st->created_ns.load());
    EXPECT_GE(st->completed_ns.load(), st->first_poll_ns.load());
    EXPECT_EQ(st->poll_started_ns.load(), 0);
    std::int64_t life = st->completed_ns.load() - st->created_ns.load();
    EXPECT_EQ(st->idle_ns(0) + st->busy_ns.load() + st->scheduled_ns.load(),
              static_cast<std::uint64_t>(life));
    auto rec = find_finished(id);
    EXPECT_EQ(rec.id, id);
    EXPECT_EQ(rec.outcome, lucid::task_outcome::value);
    EXPECT_EQ(rec.stats.get(), st.get());
  }
}

lucid::task<> busy_for(std::chrono::milliseconds d) {
  auto end = std::chrono::steady_clock::now() + d;
  while (std::chrono::steady_clock::now() < end) {
  }
  co_return;
}

TEST(TaskStats, BusyLoopShowsBusyTime) {
  stats_on on;
  auto rt = lucid::runtime::current_thread();
  auto h = rt.spawn(busy_for(20ms));
  auto st = stats_of(h);
  rt.block_on(join_void(std::move(h)));
  EXPECT_EQ(st->polls.load(), 1u);
  EXPECT_GE(st->busy_ns.load(), 20'000'000u);
  EXPECT_GE(st->poll_duration_ns.max(), 20'000'000u);
  EXPECT_GE(st->poll_duration_ns.percentile(50), 20'000'000u);  // one value: exact
}

lucid::task<> sleeper(lucid::duration dur) {
  co_await rt_sleep(dur);
}

TEST(TaskStats, SleepingTaskShowsIdleTimeAndARuntimeWake) {
  stats_on on;
  auto rt = lucid::runtime::current_thread();
  auto h = rt.spawn(sleeper(100ms));
  auto st = stats_of(h);
  rt.block_on(join_void(std::move(h)));
  EXPECT_EQ(st->polls.load(), 2u);
  EXPECT_EQ(st->wakes_by(wake_origin::runtime), 1u);  // the timer, fired outside any task
  EXPECT_EQ(st->wakes_total(), 1u);
  std::int64_t life = st->completed_ns.load() - st->created_ns.load();
  EXPECT_GE(life, 100'000'000);
  // Two trivial polls: nearly all of the 100 ms is idle (generous bound).
  EXPECT_GE(st->idle_ns(0), 50'000'000u);
}

lucid::task<> wait_on(wake_slot* s) {
  co_await s->wait();
}
lucid::task<> fire_slot(wake_slot* s) {
  s->fire();
  co_return;
}
/// Registers on its slot, then wakes itself through it: a self wake.
struct fire_then_wait {
  wake_slot* s;
  bool await_ready() { return false; }
  template <class P>
  bool await_suspend(std::coroutine_handle<P> h) {
    {
      std::lock_guard g(s->mu);
      s->w = d::waker::of(h);
      s->w.registered(s);
    }
    s->fire();
    return true;
  }
  void await_resume() {}
};
lucid::task<> fire_own_slot(wake_slot* s) {
  co_await fire_then_wait{s};
}

TEST(TaskStats, WakesByOriginAndWakers) {
  stats_on on;
  for (auto make : rt_test::kFlavours) {
    auto rt = make();
    // Another task wakes it.
    {
      wake_slot slot;
      auto h = rt.spawn(wait_on(&slot));
      auto st = stats_of(h);
      rt.block_on([](auto* slot_, auto st_, lucid::join_handle<void> h_) -> lucid::task<> {
        while (st_->wakers_registered.load() == 0)
          co_await lucid::yield_now{};
        co_await lucid::spawn(fire_slot(slot_));
        co_await h_;
      }(&slot, st, std::move(h)));
      EXPECT_EQ(st->wakes_by(wake_origin::other_task), 1u);
      EXPECT_EQ(st->wakes_total(), 1u);
      EXPECT_EQ(st->wakers_registered.load(), 1u);
      EXPECT_EQ(st->wakers_released.load(), 1u);
      EXPECT_EQ(st->polls.load(), 2u);
    }
    // A foreign thread wakes it.
    {
      wake_slot slot;
      auto h = rt.spawn(wait_on(&slot));
      auto st = stats_of(h);
      std::thread t([&] {
        while (st->wakers_registered.load() == 0)
          std::this_thread::yield();
        slot.fire();
      });
      rt.block_on(join_void(std::move(h)));
      t.join();
      EXPECT_EQ(st->wakes_by(wake_origin::external), 1u);
      EXPECT_EQ(st->wakes_total(), 1u);
      EXPECT_EQ(st->wakers_released.load(), 1u);
    }
    // It wakes itself.
    {
      wake_slot slot;
      auto h = rt.spawn(fire_own_slot(&slot));
      auto st = stats_of(h);
      rt.block_on(join_void(std::move(h)));
      EXPECT_EQ(st->wakes_by(wake_origin::self), 1u);
      EXPECT_EQ(st->wakes_total(), 1u);
      EXPECT_EQ(st->polls.load(), 2u);
    }
  }
}

lucid::task<> spawn_and_join(int n, int yields_each) {
  std::vector<lucid::join_handle<int>> hs;
  for (int i = 0; i < n; ++i)
    hs.push_back(lucid::spawn(yields(yields_each)));
  for (auto& h : hs)
    co_await h;
}

TEST(TaskStats, RuntimeHistogramsCountEveryPoll) {
  stats_on on;
  for (auto make : rt_test::kFlavours) {
    auto rt = make();
    d::scheduler* s = d::handle_access::get(rt.handle());
    std::shared_ptr<d::task_stats> root;
    rt.block_on([](std::shared_ptr<d::task_stats>* out) -> lucid::task<> {
      *out = d::current_task_stats();
      co_await spawn_and_join(10, 4);
    }(&root));
    ASSERT_NE(root, nullptr);
    auto snap = d::runtime_stats_snapshot(s);
    // 10 tasks of 5 polls each, plus the root's polls.
    std::uint64_t want = 10 * 5 + root->polls.load();
    EXPECT_EQ(snap.poll_duration_ns.count(), want);
    EXPECT_EQ(snap.scheduled_latency_ns.count(), want);
    EXPECT_GE(snap.threads, 1u);
    EXPECT_GE(d::runtime_stats_snapshot(nullptr).poll_duration_ns.count(), want);
  }
}

lucid::task<> throws_now() {
  throw std::runtime_error("boom");
  co_return;
}

TEST(TaskStats, FinishedOutcomesAreRecorded) {
  stats_on on;
  auto rt = lucid::runtime::current_thread();
  wake_slot never;
  auto a = rt.spawn(throws_now());
  auto b = rt.spawn("named", wait_on(&never));
  auto c = rt.spawn(yields(1));
  lucid::task_id ia = a.id(), ib = b.id(), ic = c.id();
  rt.block_on([](lucid::join_handle<void> a_, lucid::join_handle<void> b_,
                 lucid::join_handle<int> c_) -> lucid::task<> {
    co_await c_;
    try {
      co_await a_;
    } catch (const std::runtime_error&) {
    }
    b_.abort();
    co_await rt_test::joins_aborted(b_);
  }(std::move(a), std::move(b), std::move(c)));
  auto ra = find_finished(ia), rb = find_finished(ib), rc = find_finished(ic);
  EXPECT_EQ(ra.outcome, lucid::task_outcome::exception);
  EXPECT_EQ(rb.outcome, lucid::task_outcome::cancelled);
  EXPECT_EQ(rb.name, "named");
  EXPECT_EQ(rc.outcome, lucid::task_outcome::value);
  EXPECT_EQ(rc.stats->polls.load(), 2u);
  EXPECT_EQ(rb.stats->polls.load(), 1u);
}

/// Resident set size in bytes (/proc/self/statm).
std::size_t rss_bytes() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  unsigned long size = 0, resident = 0;
  if (std::fscanf(f, "%lu %lu", &size, &resident) != 2) resident = 0;
  std::fclose(f);
  return resident * static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
}

#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
constexpr int kManyTasks = 100'000;
#else
constexpr int kManyTasks = 1'000'000;
#endif

TEST(TaskStats, AMillionFinishedTasksStayWithinTheRetentionBound) {
  stats_on on;
  constexpr std::size_t kMax = 10'000;
  auto& store = d::finished_tasks::global();
  store.configure(60s, kMax);
  auto rt = lucid::runtime::current_thread();
  std::size_t rss_before = rss_bytes();
  std::vector<lucid::task_id> last_ids;
  rt.block_on([](std::vector<lucid::task_id>* last) -> lucid::task<> {
    constexpr int kBatch = 1000;
    for (int done = 0; done < kManyTasks; done += kBatch) {
      std::vector<lucid::join_handle<int>> hs;
      hs.reserve(kBatch);
      for (int i = 0; i < kBatch; ++i)
        hs.push_back(lucid::spawn(yields(1)));
      if (done + kBatch >= kManyTasks) {
        for (auto& h : hs)
          last->push_back(h.id());
      }
      for (auto& h : hs)
        co_await h;
    }
  }(&last_ids));
  std::size_t rss_after = rss_bytes();
  std::printf("%d tasks: RSS growth %zu KiB, store %zu records, %zu KiB accounted\n", kManyTasks,
              (rss_after - std::min(rss_after, rss_before)) >> 10, store.size(),
              store.accounted_bytes() >> 10);
  EXPECT_EQ(store.size(), kMax);
  // Unnamed tasks: kRecordBytes each (the root task's name adds a few bytes).
  EXPECT_LE(store.accounted_bytes(), kMax * d::finished_tasks::kRecordBytes + 4096);
  // Without the bound, a million records of ~1.4 KiB would be ~1.4 GB.
  // (Under ASan, freed memory sits in its 256 MiB quarantine: RSS then says
  // nothing about the store, and the accounted bytes above are the check.)
#if !defined(__SANITIZE_ADDRESS__)
  EXPECT_LT(rss_after - std::min(rss_after, rss_before), std::size_t{256} << 20);
#endif
  // The newest are kept, with their outcome and poll counts.
  for (lucid::task_id id : last_ids) {
    auto r = find_finished(id);
    ASSERT_EQ(r.id, id);
    EXPECT_EQ(r.outcome, lucid::task_outcome::value);
    EXPECT_EQ(r.stats->polls.load(), 2u);
  }
  // The oldest were dropped.
  lucid::task_id oldest = 0;
  store.for_each([&](const d::finished_task& r) {
    if (oldest == 0) oldest = r.id;
  });
  EXPECT_GT(oldest, last_ids.front() - kMax);
}

TEST(TaskHistogram, FirstValueInlineThenAHistogramReadAsOne) {
  d::task_histogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.heap_bytes(), 0u);
  h.record(5000);
  EXPECT_EQ(h.count(), 1u);
  EXPECT_EQ(h.heap_bytes(), 0u);  // one value: no histogram yet
  EXPECT_EQ(h.min(), 5000u);
  EXPECT_EQ(h.max(), 5000u);
  EXPECT_EQ(h.percentile(50), 5000u);
  h.record(100);
  h.record(1'000'000);
  EXPECT_EQ(h.heap_bytes(), sizeof(lucid::compact_histogram));
  auto s = h.snapshot();
  EXPECT_EQ(s.count(), 3u);
  EXPECT_EQ(s.sum(), 1'005'100u);
  EXPECT_EQ(s.min(), 100u);
  EXPECT_EQ(s.max(), 1'000'000u);
  lucid::histogram_snapshot ref;
  for (std::uint64_t v : {5000u, 100u, 1'000'000u})
    ref.record(v);
  for (std::size_t i = 0; i < lucid::histogram_snapshot::kBuckets; ++i)
    EXPECT_EQ(s.bucket_count(i), ref.bucket_count(i)) << i;
}

TEST(FinishedTasks, PrunedByAge) {
  d::finished_tasks store(std::chrono::milliseconds(1), 100);
  d::finished_task r;
  r.id = 1;
  r.completed_ns = d::stats_now_ns();
  store.push(r);
  std::this_thread::sleep_for(5ms);
  EXPECT_EQ(store.size(), 0u);
  EXPECT_EQ(store.accounted_bytes(), 0u);
}

TEST(FinishedTasks, PrunedByCountOldestFirst) {
  d::finished_tasks store(60s, 3);
  for (lucid::task_id i = 1; i <= 5; ++i) {
    d::finished_task r;
    r.id = i;
    r.name = "task";
    r.completed_ns = d::stats_now_ns();
    store.push(r);
  }
  std::vector<lucid::task_id> ids;
  store.for_each([&](const d::finished_task& r) { ids.push_back(r.id); });
  EXPECT_EQ(ids, (std::vector<lucid::task_id>{3, 4, 5}));
  EXPECT_GE(store.accounted_bytes(), 3 * d::finished_tasks::kRecordBytes);
}

TEST(FinishedTasks, ParsesRetention) {
  std::chrono::nanoseconds v{};
  EXPECT_TRUE(d::parse_retention("60", v));
  EXPECT_EQ(v, 60s);
  EXPECT_TRUE(d::parse_retention("500ms", v));
  EXPECT_EQ(v, 500ms);
  EXPECT_TRUE(d::parse_retention("2m", v));
  EXPECT_EQ(v, 120s);
  EXPECT_TRUE(d::parse_retention("1h", v));
  EXPECT_EQ(v, 3600s);
  EXPECT_FALSE(d::parse_retention("soon", v));
  EXPECT_FALSE(d::parse_retention("5 days", v));
  EXPECT_FALSE(d::parse_retention(nullptr, v));
  EXPECT_FALSE(d::parse_retention("-5s", v));
  EXPECT_FALSE(d::parse_retention("1e30h", v));  // beyond the clock: not wrapped around
}

}  // namespace
