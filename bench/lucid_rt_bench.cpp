// lucid_rt_bench: the runtime workloads of ../shared/peers (same names, sizes
// and semantics as tokio's rt_bench), printed in the peers' line format:
//   name: <ns per op> ns/op (<total ms> ms) [key=value ...]
//
// usage: lucid_rt_bench mt2|st [workload ...]
//   mt2 = multi_thread runtime with 2 workers, st = current_thread runtime;
//   mtN (mt1 ... mt256) = N workers, for the scaling runs (bench/scaling/).
// Sizes: SPAWN_N CHAIN_N YIELD_TASKS YIELD_ITERS PINGPONG_MSGS MUTEX_TASKS
//        MUTEX_ITERS TIMER_TASKS TIMER_SPARSE_TASKS TIMER_MIN_US TIMER_MAX_US IDLE_N
// LUCID_BENCH_TASK_STATS=1 turns per-task stats on (lucid/rt/detail/task_stats.hpp),
// to measure what the console's metrics cost; =2 turns on the console's whole
// aggregation instead (lucid::console::enable_aggregation: the stats plus the
// resource tracker, an observer), as a connected console client does.
// Every workload's root is itself a spawned task (so spawning happens on a
// worker), timed on the main thread around block_on.
#include <unistd.h>

#include <fstream>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "lucid/console/console.hpp"
#include "lucid/lucid.hpp"
#include "lucid/rt/detail/task_stats.hpp"
#include "lucid/sync/mpsc.hpp"
#include "lucid/sync/mutex.hpp"
#include "lucid/sync/notify.hpp"

namespace {

using namespace std::chrono;

std::size_t env_size(const char* name, std::size_t def) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return def;
  char* end = nullptr;
  double d = std::strtod(v, &end);  // accepts 1e6
  return end != v && d > 0 ? static_cast<std::size_t>(d) : def;
}

std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  std::uint64_t z = x;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/// Completion latch: counter + lucid::notify (like the tokio peer's AtomicUsize + Notify).
struct latch {
  explicit latch(std::size_t n) : remaining(n) {}
  std::atomic<std::size_t> remaining;
  lucid::notify done;
  void count_down() {
    if (remaining.fetch_sub(1, std::memory_order_acq_rel) == 1) done.notify_one();
  }
  auto wait() { return done.notified(); }
};

// 1. spawn N trivial tasks, wait for all.
lucid::task<> count_down(std::shared_ptr<latch> l) {
  l->count_down();
  co_return;
}
lucid::task<> spawn_many(std::size_t n) {
  auto l = std::make_shared<latch>(n);
  for (std::size_t i = 0; i < n; ++i)
    lucid::spawn(count_down(l)).detach();
  co_await l->wait();
}

// 2. each task spawns the next; the last signals.
lucid::task<> chain(std::shared_ptr<lucid::notify> done, std::size_t n) {
  if (n == 0) {
    done->notify_one();
  } else {
    lucid::spawn(chain(std::move(done), n - 1)).detach();
  }
  co_return;
}
lucid::task<> chained_spawn(std::size_t n) {
  auto done = std::make_shared<lucid::notify>();
  lucid::spawn(chain(done, n)).detach();
  co_await done->notified();
}

// 3. T tasks x Y yields.
lucid::task<> yielder(std::shared_ptr<latch> l, std::size_t iters) {
  for (std::size_t i = 0; i < iters; ++i)
    co_await lucid::yield_now{};
  l->count_down();
}
lucid::task<> yield_many(std::size_t tasks, std::size_t iters) {
  auto l = std::make_shared<latch>(tasks);
  for (std::size_t i = 0; i < tasks; ++i)
    lucid::spawn(yielder(l, iters)).detach();
  co_await l->wait();
}

// 4. two tasks, two capacity-1 channels, MSGS messages (MSGS/2 round trips).
lucid::task<> ponger(lucid::mpsc::receiver<std::uint64_t> rx,
                     lucid::mpsc::sender<std::uint64_t> tx) {
  for (;;) {
    auto v = co_await rx.recv();
    if (!v) break;
    if (!co_await tx.send(*v + 1)) break;
  }
}
lucid::task<std::uint64_t> pinger(lucid::mpsc::sender<std::uint64_t> tx,
                                  lucid::mpsc::receiver<std::uint64_t> rx, std::uint64_t rounds) {
  std::uint64_t v = 0;
  for (std::uint64_t i = 0; i < rounds; ++i) {
    if (!co_await tx.send(v)) std::abort();
    auto r = co_await rx.recv();
    if (!r) std::abort();
    v = *r;
  }
  co_return v;
}
lucid::task<> ping_pong(std::size_t msgs) {
  std::uint64_t rounds = msgs / 2;
  auto [tx_ping, rx_ping] = lucid::mpsc::bounded<std::uint64_t>(1);
  auto [tx_pong, rx_pong] = lucid::mpsc::bounded<std::uint64_t>(1);
  auto po = lucid::spawn(ponger(std::move(rx_ping), std::move(tx_pong)));
  auto pi = lucid::spawn(pinger(std::move(tx_ping), std::move(rx_pong), rounds));
  std::uint64_t v = co_await pi;
  co_await po;
  if (v != rounds) std::abort();
}

