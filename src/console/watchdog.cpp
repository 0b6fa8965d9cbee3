// The console's watchdog: one thread that runs the detectors. This file
// holds its configuration, signal handlers, loop and startup; the detectors
// are in detectors/ (stalls.cpp, deadlocks.cpp, lints.cpp), and what they
// share is declared in detectors/watchdog.hpp.
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
#include "detectors/watchdog.hpp"
#include "lucid/debug/backtrace_format.hpp"
#include "lucid/debug/captured_trace.hpp"
#include "lucid/debug/symbolize.hpp"
#include "lucid/rt/detail/frame_alloc.hpp"
#include "lucid/rt/detail/inspect.hpp"
#include "lucid/rt/detail/task_stats.hpp"
#include "lucid/rt/detail/wait_record.hpp"
#include "server/server.hpp"

namespace lucid::console {

namespace detectors {

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// ------------------------------------------------------------ configuration

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
  if (const char* v = std::getenv("LUCID_DUMP_SIGNAL"); v != nullptr && *v != '\0') {
    std::string s(v);
    if (s == "off" || s == "0") {
      c.dump_signal = false;
    } else if (!(s == "on" || s == "1")) {
      std::fprintf(stderr, "lucid: LUCID_DUMP_SIGNAL=%s is not on or off; the dump stays on\n", v);
    }
  }
  if (const char* v = std::getenv("LUCID_LOCK_HOLD_MS"); v != nullptr && *v != '\0') {
    c.lock_hold_ns = parse_ms("LUCID_LOCK_HOLD_MS", v, c.lock_hold_ns);
  }
  return c;
}

// ------------------------------------------------------------ shared state

shared_state& shared() {
  static shared_state* s = new shared_state;
  return *s;
}

// Signal handler state.
sem_t g_wake;
std::atomic<int> g_dump_requested{0};
sem_t g_capture_done;
std::atomic<int> g_capture_tid{0};
std::uintptr_t g_capture_pcs[debug::captured_trace::max_frames];
std::atomic<std::size_t> g_capture_n{0};
lucid::detail::polled_task g_capture_task;

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
    g_capture_task = lucid::detail::polled_task{};
    lucid::detail::current_polled_task(g_capture_task);
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

// ------------------------------------------------------------ the watchdog's loop

void watchdog::run() {
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

}  // namespace detectors

namespace detail {

using detectors::kMaxWarnings;
using detectors::now_ns;
using detectors::shared;

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
  auto& st = detectors::shared();
  std::lock_guard g(st.mu);
  return {st.warnings.begin(), st.warnings.end()};
}

}  // namespace lucid::console
