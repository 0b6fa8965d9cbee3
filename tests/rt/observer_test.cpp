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
#include "lucid/time/sleep.hpp"

using namespace std::chrono_literals;

namespace {

/// Records every event as a line of text, in order.
class recorder : public lucid::observer {
 public:
  std::vector<std::string> events() {
    std::lock_guard g(mu_);
    return events_;
  }
  bool has(const std::string& e) {
    std::lock_guard g(mu_);
    return std::find(events_.begin(), events_.end(), e) != events_.end();
  }
  std::vector<std::string> for_task(lucid::task_id id) {
    std::string key = "#" + std::to_string(id);
    std::vector<std::string> out;
    for (auto& e : events()) {
      if (e.find(key + " ") != std::string::npos || e.ends_with(key)) out.push_back(e);
    }
    return out;
  }
  void on_spawn(const lucid::spawn_info& i) noexcept override {
    add("spawn #" + std::to_string(i.id) + " name=" + std::string(i.name) + " parent=#" +
        std::to_string(i.parent));
  }
  void on_poll_begin(lucid::task_id t) noexcept override {
    add("poll_begin #" + std::to_string(t));
  }
  void on_poll_end(lucid::task_id t) noexcept override { add("poll_end #" + std::to_string(t)); }
  void on_wake(lucid::task_id t, lucid::wake_origin o, lucid::task_id by) noexcept override {
    add("wake #" + std::to_string(t) + " origin=" + std::string(lucid::to_string(o)) + " by=#" +
        std::to_string(by));
  }
  void on_waker_registered(lucid::task_id t, const void*) noexcept override {
    add("waker_registered #" + std::to_string(t));
  }
  void on_waker_released(lucid::task_id t, const void*) noexcept override {
    add("waker_released #" + std::to_string(t));
  }
  void on_complete(lucid::task_id t, lucid::task_outcome o) noexcept override {
    add("complete #" + std::to_string(t) + " " + std::string(lucid::to_string(o)));
  }
  void on_resource_created(lucid::resource_id, const lucid::resource_kind& k,
                           lucid::source_site) noexcept override {
    add("resource_created " + std::string(k.name));
  }
  void on_wait_begin(lucid::task_id t, lucid::resource_id) noexcept override {
    add("wait_begin #" + std::to_string(t));
  }
  void on_wait_end(lucid::task_id t, lucid::resource_id) noexcept override {
    add("wait_end #" + std::to_string(t));
  }
  void on_resource_dropped(lucid::resource_id) noexcept override { add("resource_dropped"); }

 private:
  void add(std::string s) {
    std::lock_guard g(mu_);
    events_.push_back(std::move(s));
  }
  std::mutex mu_;
  std::vector<std::string> events_;
};

struct installed {
  explicit installed(lucid::observer* o) : scope(*o) {}
  lucid::scoped_observer scope;
};

/// True if `want` appears in `got` in this order (other events may interleave).
bool in_order(const std::vector<std::string>& got, const std::vector<std::string>& want) {
  auto it = got.begin();
  for (auto& w : want) {
    it = std::find(it, got.end(), w);
    if (it == got.end()) return false;
    ++it;
  }
  return true;
}

std::string dump(const std::vector<std::string>& v) {
  std::string s;
  for (auto& e : v)
    s += "  " + e + "\n";
  return s;
}

TEST(Observer, SleepingChildJoinedByParent) {
  recorder rec;
  installed guard(&rec);
  auto rt = lucid::runtime::current_thread(true);
  lucid::task_id parent = 0, child = 0;
  rt.block_on([](lucid::task_id* p, lucid::task_id* c) -> lucid::task<> {
    *p = lucid::current_task()->id;
    auto h = lucid::spawn("sleeper", []() -> lucid::task<int> {
      co_await lucid::sleep(10ms);
      co_return 1;
    }());
    *c = h.id();
    co_await h;
  }(&parent, &child));
  std::string P = "#" + std::to_string(parent), C = "#" + std::to_string(child);
  auto all = rec.events();
  EXPECT_TRUE(in_order(all,
                       {
                           "spawn " + C + " name=sleeper parent=" + P,
                           "waker_registered " + P,  // parent waits on the join handle
                           "poll_end " + P,
                           "poll_begin " + C,
                           "resource_created timer",
                           "wait_begin " + C,
                           "waker_registered " + C,  // the timer holds the child's waker
                           "poll_end " + C,
                           "waker_released " + C,  // the timer fired
                           "wake " + C + " origin=runtime by=#0",
                           "poll_begin " + C,
                           "wait_end " + C,
                           "resource_dropped",
                           "poll_end " + C,
                           "complete " + C + " value",
                           "waker_released " + P,
                           "wake " + P + " origin=other_task by=" + C,
                           "poll_begin " + P,
                           "complete " + P + " value",
                       }))
      << dump(all);
}

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
