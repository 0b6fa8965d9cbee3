// lucid::sleep as the runtime's observers see it: a sleeping child reports
// its timer as a resource it waits on, and the timer's wake-up comes from the
// runtime. (Moved from tests/rt/instrument_test.cpp: it exercises time.)
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <mutex>
#include <string>
#include <vector>

#include "lucid/rt/instrument.hpp"
#include "lucid/rt/runtime.hpp"
#include "lucid/rt/spawn.hpp"
#include "lucid/time/sleep.hpp"

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

TEST(Instrument, SleepingChildJoinedByParent) {
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

}  // namespace
