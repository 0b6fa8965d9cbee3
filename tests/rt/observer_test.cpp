#include "lucid/rt/observer.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "lucid/rt/runtime.hpp"
#include "lucid/rt/spawn.hpp"
#include "recording_observer.hpp"

using namespace std::chrono_literals;

namespace {

using lucid::test::dump;
using lucid::test::in_order;
using lucid::test::installed;
using lucid::test::recorder;

TEST(Observer, YieldIsASelfWakeAndAbortIsCancelled) {
  recorder rec;
  installed guard(&rec);
  auto rt = lucid::runtime::multi_thread(2);
  lucid::task_id id = rt.block_on([]() -> lucid::task<lucid::task_id> {
    std::atomic<int> polls{0};
    auto h = lucid::spawn([](std::atomic<int>* polls) -> lucid::task<> {
      for (;;) {
        polls->fetch_add(1);
        co_await lucid::yield_now{};
      }
    }(&polls));
    lucid::task_id id = h.id();
    while (polls.load() < 2)
      co_await lucid::yield_now{};  // it has yielded at least once
    h.abort();
    try {
      co_await h;
    } catch (const lucid::task_aborted&) {
    }
    co_return id;
  }());
  std::string T = "#" + std::to_string(id);
  auto mine = rec.for_task(id);
  EXPECT_TRUE(
      in_order(mine, {"wake " + T + " origin=self by=" + T, "complete " + T + " cancelled"}))
      << dump(mine);
}

TEST(Observer, ExceptionOutcomeAndExternalWake) {
  recorder rec;
  installed guard(&rec);
  auto rt = lucid::runtime::multi_thread(2);
  lucid::task_id id = 0;
  rt.block_on([](lucid::task_id* id, recorder* rec) -> lucid::task<> {
    auto h = lucid::spawn([](recorder* rec) -> lucid::task<> {
      std::string registered = "waker_registered #" + std::to_string(lucid::current_task()->id);
      co_await lucid::spawn_blocking([&] {
        // Finish only once the task is suspended on us: then it is woken from this thread.
        while (!rec->has(registered))
          std::this_thread::yield();
        return 1;
      });
      throw std::runtime_error("x");
    }(rec));
    *id = h.id();
    try {
      co_await h;
    } catch (const std::runtime_error&) {
    }
  }(&id, &rec));
  std::string T = "#" + std::to_string(id);
  auto mine = rec.for_task(id);
  EXPECT_TRUE(
      in_order(mine, {"wake " + T + " origin=external by=#0", "complete " + T + " exception"}))
      << dump(mine);
}

TEST(Observer, NoConsumerNoEvents) {
  recorder rec;
  {
    auto rt = lucid::runtime::current_thread();
    rt.block_on([]() -> lucid::task<> { co_await lucid::yield_now{}; }());
  }
  EXPECT_TRUE(rec.events().empty());
  EXPECT_FALSE(lucid::detail::observing());
}

/// Counts callbacks, and the ones that arrive after remove_observer returned.
class counter final : public lucid::observer {
 public:
  void on_poll_begin(lucid::task_id) noexcept override { hit(); }
  void on_wake(lucid::task_id, lucid::wake_origin, lucid::task_id) noexcept override { hit(); }
  void on_spawn(const lucid::spawn_info&) noexcept override { hit(); }
  void on_complete(lucid::task_id, lucid::task_outcome) noexcept override { hit(); }
  std::atomic<bool> removed{false};
  std::atomic<long> calls{0};
  std::atomic<long> late{0};

