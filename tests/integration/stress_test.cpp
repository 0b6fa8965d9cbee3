// Stress tests of the runtime with sync and time: cross-thread wake-ups racing
// aborts and timeouts, abort at every kind of suspension point, join handles
// dropped while their task completes, and thousands of panicking tasks while
// the runtime keeps serving.
//
// Contract: every test is bounded in count AND in time. The counts below
// (10^6 wake/abort/timeout races) are reached in the release, dev and asan
// presets. Under ThreadSanitizer (every atomic and lock instrumented: the
// races test took 8-24 s for a quarter of the count on a loaded 2-core
// machine) they are divided by kDivisor so that each case stays well under a
// minute. Independently of the count, a loop stops starting new batches once
// kTimeBudget has passed and says how far it got (a bound, not an assertion:
// nothing here asserts on time). What is asserted is accounting: every task's
// outcome is counted, runtime::live_tasks() returns to the expected value,
// no permit or value is lost; ASan (detect_leaks) and TSan (halt_on_error)
// check the rest.
#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "lucid/rt/join_handle.hpp"
#include "lucid/rt/runtime.hpp"
#include "lucid/rt/select.hpp"
#include "lucid/rt/spawn.hpp"
#include "lucid/rt/when_all.hpp"
#include "lucid/sync/mpsc.hpp"
#include "lucid/sync/mutex.hpp"
#include "lucid/sync/notify.hpp"
#include "lucid/sync/oneshot.hpp"
#include "lucid/sync/semaphore.hpp"
#include "lucid/time/sleep.hpp"
#include "lucid/time/timeout.hpp"

using namespace std::chrono_literals;

