// Deadlocks and "all tasks are asleep": cycles of the wait-for graph whose
// waits persist for LUCID_DEADLOCK_MS, and a program whose every task waits
// on something only another task can end.
//
// Contract: methods of the watchdog (detectors/watchdog.hpp), run on its
// thread only; they read the runtimes through rt's inspection interface and
// take shared().mu after rt's locks, never before.
#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include "detectors/watchdog.hpp"
#include "lucid/debug/backtrace_format.hpp"
#include "lucid/debug/symbolize.hpp"
#include "lucid/rt/detail/frame_alloc.hpp"
#include "lucid/rt/detail/inspect.hpp"
#include "lucid/rt/detail/task_stats.hpp"
#include "lucid/rt/detail/wait_record.hpp"

namespace lucid::console::detectors {

void watchdog::check_graph(std::int64_t now) {
  if (cfg_.deadlock == deadlock_mode::off) return;
  const double threshold = static_cast<double>(cfg_.deadlock_ns) / 1e9;
  std::size_t others = 0;
  snapshot s = detail::take_snapshot_filtered(threshold, &others);
  std::size_t blocking = 0;
  lucid::detail::for_each_runtime(
      [&](const lucid::detail::runtime_probe& rt) { blocking += rt.blocking_jobs(); });
  check_cycles(s, threshold);
  check_all_asleep(s, threshold, blocking + others);
  check_lints(s, now, threshold);
  if (aggregation_enabled()) check_self_wakes();
}

double watchdog::min_wait(const task_view& t) {
  double m = t.root.waiting ? t.root.wait.waiting_s : 1e300;
  for (const strand_view& b : t.branches) {
    if (b.waiting) m = std::min(m, b.wait.waiting_s);
  }
  return m;
}

const task_view* watchdog::find(const snapshot& s, task_id id) {
  for (const task_view& t : s.tasks) {
    if (t.id == id) return &t;
  }
  return nullptr;
}

std::string watchdog::describe_task(const snapshot& s, const task_view& t) {
  std::string out;
  auto one = [&](const strand_view& v) {
    if (!v.waiting) return;
    out += fmt::format("  {} waits on {}", detail::task_label(s, t.id),
                       detail::describe_wait(s, v.wait));
    if (!v.chain.empty() && v.chain.front().known())
      out += fmt::format(" at {}", detail::where(v.chain.front()));
    out += fmt::format(" (for {:.1f} s)\n", v.wait.waiting_s);
  };
  one(t.root);
  for (const strand_view& b : t.branches)
    one(b);
  return out;
}

void watchdog::check_cycles(const snapshot& s, double threshold) {
  std::set<std::vector<task_id>> now_seen;
  for (const auto& c : s.cycles) {
    bool old = true;
    for (task_id id : c) {
      const task_view* t = find(s, id);
      if (t == nullptr || min_wait(*t) < threshold) old = false;
    }
    if (!old) continue;
    now_seen.insert(c);
    if (reported_cycles_.count(c) != 0) continue;
    std::string msg =
        c.size() == 1
            ? std::string("lucid: deadlock: a task waits on itself:\n")  // its own join handle
            : fmt::format("lucid: deadlock: {} tasks wait on each other in a cycle:\n", c.size());
    for (task_id id : c) {
      if (const task_view* t = find(s, id)) msg += describe_task(s, *t);
    }
    // A wait that any of several tasks could end (a channel's senders, a
    // semaphore's permits) is an edge only when all of them are stuck: the
    // holders outside the cycle are stuck too, and part of the story.
    std::set<task_id> also;
    for (task_id id : c) {
      const task_view* t = find(s, id);
      if (t == nullptr) continue;
      auto add = [&](const strand_view& v) {
        if (!v.waiting || v.wait.handles < 0) return;
        for (const holder& h : v.wait.holders)
          if (std::find(c.begin(), c.end(), h.task) == c.end()) also.insert(h.task);
      };
      add(t->root);
      for (const strand_view& b : t->branches)
        add(b);
    }
    if (!also.empty()) {
      msg += "also stuck, holding what the cycle waits for:\n";
      for (task_id id : also) {
        if (const task_view* t = find(s, id)) msg += describe_task(s, *t);
      }
    }
    msg += "their await chains:\n";
    for (task_id id : c) {
      if (const task_view* t = find(s, id)) {
        msg += fmt::format("  {}, spawned at {}\n", detail::task_label(s, id),
                           detail::where(t->spawned_at));
        for (const strand_view& b : t->branches)
          msg += detail::describe_chain(b, "    ");
        msg += detail::describe_chain(t->root, "    ");
      }
    }
    emit(msg);
    detail::add_warning({"deadlock", c.front(), msg});
    if (cfg_.deadlock == deadlock_mode::abort) {
      abort_now();
    }
  }
  reported_cycles_ = std::move(now_seen);
}

std::size_t watchdog::process_threads() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("Threads:", 0) == 0) return std::strtoull(line.c_str() + 8, nullptr, 10);
  }
  return 0;
}

/// `busy`: spawn_blocking jobs, and tasks the filtered walk left out
/// (running, queued, or waiting on a timer, I/O or not for long enough).
void watchdog::check_all_asleep(const snapshot& s, double threshold, std::size_t busy) {
  bool asleep = !s.tasks.empty() && busy == 0;
  for (const task_view& t : s.tasks) {
    if (!asleep) break;
    if (t.state != "idle") {
      asleep = false;
      break;
    }
    bool any = false;
    auto ok = [&](const strand_view& v) {
      if (!v.waiting) return;
      any = true;
      if (v.wait.woken_by != "task" || v.wait.waiting_s < threshold) asleep = false;
    };
    ok(t.root);
    for (const strand_view& b : t.branches)
      ok(b);
    if (!any) asleep = false;  // waiting on something lucid does not know
  }
  if (!asleep) {
    asleep_reported_ = false;
    return;
  }
  // A thread lucid does not know might still wake a task (a channel fed from outside).
  if (process_threads() > lucid::detail::known_thread_count() + kSanitizerThreads) return;
  if (asleep_reported_) return;
  asleep_reported_ = true;
  std::ostringstream os;
  os << fmt::format(
      "lucid: all tasks are asleep: deadlock! ({} task{}, each waiting for another task for at "
      "least {:.1f} s; no timer, I/O, blocking job or outside thread can wake any)\n",
      s.tasks.size(), s.tasks.size() == 1 ? "" : "s", threshold);
  dump(os, s);
  emit(os.str());
  detail::add_warning({"all asleep", 0, os.str()});
  if (cfg_.deadlock == deadlock_mode::abort) {
    emit("lucid: LUCID_DEADLOCK=abort: aborting\n");
    std::abort();
  }
}

}  // namespace lucid::console::detectors
