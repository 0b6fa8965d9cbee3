// A task that yields in a loop must not starve timers or I/O: once it
// yields, the tasks that a due timer or ready I/O wakes run before it runs
// again (issue: a 5 ms sleep took ~60 ms beside a 1 ms-per-poll yielder,
// because the driver was looked at only every 61 polls).
//
// The assertions are on the order of events, never on durations: the
// yielder counts its polls that start after a yield that followed the event
// (the timer's deadline passed, the bytes were written) and before the woken
// task ran.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstddef>

#include "lucid/net/tcp.hpp"
#include "lucid/rt/runtime.hpp"
#include "lucid/rt/spawn.hpp"
#include "lucid/time/sleep.hpp"

namespace {

using namespace std::chrono_literals;
using lucid::task;

enum class flavour { current_thread, multi_thread };

lucid::runtime make_runtime(flavour f, bool paused_clock = false) {
  return f == flavour::current_thread ? lucid::runtime::current_thread(paused_clock)
                                      : lucid::runtime::multi_thread(1);
}

struct race {
  std::atomic<bool> event{false};      // the deadline passed / the bytes were written
  std::atomic<bool> woken{false};      // the waiting task ran
  std::atomic<int> polls_after{0};     // yielder polls started after the event
  std::atomic<int> seen_by_woken{-1};  // polls_after when the waiting task ran
};

class Fairness : public ::testing::TestWithParam<flavour> {};

TEST_P(Fairness, AYieldingTaskDoesNotDelayADueTimer) {
  auto rt = make_runtime(GetParam());
  race r;
  rt.block_on([](race* r) -> task<> {
    const auto deadline = lucid::clock::now() + 20ms;
    auto waiter = lucid::spawn([](race* r, lucid::time_point deadline) -> task<> {
      co_await lucid::sleep_until(deadline);
      r->seen_by_woken.store(r->polls_after.load());
      r->woken.store(true);
    }(r, deadline));
    // The yielder notes, just before it yields, that the deadline has
    // passed: from that yield on the timer is due, and every poll of the
    // yielder that starts after it counts. (Noting it at the start of a poll
    // counted a poll that began just after the worker fired timers that were
    // not yet due: a flaky failure under ASan.)
    auto spin = lucid::spawn([](race* r, lucid::time_point deadline) -> task<> {
      for (int i = 0; i < 20'000 && !r->woken.load(); ++i) {
        if (r->event.load()) r->polls_after.fetch_add(1);
        auto until = lucid::clock::now() + 200us;
        while (lucid::clock::now() < until) {
        }
        if (lucid::clock::now() >= deadline) r->event.store(true);
        co_await lucid::yield_now{};
      }
    }(r, deadline));
    co_await waiter;
    co_await spin;
  }(&r));
  ASSERT_TRUE(r.woken.load());
  // The poll during which the deadline passed ends with a yield; the timer's
  // task must run next: no poll of the yielder may start in between.
  EXPECT_EQ(r.seen_by_woken.load(), 0);
}

TEST_P(Fairness, AYieldingTaskDoesNotDelayReadyIo) {
  // current_thread runs with the paused clock (tests' usual set-up): I/O
  // readiness does not depend on it.
  auto rt = make_runtime(GetParam(), GetParam() == flavour::current_thread);
  race r;
  rt.block_on([](race* r) -> task<> {
    auto l = lucid::net::tcp_listener::bind("127.0.0.1:0");
    EXPECT_TRUE(l);
    auto client = co_await lucid::net::tcp_stream::connect(*l->local_addr());
    EXPECT_TRUE(client);
    auto server = co_await l->accept();
    EXPECT_TRUE(server);
    auto reader = lucid::spawn([](race* r, lucid::net::tcp_stream s) -> task<> {
      std::byte b[8];
      auto n = co_await s.read_some(b, sizeof b);
      EXPECT_TRUE(n);
      r->seen_by_woken.store(r->polls_after.load());
      r->woken.store(true);
    }(r, std::move(*server)));
    const int fd = client->native_handle();
    auto spin = lucid::spawn([](race* r, int fd) -> task<> {
      for (int i = 0; i < 20'000 && !r->woken.load(); ++i) {
        if (r->event.load()) r->polls_after.fetch_add(1);
        if (i == 20) {
          // Plain blocking write on the peer: the reader's socket becomes
          // readable while this task keeps yielding.
          EXPECT_EQ(::write(fd, "x", 1), 1);
          r->event.store(true);
        }
        co_await lucid::yield_now{};
      }
    }(r, fd));
    co_await reader;
    co_await spin;
  }(&r));
  ASSERT_TRUE(r.woken.load());
  // The poll that wrote ends with a yield; the reader must run before the
  // yielder's next poll.
  EXPECT_EQ(r.seen_by_woken.load(), 0);
}

INSTANTIATE_TEST_SUITE_P(Flavours, Fairness,
                         ::testing::Values(flavour::current_thread, flavour::multi_thread),
                         [](const auto& info) {
                           return info.param == flavour::current_thread ? "current_thread"
                                                                        : "multi_thread";
                         });

}  // namespace