namespace {

#if defined(LUCID_SANITIZER_THREAD)
constexpr long kDivisor = 4;
constexpr const char* kPreset = "tsan";
#elif defined(LUCID_SANITIZER_ADDRESS)
constexpr long kDivisor = 1;  // the races test took 2.5 s for half the count
constexpr const char* kPreset = "asan";
#else
constexpr long kDivisor = 1;
constexpr const char* kPreset = "release/dev";
#endif

/// Past this, a loop starts no new batch (a bound on the test's time).
constexpr auto kTimeBudget = 40s;

using clock_type = std::chrono::steady_clock;

bool out_of_time(clock_type::time_point start) {
  return clock_type::now() - start > kTimeBudget;
}

void report(const char* what, long done, long planned) {
  std::printf("[ stress   ] %s: %ld of %ld (%s, divisor %ld)\n", what, done, planned, kPreset,
              kDivisor);
}

/// Counts destructions (of the frame that owned it).
struct count_on_destroy {
  std::atomic<long>* n;
  explicit count_on_destroy(std::atomic<long>* p) : n(p) {}
  count_on_destroy(count_on_destroy&& o) noexcept : n(std::exchange(o.n, nullptr)) {}
  count_on_destroy(const count_on_destroy&) = delete;
  ~count_on_destroy() {
    if (n) n->fetch_add(1, std::memory_order_relaxed);
  }
};

/// Yields until rt runs no task but the caller.
lucid::task<> settle(lucid::runtime* rt, std::size_t others = 0) {
  while (rt->live_tasks() != 1 + others)
    co_await lucid::yield_now{};
}

// ---------------------------------------------------------------------------
// 1. Cross-thread wake-ups racing aborts and timeouts.
//
// Each race is one waiter task with a short timeout on a semaphore acquire or
// a oneshot receive; the wake-up comes from a task on the other worker or from
// a blocking-pool thread (not a worker), while the main task aborts every
// third waiter. Whatever wins, the waiter's outcome is counted once, and a
// semaphore permit is never lost: those acquired plus those still available
// equal those released, even when a waiter was granted a permit in the same
// instant it timed out or was aborted.

enum outcome : int { got = 0, timed_out = 1, closed = 2 };

std::chrono::nanoseconds race_timeout(long i) {
  switch (i % 5) {
    case 0:
      return 0ns;
    case 1:
      return 1us;
    case 2:
      return 20us;
    case 3:
      return 200us;
    default:
      return 2ms;
  }
}

lucid::task<int> semaphore_waiter(lucid::semaphore* s, std::chrono::nanoseconds d) {
  auto r = co_await lucid::timeout(d, s->acquire());
  if (!r) {
    EXPECT_EQ(r.error().code, lucid::errc::timed_out);
    co_return timed_out;
  }
  if (!*r) co_return closed;
  (**r).forget();  // keep the permit for good: the accounting below counts it
  co_return got;
}

lucid::task<int> oneshot_waiter(lucid::oneshot::receiver<std::string> rx,
                                std::chrono::nanoseconds d) {
  auto r = co_await lucid::timeout(d, rx.recv());
  if (!r) co_return timed_out;
  if (!*r) co_return closed;
  EXPECT_EQ((**r).size(), 40u);
  co_return got;
}

/// On a worker: releases `n` permits and sends every value, yielding now and then.
lucid::task<long> worker_waker(lucid::semaphore* s, long n,
                               std::vector<lucid::oneshot::sender<std::string>> txs) {
  long sent = 0;
  for (long i = 0; i < n || i < static_cast<long>(txs.size()); ++i) {
    if (i < n) s->release(1);
    if (i < static_cast<long>(txs.size())) sent += txs[i].send(std::string(40, 'w')) ? 1 : 0;
    if (i % 16 == 0) co_await lucid::yield_now{};
  }
  co_return sent;
}

struct race_totals {
  long races = 0, got = 0, timed_out = 0, closed = 0, aborted = 0, sends_ok = 0;
};

lucid::task<race_totals> wake_abort_timeout_batches(long batches, long per_batch,
                                                    clock_type::time_point start) {
  race_totals t;
  for (long b = 0; b < batches && !out_of_time(start); ++b) {
    lucid::semaphore sem(0);
    std::vector<lucid::join_handle<int>> waiters;
    waiters.reserve(per_batch);
    std::vector<lucid::oneshot::sender<std::string>> on_worker, foreign;
    long sem_waiters = 0;
    for (long i = 0; i < per_batch; ++i) {
      if (i % 2 == 0) {
        waiters.push_back(lucid::spawn(semaphore_waiter(&sem, race_timeout(i / 2 + b))));
        ++sem_waiters;
      } else {
        auto [tx, rx] = lucid::oneshot::channel<std::string>();
        waiters.push_back(lucid::spawn(oneshot_waiter(std::move(rx), race_timeout(i / 2 + b))));
        ((i / 2) % 2 == 0 ? on_worker : foreign).push_back(std::move(tx));
      }
    }
    // Half the permits of the waiters: the others time out. Half of those
    // come from a worker, half from a blocking-pool thread.
    const long releases = sem_waiters / 2;
    auto waker = lucid::spawn(worker_waker(&sem, releases / 2, std::move(on_worker)));
    auto fsenders =
        std::make_shared<std::vector<lucid::oneshot::sender<std::string>>>(std::move(foreign));
    auto* semp = &sem;
    const long foreign_releases = releases - releases / 2;
    // abort() may be called from any thread: this thread aborts half of the
    // aborted waiters. `waiters` is not touched again until the job is done.
    const lucid::join_handle<int>* hs = waiters.data();
    auto foreign_job = [semp, fsenders, foreign_releases, hs, per_batch] {
      long sent = 0;
      const long n =
          std::max({foreign_releases, static_cast<long>(fsenders->size()), per_batch / 6 + 1});
      for (long i = 0; i < n; ++i) {
        if (i < foreign_releases) semp->release(1);
        if (i < static_cast<long>(fsenders->size())) {
          sent += (*fsenders)[i].send(std::string(40, 'f')) ? 1 : 0;
        }
        if (6 * i + 3 < per_batch) hs[6 * i + 3].abort();
      }
      return sent;
    };
    auto foreign_done = lucid::spawn_blocking(foreign_job);  // a blocking-pool thread wakes
    // Abort every third waiter (half of them here, half from the foreign
    // thread) while the wake-ups and timers race it.
    for (long i = 0; i < per_batch; i += 6) {
      waiters[i].abort();
      if (i % 48 == 0) co_await lucid::yield_now{};
    }
    t.sends_ok += co_await waker;
    t.sends_ok += co_await std::move(foreign_done);
    long sem_got = 0;
    for (long i = 0; i < per_batch; ++i) {
      try {
        switch (co_await waiters[i]) {
          case got:
            ++t.got;
            sem_got += i % 2 == 0;
            break;
          case timed_out:
            ++t.timed_out;
            break;
          default:
            ++t.closed;
            break;
        }
      } catch (const lucid::task_aborted&) {
        ++t.aborted;
      }
    }
    t.races += per_batch;
    // Acquired (and forgotten) plus still available equals released: a permit
    // granted to a waiter that timed out or was aborted in that instant went
    // back to the semaphore; none was lost or made up.
    EXPECT_EQ(sem_got + static_cast<long>(sem.available_permits()), releases) << "batch " << b;
    if (::testing::Test::HasFailure()) break;
  }
  co_return t;
}

TEST(Stress, CrossThreadWakeAbortTimeoutRaces) {
  const long total = 1'000'000 / kDivisor;
  const long per_batch = 1000;
  const auto start = clock_type::now();
  auto rt = lucid::runtime::multi_thread(2);
  auto t = rt.block_on(wake_abort_timeout_batches(total / per_batch, per_batch, start));
  report("wake/abort/timeout races", t.races, total);
  std::printf("[ stress   ] outcomes: %ld got, %ld timed out, %ld aborted; %ld sends delivered\n",
              t.got, t.timed_out, t.aborted, t.sends_ok);
  EXPECT_GT(t.races, 0);
  EXPECT_EQ(t.got + t.timed_out + t.closed + t.aborted, t.races);  // every waiter counted once
  EXPECT_EQ(t.closed, 0);                                          // no sender is dropped unsent
  EXPECT_GT(t.aborted, 0);
  EXPECT_EQ(rt.live_tasks(), 0u);
}

// mpsc: a receiver whose recv keeps timing out (cancel-safe) while senders on
// a worker wait for room in a full channel and a blocking-pool thread pushes
// through try_send: every value arrives exactly once.
lucid::task<long> timed_out_receiver(lucid::mpsc::receiver<long>* rx, long* timeouts) {
  long sum = 0;
  for (long i = 0;; ++i) {
    std::chrono::nanoseconds d = (i % 3 == 0) ? 0ns : 5us;
    auto r = co_await lucid::timeout(d, rx->recv());
    if (!r) {
      ++*timeouts;
      continue;
    }
    if (!*r) break;  // closed and drained
    sum += **r;
  }
  co_return sum;
}

lucid::task<> awaiting_sender(lucid::mpsc::sender<long> tx, long from, long n) {
  for (long v = from; v < from + n; ++v) {
    auto r = co_await tx.send(v);
    EXPECT_TRUE(r);
  }
}

TEST(Stress, ChannelRecvRacingTimeoutsLosesNoValue) {
  const long per_sender = 100'000 / kDivisor;
  auto rt = lucid::runtime::multi_thread(2);
  auto r = rt.block_on([](long per_sender) -> lucid::task<std::pair<long, long>> {
    auto [tx, rx] = lucid::mpsc::bounded<long>(8);
    long timeouts = 0;
    auto receiver = lucid::spawn(timed_out_receiver(&rx, &timeouts));
    auto a = lucid::spawn(awaiting_sender(tx.clone(), 1, per_sender));
    auto b = lucid::spawn(awaiting_sender(tx.clone(), 1 + per_sender, per_sender));
    auto foreign = std::make_shared<lucid::mpsc::sender<long>>(std::move(tx));
    auto job = [foreign, per_sender] {
      for (long v = 1 + 2 * per_sender; v <= 3 * per_sender; ++v) {
        // Full: back off without spinning (the workers need the cores).
        while (foreign->try_send(v).error().code == lucid::errc::full)
          std::this_thread::sleep_for(20us);
      }
      *foreign = lucid::mpsc::sender<long>();  // the last sender goes: the channel closes
    };
    auto pushed = lucid::spawn_blocking(job);
    co_await a;
    co_await b;
    co_await std::move(pushed);
    long sum = co_await receiver;
    co_return std::make_pair(sum, timeouts);
  }(per_sender));
  const long n = 3 * per_sender;
  report("channel values", n, 3 * 100'000 / kDivisor);
  EXPECT_EQ(r.first, n * (n + 1) / 2);  // every value exactly once
  std::printf("[ stress   ] receives that timed out: %ld\n", r.second);
  EXPECT_EQ(rt.live_tasks(), 0u);
}

// ---------------------------------------------------------------------------
// 2. Abort at every kind of suspension point.
//
// Each kind parks a task where it cannot finish (the resource is held or
// never signalled), the main task waits until the task reached it (on the
// current_thread runtime that means it is suspended there: nothing else runs
// until the main task yields), aborts it, and checks that the frame is gone
// (its guard ran), the join gives task_aborted, and the resource is usable
// and lost nothing.

enum class point {
  yield,
  sleep,
  timeout,
  join_handle,
  mutex_lock,
  semaphore_acquire,
  notify,
  oneshot_recv,
  mpsc_send_full,
  mpsc_recv_empty,
  spawn_blocking,
  select,
  when_all,
  count_
};

const char* name(point p) {
  static const char* names[] = {"yield",
                                "sleep",
                                "timeout",
                                "join handle",
                                "mutex lock",
                                "semaphore acquire",
                                "notify",
                                "oneshot recv",
                                "mpsc send (full)",
                                "mpsc recv (empty)",
                                "spawn_blocking",
                                "select",
                                "when_all"};
  return names[static_cast<int>(p)];
}

lucid::task<> never_ends() {
  for (;;)
    co_await lucid::yield_now{};
}

struct park_env {
  lucid::mutex m;
  lucid::semaphore sem{0};
  lucid::notify n;
  lucid::oneshot::sender<int> os_tx;
  lucid::oneshot::receiver<int> os_rx;
  lucid::mpsc::sender<int> full_tx;
  lucid::mpsc::receiver<int> full_rx;
  lucid::mpsc::sender<int> empty_tx;
  lucid::mpsc::receiver<int> empty_rx;
  lucid::join_handle<void> stuck;
  std::atomic<bool> blocking_go{false};
  std::atomic<bool> blocking_done{false};
  std::atomic<bool> reached{false};
  std::atomic<long> destroyed{0};
  park_env() {
    auto [a, b] = lucid::oneshot::channel<int>();
    os_tx = std::move(a);
    os_rx = std::move(b);
    auto [c, d] = lucid::mpsc::bounded<int>(1);
    full_tx = std::move(c);
    full_rx = std::move(d);
    EXPECT_TRUE(full_tx.try_send(1));  // full now
    auto [e, f] = lucid::mpsc::unbounded<int>();
    empty_tx = std::move(e);
    empty_rx = std::move(f);
  }
};

std::string blocking_until(park_env* e) {
  while (!e->blocking_go.load())
    std::this_thread::sleep_for(100us);
  e->blocking_done.store(true);
  return std::string(64, 'b');  // dropped: nobody awaits it any more
}

lucid::task<> park_at(point p, park_env* e, count_on_destroy guard) {
  (void)guard;
  e->reached.store(true);
  switch (p) {
    case point::yield:
      co_await never_ends();
      break;
    case point::sleep:
      co_await lucid::sleep(1h);
      break;
    case point::timeout:
      (void)co_await lucid::timeout(1h, e->n.notified());
      break;
    case point::join_handle:
      co_await e->stuck;
      break;
    case point::mutex_lock:
      (void)co_await e->m.lock();
      break;
    case point::semaphore_acquire:
      (void)co_await e->sem.acquire();
      break;
    case point::notify:
      co_await e->n.notified();
      break;
    case point::oneshot_recv:
      (void)co_await e->os_rx.recv();
      break;
    case point::mpsc_send_full:
      (void)co_await e->full_tx.send(2);
      break;
    case point::mpsc_recv_empty:
      (void)co_await e->empty_rx.recv();
      break;
    case point::spawn_blocking: {
      auto job = [e] { return blocking_until(e); };
      (void)co_await lucid::spawn_blocking(job);
      break;
    }
    case point::select:
      (void)co_await lucid::select(e->n.notified(), e->sem.acquire());
      break;
    case point::when_all:
      (void)co_await lucid::when_all(e->m.lock(), e->n.notified());
      break;
    case point::count_:
      break;
  }
  ADD_FAILURE() << "the task parked at " << name(p) << " went on";
}

/// Parks a task at p, aborts it, checks the resource; true if all held.
lucid::task<bool> abort_at(point p, lucid::runtime* rt) {
  park_env e;
  std::optional<lucid::mutex_guard> held = e.m.try_lock();  // the lock the waiters want
  if (p == point::join_handle) e.stuck = lucid::spawn(never_ends());
  const std::size_t base = rt->live_tasks();
  auto h = lucid::spawn(park_at(p, &e, count_on_destroy(&e.destroyed)));
  while (!e.reached.load())
    co_await lucid::yield_now{};
  co_await lucid::yield_now{};
  EXPECT_FALSE(h.is_finished()) << name(p);
  h.abort();
  bool aborted = false;
  try {
    co_await h;
  } catch (const lucid::task_aborted&) {
    aborted = true;
  }
  EXPECT_TRUE(aborted) << name(p);
  EXPECT_EQ(e.destroyed.load(), 1) << name(p);
  // What the aborted task waited on is intact.
  switch (p) {
    case point::mutex_lock:
    case point::when_all:
      held.reset();
      EXPECT_TRUE(e.m.try_lock().has_value()) << name(p);  // the dead waiter took nothing
      break;
    case point::semaphore_acquire:
    case point::select:
      e.sem.release(1);
      EXPECT_EQ(e.sem.available_permits(), 1u) << name(p);
      break;
    case point::oneshot_recv: {
      EXPECT_TRUE(e.os_tx.send(5)) << name(p);
      auto v = e.os_rx.try_recv();
      EXPECT_TRUE(v && *v == 5) << name(p);
      break;
    }
    case point::mpsc_send_full: {
      auto first = e.full_rx.try_recv();
      EXPECT_TRUE(first && *first == 1) << name(p);
      EXPECT_EQ(e.full_rx.try_recv().error().code, lucid::errc::empty) << name(p);
      break;
    }
    case point::mpsc_recv_empty: {
      EXPECT_TRUE(e.empty_tx.try_send(3)) << name(p);
      auto v = e.empty_rx.try_recv();
      EXPECT_TRUE(v && *v == 3) << name(p);
      break;
    }
    case point::spawn_blocking:
      e.blocking_go.store(true);
      while (!e.blocking_done.load())
        co_await lucid::yield_now{};
      break;
    case point::join_handle:
      EXPECT_FALSE(e.stuck.is_finished()) << name(p);  // the awaited task runs on
      e.stuck.abort();
      try {
        co_await e.stuck;
      } catch (const lucid::task_aborted&) {
      }
      break;
    default:
      break;
  }
  if (p == point::notify || p == point::timeout || p == point::select) {
    // A stored permit still reaches the next waiter: the aborted one took nothing.
    e.n.notify_one();
    auto r = co_await lucid::timeout(30s, e.n.notified());
    EXPECT_TRUE(r) << name(p);
  }
  EXPECT_EQ(rt->live_tasks(), p == point::join_handle ? base - 1 : base) << name(p);
  co_return !::testing::Test::HasFailure();
}

TEST(Stress, AbortAtEverySuspensionPoint) {
  const int rounds = static_cast<int>(std::max<long>(2, 100 / kDivisor));
  for (auto make : {+[] { return lucid::runtime::current_thread(); },
                    +[] { return lucid::runtime::multi_thread(2); }}) {
    auto rt = make();
    bool ok = rt.block_on([](lucid::runtime* rt, int rounds) -> lucid::task<bool> {
      for (int r = 0; r < rounds; ++r) {
        for (int p = 0; p < static_cast<int>(point::count_); ++p) {
          if (!co_await abort_at(static_cast<point>(p), rt)) co_return false;
        }
      }
      co_return true;
    }(&rt, rounds));
    EXPECT_TRUE(ok);
    EXPECT_EQ(rt.live_tasks(), 0u);
  }
}

// ---------------------------------------------------------------------------
// 3. Join handles dropped (or aborted and dropped) while the task completes,
// on the main task's worker or on a blocking-pool thread.

/// `g` is a parameter, not a local: an aborted task may never have started,
/// and only its parameters live in its frame then.
lucid::task<std::string> short_lived(long i, count_on_destroy g, std::atomic<long>* finished) {
  (void)g;
  for (long k = 0; k < i % 3; ++k)
    co_await lucid::yield_now{};
  finished->fetch_add(1, std::memory_order_relaxed);
  co_return std::string(48, 'r');  // a heap result nobody takes: ASan checks it is freed
}

TEST(Stress, JoinHandlesDroppedWhileTheTaskCompletes) {
  const long total = 200'000 / kDivisor;
  const long per_batch = 1000;
  const auto start = clock_type::now();
  std::atomic<long> destroyed{0}, finished{0};
  auto rt = lucid::runtime::multi_thread(2);
  long spawned = rt.block_on([](lucid::runtime* rt, long batches, long per_batch,
                                std::atomic<long>* destroyed, std::atomic<long>* finished,
                                clock_type::time_point start) -> lucid::task<long> {
    long spawned = 0;
    for (long b = 0; b < batches && !out_of_time(start); ++b) {
      auto foreign = std::make_shared<std::vector<lucid::join_handle<std::string>>>();
      for (long i = 0; i < per_batch; ++i) {
        auto h = lucid::spawn(short_lived(i + b, count_on_destroy(destroyed), finished));
        ++spawned;
        if (i % 5 == 0) h.abort();  // aborting races the completion too
        if (i % 7 == 0) co_await lucid::yield_now{};
        if (i % 2 == 0) {
          foreign->push_back(std::move(h));  // dropped on a blocking-pool thread below
        }                                    // else dropped here, now
      }
      auto drop = [foreign] { foreign->clear(); };
      co_await lucid::spawn_blocking(drop);
    }
    co_await settle(rt);
    co_return spawned;
  }(&rt, total / per_batch, per_batch, &destroyed, &finished, start));
  report("dropped join handles", spawned, total);
  EXPECT_GT(spawned, 0);
  EXPECT_EQ(destroyed.load(), spawned);                     // every frame destroyed exactly once
  EXPECT_LE(finished.load(), spawned);                      // some were aborted first
  EXPECT_GE(finished.load(), spawned - (spawned + 4) / 5);  // only the aborted ones may not finish
  EXPECT_EQ(rt.live_tasks(), 0u);
}

// ---------------------------------------------------------------------------
// 4. Ten thousand panicking tasks, the runtime serving on.

lucid::task<int> panics(long i) {
  for (long k = 0; k < i % 3; ++k)
    co_await lucid::yield_now{};
  throw std::runtime_error("panic " + std::to_string(i));
}

/// How many times `needle` occurs in `text` (panic reports on stderr).
long occurrences(const std::string& text, const std::string& needle) {
  long n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1))
    ++n;
  return n;
}