// 5. T tasks x I lock/+1/unlock of one mutex.
struct counter {
  lucid::mutex m;
  std::uint64_t value = 0;
};
lucid::task<> locker(std::shared_ptr<counter> c, std::shared_ptr<latch> l, std::size_t iters) {
  for (std::size_t i = 0; i < iters; ++i) {
    auto g = co_await c->m.lock();
    c->value += 1;
  }
  l->count_down();
}
lucid::task<> mutex_contended(std::size_t tasks, std::size_t iters) {
  auto c = std::make_shared<counter>();
  auto l = std::make_shared<latch>(tasks);
  for (std::size_t i = 0; i < tasks; ++i)
    lucid::spawn(locker(c, l, iters)).detach();
  co_await l->wait();
  auto g = co_await c->m.lock();
  if (c->value != tasks * iters) std::abort();
}

// 6. N tasks sleep 1-10 ms (splitmix64 durations); overshoot measured inside the task.
struct timer_stats {
  std::atomic<std::uint64_t> sum_ns{0};
  std::atomic<std::uint64_t> max_ns{0};
};
lucid::task<> sleeper(std::shared_ptr<latch> l, std::shared_ptr<timer_stats> s, microseconds d) {
  auto t0 = steady_clock::now();
  co_await lucid::sleep(d);
  auto el = steady_clock::now() - t0;
  auto over = el > d ? static_cast<std::uint64_t>(duration_cast<nanoseconds>(el - d).count()) : 0;
  s->sum_ns.fetch_add(over, std::memory_order_relaxed);
  std::uint64_t m = s->max_ns.load(std::memory_order_relaxed);
  while (over > m && !s->max_ns.compare_exchange_weak(m, over, std::memory_order_relaxed)) {
  }
  l->count_down();
}
lucid::task<> timers(std::size_t n, std::uint64_t min_us, std::uint64_t max_us,
                     std::shared_ptr<timer_stats> s) {
  auto l = std::make_shared<latch>(n);
  std::uint64_t span = max_us - min_us + 1;
  for (std::size_t i = 0; i < n; ++i) {
    microseconds d(min_us + splitmix64(i) % span);
    lucid::spawn(sleeper(l, s, d)).detach();
  }
  co_await l->wait();
}

// 7. IDLE_N tasks each suspended on one shared gate (a lucid::notify held
//    through a shared_ptr clone, like the tokio peer's Arc<Notify>); reports
//    the resident memory they add, per task, read from /proc/self/statm
//    before spawning and once all are suspended; then the gate opens
//    (notify_waiters) and all finish. ns/op is the spawn-to-all-finished time.
std::uint64_t rss_bytes() {
  std::ifstream f("/proc/self/statm");
  std::uint64_t size = 0, resident = 0;
  f >> size >> resident;
  return resident * static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE));
}
lucid::task<> idle_task(std::shared_ptr<lucid::notify> gate, std::shared_ptr<latch> started,
                        std::shared_ptr<latch> done) {
  auto wait = gate->notified();  // from here on, notify_waiters() is seen
  started->count_down();
  co_await wait;
  done->count_down();
}
lucid::task<> idle_tasks(std::size_t n, std::shared_ptr<std::uint64_t> bytes_per_task) {
  auto gate = std::make_shared<lucid::notify>();
  auto started = std::make_shared<latch>(n);
  auto done = std::make_shared<latch>(n);
  std::uint64_t before = rss_bytes();
  for (std::size_t i = 0; i < n; ++i)
    lucid::spawn(idle_task(gate, started, done)).detach();
  co_await started->wait();
  co_await lucid::sleep(milliseconds(20));  // let the last ones suspend
  std::uint64_t after = rss_bytes();
  *bytes_per_task = after > before ? (after - before) / n : 0;
  gate->notify_waiters();
  co_await done->wait();
}

lucid::task<> spawned_root(lucid::task<> t) {
  co_await lucid::spawn(std::move(t));
}

nanoseconds run_on(lucid::runtime& rt, lucid::task<> t) {
  auto t0 = steady_clock::now();
  rt.block_on(spawned_root(std::move(t)));
  return steady_clock::now() - t0;
}

