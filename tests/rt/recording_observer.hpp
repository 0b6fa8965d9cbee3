// A recording runtime observer for tests: every event as a line of text
// ("poll_begin #3", "wake #3 origin=self by=#3"), in order, plus helpers to
// check the order. Shared by tests/rt and the modules above it.
#pragma once

#include <algorithm>
#include <mutex>
#include <string>
#include <vector>

#include "lucid/rt/observer.hpp"

namespace lucid::test {

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
  void on_resource_created(lucid::resource_id, const lucid::resource_kind& k, lucid::source_site,
                           const lucid::detail::resource_header*) noexcept override {
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

/// Installs an observer for the scope.
struct installed {
  explicit installed(lucid::observer* o) : scope(*o) {}
  lucid::scoped_observer scope;
};

/// True if `want` appears in `got` in this order (other events may interleave).
inline bool in_order(const std::vector<std::string>& got, const std::vector<std::string>& want) {
  auto it = got.begin();
  for (auto& w : want) {
    it = std::find(it, got.end(), w);
    if (it == got.end()) return false;
    ++it;
  }
  return true;
}

inline std::string dump(const std::vector<std::string>& v) {
  std::string s;
  for (auto& e : v)
    s += "  " + e + "\n";
  return s;
}

}  // namespace lucid::test