lucid::task<long> heartbeat(std::atomic<bool>* stop) {
  long beats = 0;
  while (!stop->load()) {
    ++beats;
    co_await lucid::yield_now{};
  }
  co_return beats;
}

// A handle dropped while its task throws on the other worker: the drop and
// the completion race for the last reference, and whichever gives it back
// reports the panic. Every panic is reported exactly once.
TEST(Stress, HandlesDroppedWhileTheirTasksPanicReportEachOnce) {
  const long n = 400;
  auto rt = lucid::runtime::multi_thread(2);
  ::testing::internal::CaptureStderr();
  rt.block_on([](lucid::runtime* rt, long n) -> lucid::task<> {
    std::vector<lucid::join_handle<int>> hs;
    for (long i = 0; i < n; ++i)
      hs.push_back(lucid::spawn("dropped-panic", panics(i)));
    // Drop them at staggered times: some before their task ran, some while
    // it runs, some after it finished.
    for (long i = 0; i < n; ++i) {
      if (i % 5 == 0) co_await lucid::yield_now{};
      hs[i].detach();
    }
    co_await settle(rt);
  }(&rt, n));
  std::string err = ::testing::internal::GetCapturedStderr();
  long reports = occurrences(err, "'dropped-panic'");
  EXPECT_EQ(reports, n) << err.substr(0, 2000);
}