void report(std::string_view name, std::size_t ops, nanoseconds d, const std::string& extra = "") {
  double ns = static_cast<double>(d.count());
  std::printf("%.*s: %.1f ns/op (%.1f ms)%s%s\n", static_cast<int>(name.size()), name.data(),
              ns / static_cast<double>(ops), ns / 1e6, extra.empty() ? "" : " ", extra.c_str());
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  std::string_view flavor = argc > 1 ? argv[1] : "mt2";
  unsigned workers = 0;  // 0: current_thread
  if (flavor != "st") {
    const std::string digits(flavor.starts_with("mt") ? flavor.substr(2) : std::string_view{});
    char* end = nullptr;
    unsigned long n = std::strtoul(digits.c_str(), &end, 10);
    if (digits.empty() || *end != '\0' || n < 1 || n > 256) {
      std::fprintf(stderr, "unknown runtime flavor '%.*s'; use st, mt2, or mtN with N in 1..256\n",
                   static_cast<int>(flavor.size()), flavor.data());
      return 2;
    }
    workers = static_cast<unsigned>(n);
  }
  lucid::runtime rt =
      workers == 0 ? lucid::runtime::current_thread() : lucid::runtime::multi_thread(workers);
  std::vector<std::string_view> selected;
  for (int i = 2; i < argc; ++i)
    selected.emplace_back(argv[i]);
  if (selected.empty()) {
    selected = {"spawn_many",      "chained_spawn", "yield_many",    "ping_pong",
                "mutex_contended", "timers",        "timers_sparse", "idle_tasks"};
  }
  const std::size_t spawn_n = env_size("SPAWN_N", 1'000'000);
  const std::size_t chain_n = env_size("CHAIN_N", 2'000'000);
  const std::size_t yield_tasks = env_size("YIELD_TASKS", 1'000);
  const std::size_t yield_iters = env_size("YIELD_ITERS", 5'000);
  const std::size_t pp_msgs = env_size("PINGPONG_MSGS", 2'000'000);
  const std::size_t mutex_tasks = env_size("MUTEX_TASKS", 1'000);
  const std::size_t mutex_iters = env_size("MUTEX_ITERS", 6'000);
  const std::size_t timer_tasks = env_size("TIMER_TASKS", 100'000);
  const std::size_t timer_sparse = env_size("TIMER_SPARSE_TASKS", 1'000);
  const std::uint64_t tmin = env_size("TIMER_MIN_US", 1'000);
  const std::uint64_t tmax = env_size("TIMER_MAX_US", 10'000);
  const std::size_t idle_n = env_size("IDLE_N", 1'000'000);

  const std::size_t stats_mode = env_size("LUCID_BENCH_TASK_STATS", 0);
  const bool task_stats = stats_mode != 0;
  if (stats_mode == 2) {
    lucid::console::enable_aggregation(true);
  } else {
    lucid::detail::set_task_stats_enabled(task_stats);
  }
  char rt_name[48] = "current_thread";
  if (workers != 0) std::snprintf(rt_name, sizeof rt_name, "multi_thread(workers=%u)", workers);
  std::printf("# peer=lucid-%s rt=%s pid=%d%s\n", "0.1", rt_name, getpid(),
              task_stats ? " task_stats=on" : "");
  run_on(rt, spawn_many(10'000));  // warm-up, not reported
  run_on(rt, yield_many(100, 100));

  for (std::string_view w : selected) {
    if (w == "spawn_many") {
      report(w, spawn_n, run_on(rt, spawn_many(spawn_n)));
    } else if (w == "chained_spawn") {
      report(w, chain_n, run_on(rt, chained_spawn(chain_n)));
    } else if (w == "yield_many") {
      report(w, yield_tasks * yield_iters, run_on(rt, yield_many(yield_tasks, yield_iters)));
    } else if (w == "ping_pong") {
      report(w, pp_msgs, run_on(rt, ping_pong(pp_msgs)));
    } else if (w == "mutex_contended") {
      report(w, mutex_tasks * mutex_iters, run_on(rt, mutex_contended(mutex_tasks, mutex_iters)));
    } else if (w == "timers" || w == "timers_sparse") {
      std::size_t n = w == "timers" ? timer_tasks : timer_sparse;
      auto s = std::make_shared<timer_stats>();
      auto d = run_on(rt, timers(n, tmin, tmax, s));
      char extra[128];
      std::snprintf(extra, sizeof extra, "overshoot_mean_us=%.1f overshoot_max_us=%.1f",
                    static_cast<double>(s->sum_ns.load()) / static_cast<double>(n) / 1e3,
                    static_cast<double>(s->max_ns.load()) / 1e3);
      report(w, n, d, extra);
    } else if (w == "idle_tasks") {
      auto bpt = std::make_shared<std::uint64_t>(0);
      auto d = run_on(rt, idle_tasks(idle_n, bpt));
      report(w, idle_n, d, "bytes_per_task=" + std::to_string(*bpt));
    } else {
      std::fprintf(stderr, "unknown workload '%.*s'\n", static_cast<int>(w.size()), w.data());
      return 2;
    }
  }
  return 0;
}
