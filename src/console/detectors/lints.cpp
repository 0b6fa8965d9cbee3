// The lints: lost wakers, locks held across an await, self-wakes, large
// coroutine frames. Each is reported once per task (or site).
//
// Contract: methods of the watchdog (detectors/watchdog.hpp), run on its
// thread only; they read the runtimes through rt's inspection interface and
// take shared().mu after rt's locks, never before.
#include <fmt/format.h>

#include <optional>
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

void watchdog::check_lints(const snapshot& s, std::int64_t now, double threshold) {
  std::set<task_id> alive;
  std::optional<snapshot> whole;  // taken when a lock holder is not in s
  for (const task_view& t : s.tasks) {
    alive.insert(t.id);
    if (t.state != "idle") continue;
    bool waiting = t.root.waiting;
    for (const strand_view& b : t.branches)
      waiting = waiting || b.waiting;
    // Lost waker: suspended with no wait lucid knows of, or on a foreign
    // awaitable that has not resumed the handle lucid gave it.
    if (!waiting && !t.root.chain.empty()) {
      auto [it, fresh] = unregistered_since_.emplace(t.id, now);
      if (!fresh && now - it->second >= cfg_.deadlock_ns && linted_.insert({t.id, "lost"}).second) {
        const bool unseen = detail::await_unseen(t.root);
        std::string msg = fmt::format(
            "lucid: lost waker: {} has been idle for {:.1f} s at {} with no waker registered "
            "anywhere lucid knows: nothing will wake it ({})\n  spawned at {}\n",
            detail::task_label(s, t.id), static_cast<double>(now - it->second) / 1e9,
            unseen ? "an await lucid never saw" : detail::where(t.root.chain.front()),
            unseen ? "its frame recorded no await site. A known cause: GCC 12.2 lays out the "
                     "frame of a coroutine with no local variable wrongly when an `if`, `while` "
                     "or `switch` condition holds a co_await, as in `if (!co_await tx.send(v)) "
                     "co_return;`; give the coroutine a local (`auto sent = co_await "
                     "tx.send(v); if (!sent) co_return;`) or build with clang"
                   : "an awaitable that suspends without keeping a way to resume the task",
            detail::where(t.spawned_at));
        msg += detail::describe_chain(t.root, "  ");
        emit(msg);
        detail::add_warning({"lost waker", t.id, msg});
      }
    } else {
      unregistered_since_.erase(t.id);
    }
    if (t.root.waiting && t.root.wait.woken_by == "foreign" &&
        t.root.wait.kind == "foreign awaitable" && t.root.wait.waiting_s >= threshold &&
        linted_.insert({t.id, "foreign"}).second) {
      std::string msg = fmt::format(
          "lucid: lost waker?: {} has been idle for {:.1f} s at {} on {}, an awaitable lucid "
          "does "
          "not know: it was given a handle to resume the task and has not used it (if it "
          "dropped the handle, the task will never wake)\n  spawned at {}\n",
          detail::task_label(s, t.id), t.root.wait.waiting_s,
          t.root.chain.empty() ? std::string("<unknown>") : detail::where(t.root.chain.front()),
          t.root.wait.what.empty() ? std::string("a foreign awaitable") : t.root.wait.what,
          detail::where(t.spawned_at));
      msg += detail::describe_chain(t.root, "  ");
      emit(msg);
      detail::add_warning({"lost waker", t.id, msg});
    }
    // A lock held across an await: someone waits on a lock whose holder is suspended.
    auto held = [&](const strand_view& v) {
      // Locks only: a full channel's holder is its receiving task, which
      // may well be suspended elsewhere.
      if (v.wait.kind != "mutex" && v.wait.kind != "rw_lock") return;
      for (const holder& h : v.wait.holders) {
        if (h.held_s * 1e9 < static_cast<double>(cfg_.lock_hold_ns)) continue;
        // The filtered snapshot keeps only tasks a deadlock could involve: a
        // holder suspended on a timer or I/O (the usual slow await) is not
        // in it, so read it from a whole one.
        const snapshot* hs = &s;
        const task_view* ht = find(s, h.task);
        if (ht == nullptr) {
          if (!whole) whole = console::take_snapshot();
          hs = &*whole;
          ht = find(*whole, h.task);
        }
        if (ht == nullptr || ht->state == "running") continue;
        if (!linted_.insert({h.task, "held" + std::to_string(v.wait.resource)}).second) continue;
        std::string msg = fmt::format(
            "lucid: lock held across an await: {} holds {} for {:.1f} s (locked at {}) while "
            "suspended at {}; {} waits for it\n",
            detail::task_label(*hs, h.task), fmt::format("{}#{}", v.wait.kind, v.wait.resource),
            h.held_s, detail::where(h.acquired_at),
            ht->root.chain.empty() ? std::string("<unknown>")
                                   : detail::where(ht->root.chain.front()),
            detail::task_label(s, t.id));
        detail::add_warning({"lock held across await", h.task, msg});
      }
    };
    if (t.root.waiting) held(t.root);
  }
  // Coroutine frames above 16 KiB (a big local array or buffer).
  for (const lucid::detail::large_frame& f : lucid::detail::large_frames()) {
    if (!large_seen_.insert(f.caller).second) continue;
    std::vector<debug::symbolized_frame> fr =
        debug::symbolize(std::span<const std::uintptr_t>(f.stack, f.stack_size));
    std::string where = "<unknown>";
    // The innermost user frame of the stack when the frame was made: the
    // coroutine's ramp (or the code it was inlined into), else the caller.
    const debug::symbolized_frame* pick = nullptr;
    for (const debug::symbolized_frame& x : fr) {
      if (x.kind == debug::frame_kind::user && !x.function.empty()) {
        pick = &x;
        break;
      }
    }
    if (pick == nullptr && !fr.empty() && !fr.back().function.empty()) pick = &fr.back();
    if (pick != nullptr) {
      where = pick->function;
      if (!pick->file.empty())
        where += fmt::format(" at {}:{}", debug::display_path(pick->file), pick->line);
    }
    detail::add_warning({"large frame", 0,
                         fmt::format("lucid: a coroutine frame of {:.1f} KiB was created by {} "
                                     "({} time{}): move big locals to the heap\n",
                                     static_cast<double>(f.bytes) / 1024, where, f.count,
                                     f.count == 1 ? "" : "s")});
  }
  for (auto it = unregistered_since_.begin(); it != unregistered_since_.end();) {
    it = alive.count(it->first) ? std::next(it) : unregistered_since_.erase(it);
  }
  // Each (task, lint) is reported once; ids are never reused, so the set
  // only needs a bound.
  if (linted_.size() > 100'000) linted_.clear();
}

/// Self-wakes over half of all wakes (tokio-console's lint): a task that
/// keeps waking itself is usually spinning on a condition. Reads only the
/// stats blocks (aggregation on), without claiming any task.
void watchdog::check_self_wakes() {
  struct found {
    task_id id;
    std::string name;
    std::uint64_t self, total;
  };
  std::vector<found> hits;
  lucid::detail::for_each_runtime([&](const lucid::detail::runtime_probe& rt) {
    rt.for_each_task(
        [&](const lucid::detail::task_probe& t) {
          auto st = t.stats();
          if (st == nullptr) return;
          std::uint64_t total = st->wakes_total();
          std::uint64_t self = st->wakes_by(wake_origin::self);
          if (total < 20 || self * 2 <= total) return;
          if (linted_.count({t.id(), "self"}) != 0) return;
          hits.push_back({t.id(), std::string(t.name()), self, total});
        },
        /*idle_only=*/true);
  });
  for (const found& f : hits) {
    linted_.insert({f.id, "self"});
    std::string label =
        f.name.empty() ? fmt::format("task {}", f.id) : fmt::format("task {} '{}'", f.id, f.name);
    detail::add_warning({"self wakes", f.id,
                         fmt::format("lucid: {} woke itself {} times out of {} wakes: is it "
                                     "spinning on a condition (yield_now in a loop)?\n",
                                     label, f.self, f.total)});
  }
}

}  // namespace lucid::console::detectors