/// stderr into a pipe that the test reads while the runtime runs (gtest's
/// capture can be read only once, at its end).
class stderr_pipe {
 public:
  stderr_pipe() {
    int fds[2];
    if (::pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) return;
    ::fcntl(fds[1], F_SETPIPE_SZ, 1 << 20);  // the reports of one test fit
    std::fflush(stderr);
    saved_ = ::dup(2);
    ::dup2(fds[1], 2);
    ::close(fds[1]);
    read_ = fds[0];
  }
  ~stderr_pipe() {
    std::fflush(stderr);
    ::dup2(saved_, 2);
    ::close(saved_);
    ::close(read_);
  }
  bool ok() const { return read_ >= 0; }
  /// Everything written so far.
  const std::string& text() {
    char buf[4096];
    for (ssize_t n; (n = ::read(read_, buf, sizeof buf)) > 0;)
      text_.append(buf, static_cast<std::size_t>(n));
    return text_;
  }

 private:
  int saved_ = -1;
  int read_ = -1;
  std::string text_;
};

// The report of a panic nobody observed is written before live_tasks() stops
// counting the task, whichever end comes last: the handle dropped before the
// task finished (the completion reports), or after (the drop reports), or the
// two racing on two workers. A program that waits for its tasks to end finds
// every report on stderr.
TEST(Stress, AnUnobservedPanicIsReportedBeforeTheTaskStopsCounting) {
  const long n = 300 / kDivisor;
  auto rt = lucid::runtime::multi_thread(2);
  std::string text;
  long late = 0;
  {
    stderr_pipe err;
    ASSERT_TRUE(err.ok());
    // This thread is not a worker: it spawns, drops the handle and watches
    // live_tasks() while a worker runs the task and reports.
    for (long i = 0; i < n; ++i) {
      auto h = rt.spawn("counted-panic", panics(i));
      for (long k = 0; k < (i % 4) * 500; ++k)  // drop before, during or after the end
        (void)rt.live_tasks();
      h.detach();
      while (rt.live_tasks() != 0) {
        // spin: the moment the count drops is what is checked
      }
      late += occurrences(err.text(), "'counted-panic'") != i + 1;
    }
    text = err.text();
  }
  EXPECT_EQ(late, 0) << "times the task had stopped counting before its report was out";
  EXPECT_EQ(occurrences(text, "'counted-panic'"), n) << text.substr(0, 2000);
}

