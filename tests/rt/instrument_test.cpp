#include "lucid/rt/instrument.hpp"

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

using namespace std::chrono_literals;

namespace {

/// Records every event as a line of text, in order.
class recorder : public lucid::instrument {
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
  void on_resource_created(lucid::resource_id, lucid::resource_kind k,
                           lucid::source_site) noexcept override {
    add("resource_created " + std::string(lucid::to_string(k)));
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
  explicit installed(lucid::instrument* i) { lucid::set_instrument(i); }
  ~installed() { lucid::set_instrument(nullptr); }
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

TEST(Instrument, YieldIsASelfWakeAndAbortIsCancelled) {
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

TEST(Instrument, ExceptionOutcomeAndExternalWake) {
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

TEST(Instrument, NoConsumerNoEvents) {
  recorder rec;
  {
    auto rt = lucid::runtime::current_thread();
    rt.block_on([]() -> lucid::task<> { co_await lucid::yield_now{}; }());
  }
  EXPECT_TRUE(rec.events().empty());
  EXPECT_EQ(lucid::detail::hooks(), nullptr);
}

}  // namespace