 private:
  void hit() noexcept {
    calls.fetch_add(1, std::memory_order_relaxed);
    if (removed.load(std::memory_order_relaxed)) late.fetch_add(1, std::memory_order_relaxed);
  }
};

TEST(Observer, EveryInstalledObserverSeesEveryEvent) {
  recorder a, b;
  lucid::task_id id = 0;
  {
    lucid::scoped_observer wa(a), wb(b);
    auto rt = lucid::runtime::current_thread();
    id = rt.block_on([]() -> lucid::task<lucid::task_id> {
      auto h = lucid::spawn("child", []() -> lucid::task<> { co_await lucid::yield_now{}; }());
      lucid::task_id child = h.id();
      co_await h;
      co_return child;
    }());
  }
  EXPECT_FALSE(a.for_task(id).empty());
  EXPECT_EQ(a.events(), b.events());
  EXPECT_TRUE(
      a.has("spawn #" + std::to_string(id) + " name=child parent=#" + std::to_string(id - 1)))
      << dump(a.events());
}

TEST(Observer, AddedWhileRunningSeesWhatFollows) {
  auto rt = lucid::runtime::multi_thread(2);
  counter c;
  std::atomic<bool> go{false};
  auto h = rt.spawn([](std::atomic<bool>* go) -> lucid::task<> {
    while (!go->load())
      co_await lucid::yield_now{};
    for (int i = 0; i < 10; ++i)
      co_await lucid::yield_now{};
  }(&go));
  lucid::add_observer(&c);
  go.store(true);
  rt.block_on([](lucid::join_handle<void> h) -> lucid::task<> { co_await h; }(std::move(h)));
  lucid::remove_observer(&c);
  EXPECT_GE(c.calls.load(), 10);
}

// Observers are added and removed from another thread while a multi-thread
// runtime wakes, polls and spawns as fast as it can: no callback may reach an
// observer after remove_observer returned (the observer is then freed, so
// ASan would also catch one), and every observer sees events while installed.
TEST(Observer, AddAndRemoveRaceABusyRuntime) {
  auto rt = lucid::runtime::multi_thread(2);
  std::atomic<bool> stop{false};
  auto busy = [](std::atomic<bool>* stop) -> lucid::task<> {
    while (!stop->load(std::memory_order_relaxed)) {
      auto h = lucid::spawn([]() -> lucid::task<> { co_await lucid::yield_now{}; }());
      co_await lucid::yield_now{};
      co_await h;
    }
  };
  std::vector<lucid::join_handle<void>> hs;
  for (int i = 0; i < 4; ++i)
    hs.push_back(rt.spawn(busy(&stop)));
  long late = 0;
  long saw_events = 0;
  constexpr int kRounds = 300;
  counter keep;  // stays installed across the whole race
  lucid::add_observer(&keep);
  for (int r = 0; r < kRounds; ++r) {
    auto* a = new counter;
    auto* b = new counter;
    lucid::add_observer(a);
    lucid::add_observer(b);
    while (a->calls.load() == 0)
      std::this_thread::yield();
    lucid::remove_observer(a);
    a->removed.store(true);
    lucid::remove_observer(b);
    b->removed.store(true);
    late += a->late.load() + b->late.load();
    saw_events += a->calls.load() > 0 ? 1 : 0;
    delete a;
    delete b;
  }
  stop.store(true);
  for (auto& h : hs) {
    rt.block_on([](lucid::join_handle<void> h) -> lucid::task<> { co_await h; }(std::move(h)));
  }
  lucid::remove_observer(&keep);
  EXPECT_EQ(late, 0);
  EXPECT_EQ(saw_events, kRounds);
  EXPECT_GT(keep.calls.load(), 0);
  EXPECT_FALSE(lucid::detail::observing());
}

TEST(Observer, AddingTwiceInstallsOnceAndRemovingAStrangerIsANoOp) {
  recorder r;
  counter stranger;
  lucid::add_observer(&r);
  lucid::add_observer(&r);
  lucid::remove_observer(&stranger);
  {
    auto rt = lucid::runtime::current_thread();
    rt.block_on([]() -> lucid::task<> { co_return; }());
  }
  lucid::remove_observer(&r);
  auto ev = r.events();
  EXPECT_EQ(std::count_if(ev.begin(), ev.end(),
                          [](const std::string& e) { return e.starts_with("spawn "); }),
            1)
      << dump(ev);
  EXPECT_FALSE(lucid::detail::observing());
}

class removes_itself final : public lucid::observer {
 public:
  void on_poll_begin(lucid::task_id) noexcept override { lucid::remove_observer(this); }
};

TEST(ObserverDeathTest, RemovingFromInsideACallbackIsAnError) {
  EXPECT_DEATH(
      {
        removes_itself o;
        lucid::add_observer(&o);
        auto rt = lucid::runtime::current_thread();
        rt.block_on([]() -> lucid::task<> { co_return; }());
      },
      "remove_observer called from inside an observer callback");
}

}  // namespace