TEST(Stress, TenThousandPanickingTasksAndTheRuntimeServesOn) {
  const long joined = 10'000;
  const long detached = 20;
  auto rt = lucid::runtime::multi_thread(2);
  std::atomic<bool> stop{false};
  auto beat = rt.spawn(heartbeat(&stop));
  // Joined: each panic is observed (rethrown from the handle), so none is reported.
  long caught = rt.block_on([](long n) -> lucid::task<long> {
    std::vector<lucid::join_handle<int>> hs;
    hs.reserve(n);
    for (long i = 0; i < n; ++i)
      hs.push_back(lucid::spawn(panics(i)));
    long caught = 0;
    for (long i = 0; i < n; ++i) {
      try {
        (void)co_await hs[i];
      } catch (const std::runtime_error& e) {
        caught += std::string(e.what()) == "panic " + std::to_string(i);
      }
    }
    co_return caught;
  }(joined));
  EXPECT_EQ(caught, joined);
  // Detached: each is reported once on stderr, and the runtime keeps going.
  ::testing::internal::CaptureStderr();
  rt.block_on([](lucid::runtime* rt, long n) -> lucid::task<> {
    for (long i = 0; i < n; ++i)
      lucid::spawn("detached-panic", panics(i)).detach();
    co_await settle(rt, 1);  // the heartbeat stays
  }(&rt, detached));
  std::string err = ::testing::internal::GetCapturedStderr();
  long reports = occurrences(err, "'detached-panic'");
  EXPECT_EQ(reports, detached) << err.substr(0, 2000);
  // Still serving: new work runs, and the heartbeat ran all along.
  EXPECT_EQ(rt.block_on([]() -> lucid::task<int> {
    auto h = lucid::spawn([]() -> lucid::task<int> {
      co_await lucid::yield_now{};
      co_return 7;
    }());
    co_return co_await h;
  }()),
            7);
  stop.store(true);
  long beats = rt.block_on([](lucid::join_handle<long> h) -> lucid::task<long> {
    co_return co_await h;
  }(std::move(beat)));
  EXPECT_GT(beats, 0);
  EXPECT_EQ(rt.live_tasks(), 0u);
}

}  // namespace
