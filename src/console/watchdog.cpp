// The console's watchdog: one thread that runs the detectors.
//
// What it does, every tick (10 ms):
//   - refreshes the coarse clock that wait records and lock holders read;
//   - serves a pending SIGQUIT: prints the task dump;
//   - stalls: samples each worker's poll word (lucid/rt/detail/inspect.hpp);
//     a word unchanged for LUCID_STALL_MS is one poll that long. It then
//     signals that worker (SIGURG), whose handler captures the native stack
//     into a preallocated buffer, and symbolizes and prints it here.
// And every check interval (the first after LUCID_DEADLOCK_MS, then every
// 250 ms, or 50 times as long as the last walk took, so that walking a
// million tasks costs at most ~2% of a core), over a filtered walk that
// reads only idle tasks in place and copies only those a detector may report:
//   - deadlocks: cycles of the wait-for graph whose waits all persist for
//     LUCID_DEADLOCK_MS; and "all tasks are asleep": every live task idle,
//     each waiting on something only another task can end, for the
//     threshold, with no spawn_blocking job and no thread the runtime does
//     not know (a foreign thread might still send);
//   - lints: lost wakers, locks held across an await.
//
// Threads and state: `g_dump_requested`, `g_capture_*` are written by signal
// handlers (async-signal-safe: atomics and sem_post only). Everything else
// belongs to the watchdog thread, except the warnings list and the per-worker
// poll table, which the snapshot reads under `shared().mu`. Lock order:
// rt's registry and shard locks, then shared().mu, never the other way.
// Startup: a static initializer hooks rt's runtime start; the first runtime
// starts the thread (the `lucid` target links this library whole, so the
// initializer is kept). The thread never exits; it is detached.
#include <fmt/format.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>

#include "console_internal.hpp"
#include "lucid/debug/backtrace_format.hpp"
#include "lucid/debug/captured_trace.hpp"
#include "lucid/debug/symbolize.hpp"
#include "lucid/rt/detail/frame_alloc.hpp"
#include "lucid/rt/detail/inspect.hpp"
#include "lucid/rt/detail/task_stats.hpp"
#include "lucid/rt/detail/wait_record.hpp"
#include "server/server.hpp"

namespace lucid::console {

namespace {

using steady = std::chrono::steady_clock;

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(steady::now().time_since_epoch())
      .count();
}

// ------------------------------------------------------------ configuration

enum class deadlock_mode { report, abort, off };

struct config {
  deadlock_mode deadlock = deadlock_mode::report;
  std::int64_t deadlock_ns = 1'000'000'000;
  std::int64_t stall_ns = 100'000'000;  // 0: off
  bool dump_signal = true;
  std::int64_t lock_hold_ns = 1'000'000'000;
};

std::int64_t parse_ms(const char* name, const char* v, std::int64_t fallback) {
  char* end = nullptr;
  long long ms = std::strtoll(v, &end, 10);
  if (end == v || *end != '\0' || ms <= 0) {
    std::fprintf(stderr, "lucid: %s=%s is not a positive number of milliseconds; using %lld\n",
                 name, v, static_cast<long long>(fallback / 1'000'000));
    return fallback;
  }
  return ms * 1'000'000;
}

config read_config() {
  config c;
  if (const char* v = std::getenv("LUCID_DEADLOCK"); v != nullptr && *v != '\0') {
    std::string s(v);
    if (s == "report") {
      c.deadlock = deadlock_mode::report;
    } else if (s == "abort") {
      c.deadlock = deadlock_mode::abort;
    } else if (s == "off" || s == "0") {
      c.deadlock = deadlock_mode::off;
    } else {
      std::fprintf(stderr,
                   "lucid: LUCID_DEADLOCK=%s is not one of report, abort, off; using report\n", v);
    }
  }
  if (const char* v = std::getenv("LUCID_DEADLOCK_MS"); v != nullptr && *v != '\0') {
    c.deadlock_ns = parse_ms("LUCID_DEADLOCK_MS", v, c.deadlock_ns);
  }
  if (const char* v = std::getenv("LUCID_STALL_MS"); v != nullptr && *v != '\0') {
    if (std::string(v) == "off" || std::string(v) == "0") {
      c.stall_ns = 0;
    } else {
      c.stall_ns = parse_ms("LUCID_STALL_MS", v, c.stall_ns);
    }
  }
  if (const char* v = std::getenv("LUCID_DUMP_SIGNAL"); v != nullptr) {
    std::string s(v);
    c.dump_signal = !(s == "off" || s == "0");
  }
  if (const char* v = std::getenv("LUCID_LOCK_HOLD_MS"); v != nullptr && *v != '\0') {
    c.lock_hold_ns = parse_ms("LUCID_LOCK_HOLD_MS", v, c.lock_hold_ns);
  }
  return c;
}

// ------------------------------------------------------------ shared state

struct poll_seen {
  std::uintptr_t word = 0;
  std::int64_t since = 0;
  bool reported = false;
};

/// What the snapshot and the watchdog share. Never destroyed: the detached
/// watchdog thread may still use it while the program's statics go away.
struct shared_state {
  std::mutex mu;  // guards both
  std::deque<warning> warnings;
  std::uint64_t warnings_added = 0;  // ever: warnings_after's cursor
  std::map<std::pair<std::uint64_t, unsigned>, poll_seen> polls;
};
shared_state& shared() {
  static shared_state* s = new shared_state;
  return *s;
}
constexpr std::size_t kMaxWarnings = 256;

// Signal handler state.
sem_t g_wake;
std::atomic<int> g_dump_requested{0};
sem_t g_capture_done;
std::atomic<int> g_capture_tid{0};
std::uintptr_t g_capture_pcs[debug::captured_trace::max_frames];
std::atomic<std::size_t> g_capture_n{0};
constexpr int kStallSignal = SIGURG;

// ThreadSanitizer's runtime runs one background thread of its own; it never
// wakes a task, so the "all asleep" detector does not count it.
#if defined(__SANITIZE_THREAD__)
constexpr std::size_t kSanitizerThreads = 1;
#else
constexpr std::size_t kSanitizerThreads = 0;
#endif

void on_sigquit(int) {
  g_dump_requested.store(1, std::memory_order_relaxed);
  sem_post(&g_wake);
}

void on_stall_signal(int, siginfo_t*, void* uc) {
  int saved = errno;
  int me = static_cast<int>(::syscall(SYS_gettid));
  if (g_capture_tid.load(std::memory_order_acquire) == me) {
    std::size_t n =
        debug::capture_from_signal(uc, g_capture_pcs, debug::captured_trace::max_frames);
    g_capture_n.store(n, std::memory_order_release);
    g_capture_tid.store(0, std::memory_order_release);
    sem_post(&g_capture_done);
  }
  errno = saved;
}

/// Waits on `sem` for at most `ns` nanoseconds (steady clock); true if it was posted.
bool wait_for(sem_t* sem, std::int64_t ns) {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  ts.tv_sec += static_cast<time_t>(ns / 1'000'000'000);
  ts.tv_nsec += static_cast<long>(ns % 1'000'000'000);
  if (ts.tv_nsec >= 1'000'000'000) {
    ts.tv_sec += 1;
    ts.tv_nsec -= 1'000'000'000;
  }
  return sem_clockwait(sem, CLOCK_MONOTONIC, &ts) == 0;
}

/// LUCID_DEADLOCK=abort: the report is out; abort with the default action
/// (a core file for gdb), not through the crash handler's report.
[[noreturn]] void abort_now() {
  std::fputs("lucid: LUCID_DEADLOCK=abort: aborting\n", stderr);
  std::signal(SIGABRT, SIG_DFL);
  std::abort();
}

void emit(const std::string& text) {
  // One write, so reports from several threads do not interleave.
  std::fwrite(text.data(), 1, text.size(), stderr);
  std::fflush(stderr);
}

// ------------------------------------------------------------ the watchdog

class watchdog {
 public:
  explicit watchdog(config c) : cfg_(c) {}

  void run() {
    pthread_setname_np(pthread_self(), "lucid-watchdog");
    lucid::detail::known_thread_scope known;
    // No wait can be old enough to report before the threshold has passed.
    std::int64_t next_check = now_ns() + std::max(check_interval_, cfg_.deadlock_ns);
    for (;;) {
      wait_for(&g_wake, 10'000'000);
      std::int64_t now = now_ns();
      lucid::detail::set_coarse_now_ns(now);
      if (g_dump_requested.exchange(0, std::memory_order_relaxed) != 0) {
        std::ostringstream os;
        dump(os);
        emit(os.str());
      }
      if (cfg_.stall_ns > 0) check_stalls(now);
      if (now >= next_check) {
        std::int64_t t0 = now_ns();
        check_graph(now);
        std::int64_t took = now_ns() - t0;
        // A slow walk (many tasks) is taken less often: at most ~2% of a core.
        next_check = now_ns() + std::max<std::int64_t>(check_interval_, 50 * took);
      }
    }
  }

 private:
  // -------------------------------------------------------------- stalls
  void check_stalls(std::int64_t now) {
    struct stalled {
      std::uint64_t serial;
      unsigned worker;
      int tid;
      const void* cell;
      std::int64_t since;
    };
    std::vector<stalled> found;
    // Read the workers first, then update the table under shared().mu, which is
    // never held while taking rt's registry lock (take_snapshot takes them
    // in the other order).
    struct sample {
      std::pair<std::uint64_t, unsigned> key;
      lucid::detail::worker_probe w;
    };
    std::vector<sample> samples;
    lucid::detail::for_each_runtime([&](const lucid::detail::runtime_probe& rt) {
      for (std::size_t i = 0; i < rt.worker_count(); ++i) {
        lucid::detail::worker_probe w = rt.worker(i);
        samples.push_back({{rt.serial(), w.index}, w});
      }
    });
    {
      std::lock_guard g(shared().mu);
      std::set<std::pair<std::uint64_t, unsigned>> alive;
      for (const sample& sm : samples) {
        alive.insert(sm.key);
        poll_seen& p = shared().polls[sm.key];
        if (sm.w.poll_word == 0 || sm.w.exempt() || sm.w.poll_word != p.word) {
          p = poll_seen{sm.w.poll_word, now, false};
          continue;
        }
        if (!p.reported && now - p.since >= cfg_.stall_ns) {
          p.reported = true;
          found.push_back({sm.key.first, sm.key.second, sm.w.tid, sm.w.polling(), p.since});
        }
      }
      for (auto it = shared().polls.begin(); it != shared().polls.end();) {
        it = alive.count(it->first) ? std::next(it) : shared().polls.erase(it);
      }
    }
    for (const stalled& s : found)
      report_stall(s.serial, s.worker, s.tid, s.cell, s.since);
  }

  void report_stall(std::uint64_t serial, unsigned worker, int tid, const void* cell,
                    std::int64_t since) {
    const std::int64_t ran_ns = now_ns() - since;
    // Capture the worker's stack while it is still in that poll.
    std::size_t n = 0;
    if (tid != 0) {
      while (sem_trywait(&g_capture_done) == 0) {
      }
      g_capture_n.store(0, std::memory_order_relaxed);
      g_capture_tid.store(tid, std::memory_order_release);
      if (::syscall(SYS_tgkill, ::getpid(), tid, kStallSignal) == 0) {
        if (wait_for(&g_capture_done, 200'000'000)) {
          n = g_capture_n.load(std::memory_order_acquire);
        }
      }
      g_capture_tid.store(0, std::memory_order_release);
    }
    // Name the task: find the cell among the live tasks (still polled, so alive).
    std::string label = "a task";
    location spawned;
    task_id id = 0;
    lucid::detail::for_each_runtime([&](const lucid::detail::runtime_probe& rt) {
      if (rt.serial() != serial) return;
      rt.for_each_task([&](const lucid::detail::task_probe& t) {
        if (t.cell() != cell) return;
        id = t.id();
        label = t.name().empty() ? fmt::format("task {}", id)
                                 : fmt::format("task {} '{}'", id, t.name());
        source_site s = t.spawn_site();
        if (s.file != nullptr)
          spawned = location{detail::source_path(s.file), s.function ? s.function : "", s.line};
      });
    });
    std::vector<debug::symbolized_frame> frames;
    if (n != 0) frames = debug::symbolize(std::span<const std::uintptr_t>(g_capture_pcs, n));
    const debug::symbolized_frame* top = frames.empty() ? nullptr : debug::first_user_frame(frames);
    std::string site_key =
        detail::where(spawned) + (top ? top->file + ":" + std::to_string(top->line) : "");
    std::int64_t now = now_ns();
    auto& rl = rate_[site_key];
    if (rl.last != 0 && now - rl.last < 10'000'000'000) {  // one report per site per 10 s
      ++rl.suppressed;
      return;
    }
    rl.last = now;
    std::string msg = fmt::format(
        "lucid: stall: {} has been running for {} ms in one poll on worker {}, blocking it "
        "(LUCID_STALL_MS={})\n",
        label, ran_ns / 1'000'000, worker, cfg_.stall_ns / 1'000'000);
    if (rl.suppressed != 0) {
      msg += fmt::format("  ({} more stall{} at this site since the last report)\n", rl.suppressed,
                         rl.suppressed == 1 ? "" : "s");
      rl.suppressed = 0;
    }
    if (spawned.known()) msg += fmt::format("  spawned at {}\n", detail::where(spawned));
    if (top != nullptr) {
      msg += fmt::format("  blocking in {} at {}:{}\n", top->function,
                         debug::display_path(top->file), top->line);
    }
    if (!frames.empty()) {
      debug::report_options o = debug::report_options::from_env(2);
      if (o.style == debug::backtrace_style::off) o.style = debug::backtrace_style::brief;
      msg += "  the worker's stack when the stall was seen:\n";
      msg += debug::format_backtrace(frames, o);
      if (msg.back() != '\n') msg += '\n';
    } else {
      msg += "  (the worker's stack could not be captured)\n";
    }
    emit(msg);
    detail::add_warning({"stall", id, msg});
  }

  // -------------------------------------------------------------- deadlocks and lints
  void check_graph(std::int64_t now) {
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

  static double min_wait(const task_view& t) {
    double m = t.root.waiting ? t.root.wait.waiting_s : 1e300;
    for (const strand_view& b : t.branches) {
      if (b.waiting) m = std::min(m, b.wait.waiting_s);
    }
    return m;
  }

  const task_view* find(const snapshot& s, task_id id) {
    for (const task_view& t : s.tasks) {
      if (t.id == id) return &t;
    }
    return nullptr;
  }

  std::string describe_task(const snapshot& s, const task_view& t) {
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

  void check_cycles(const snapshot& s, double threshold) {
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
          fmt::format("lucid: deadlock: {} tasks wait on each other in a cycle:\n", c.size());
      for (task_id id : c) {
        if (const task_view* t = find(s, id)) msg += describe_task(s, *t);
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

  static std::size_t process_threads() {
    std::ifstream f("/proc/self/status");
    std::string line;
    while (std::getline(f, line)) {
      if (line.rfind("Threads:", 0) == 0) return std::strtoull(line.c_str() + 8, nullptr, 10);
    }
    return 0;
  }

  /// `busy`: spawn_blocking jobs, and tasks the filtered walk left out
  /// (running, queued, or waiting on a timer, I/O or not for long enough).
  void check_all_asleep(const snapshot& s, double threshold, std::size_t busy) {
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

  void check_lints(const snapshot& s, std::int64_t now, double threshold) {
    std::set<task_id> alive;
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
        if (!fresh && now - it->second >= cfg_.deadlock_ns &&
            linted_.insert({t.id, "lost"}).second) {
          std::string msg = fmt::format(
              "lucid: lost waker: {} has been idle for {:.1f} s at {} with no waker registered "
              "anywhere lucid knows: nothing will wake it (an awaitable that suspends without "
              "keeping a way to resume the task)\n  spawned at {}\n",
              detail::task_label(s, t.id), static_cast<double>(now - it->second) / 1e9,
              detail::where(t.root.chain.front()), detail::where(t.spawned_at));
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
        for (const holder& h : v.wait.holders) {
          const task_view* ht = find(s, h.task);
          if (ht == nullptr || ht->state == "running") continue;
          if (h.held_s * 1e9 < static_cast<double>(cfg_.lock_hold_ns)) continue;
          if (!linted_.insert({h.task, "held" + std::to_string(v.wait.resource)}).second) continue;
          std::string msg = fmt::format(
              "lucid: lock held across an await: {} holds {} for {:.1f} s (locked at {}) while "
              "suspended at {}; {} waits for it\n",
              detail::task_label(s, h.task), fmt::format("{}#{}", v.wait.kind, v.wait.resource),
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
  void check_self_wakes() {
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

  struct rate {
    std::int64_t last = 0;
    unsigned suppressed = 0;
  };

  config cfg_;
  std::int64_t check_interval_ = 250'000'000;
  std::map<std::string, rate> rate_;
  std::set<std::vector<task_id>> reported_cycles_;
  bool asleep_reported_ = false;
  std::map<task_id, std::int64_t> unregistered_since_;
  std::set<std::pair<task_id, std::string>> linted_;
  std::set<const void*> large_seen_;
};

void install_handlers(const config& c) {
  if (c.dump_signal) {
    struct sigaction sa {};
    sa.sa_handler = &on_sigquit;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGQUIT, &sa, nullptr);
  }
  if (c.stall_ns > 0) {
    struct sigaction sa {};
    sa.sa_sigaction = &on_stall_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART | SA_SIGINFO;
    sigaction(kStallSignal, &sa, nullptr);
  }
}

void start_once() noexcept {
  static std::once_flag once;
  std::call_once(once, [] {
    config c = read_config();
    sem_init(&g_wake, 0, 0);
    sem_init(&g_capture_done, 0, 0);
    // The thread runs even with every detector off: it keeps the coarse
    // clock that wait records and the dump read. Set it now, before the
    // first task of this runtime can wait.
    lucid::detail::set_coarse_now_ns(now_ns());
    install_handlers(c);
    std::thread([c] { watchdog(c).run(); }).detach();
  });
  detail::start_console_server();
}

struct autostart {
  autostart() { lucid::detail::set_runtime_start_hook(&start_once); }
} g_autostart;

}  // namespace

namespace detail {

double running_for(std::uint64_t serial, unsigned worker, std::uintptr_t word) {
  std::lock_guard g(shared().mu);
  auto it = shared().polls.find({serial, worker});
  if (it == shared().polls.end() || it->second.word != word) return -1;
  return static_cast<double>(now_ns() - it->second.since) / 1e9;
}

void add_warning(warning w) {
  std::lock_guard g(shared().mu);
  shared().warnings.push_back(std::move(w));
  ++shared().warnings_added;
  if (shared().warnings.size() > kMaxWarnings) shared().warnings.pop_front();
}

std::vector<warning> warnings_after(std::uint64_t* seen) {
  std::lock_guard g(shared().mu);
  const std::uint64_t added = shared().warnings_added;
  const std::uint64_t fresh = std::min<std::uint64_t>(added - *seen, shared().warnings.size());
  *seen = added;
  return {shared().warnings.end() - static_cast<std::ptrdiff_t>(fresh), shared().warnings.end()};
}

}  // namespace detail

std::vector<warning> warnings() {
  std::lock_guard g(shared().mu);
  return {shared().warnings.begin(), shared().warnings.end()};
}

}  // namespace lucid::console
