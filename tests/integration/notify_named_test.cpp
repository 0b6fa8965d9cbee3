// lucid::notify's named awaiters, which tests observe through timeouts and
// selects (so they live here, beside the other tests that need sync and
// time): notified() receives a notify_waiters() that happens after it was
// created (tokio's guarantee), and a named awaiter survives lost races.
#include <gtest/gtest.h>

#include <atomic>

#include "lucid/rt/runtime.hpp"
#include "lucid/rt/select.hpp"
#include "lucid/rt/spawn.hpp"
#include "lucid/sync/notify.hpp"
#include "lucid/time/clock.hpp"
#include "lucid/time/sleep.hpp"
#include "lucid/time/timeout.hpp"

namespace {

using namespace std::chrono_literals;

// notified() snapshots the notify_waiters() count when it is created (tokio's
// guarantee): interest registered before checking a condition is not lost.
lucid::task<bool> created_then_notify_waiters_then_await() {
  lucid::notify n;
  auto w = n.notified();
  n.notify_waiters();  // nobody is queued, but w was created before
  auto t0 = lucid::time::now();
  auto r = co_await lucid::timeout(1s, w);  // completes at once (a lost wake-up: timed_out)
  co_return r.has_value() && lucid::time::now() == t0;
}

TEST(Notify, NotifyWaitersReachesAnAwaiterCreatedBefore) {
  auto rt = lucid::runtime::current_thread(true);
  EXPECT_TRUE(rt.block_on(created_then_notify_waiters_then_await()));
}

lucid::task<bool> notify_waiters_then_created() {
  lucid::notify n;
  n.notify_waiters();
  auto w = n.notified();  // created after: that call is not for it
  auto r = co_await lucid::timeout(5ms, w);
  co_return !r && r.error() == lucid::errc::timed_out;
}

TEST(Notify, NotifyWaitersDoesNotReachAnAwaiterCreatedAfter) {
  auto rt = lucid::runtime::current_thread(true);
  EXPECT_TRUE(rt.block_on(notify_waiters_then_created()));
}

// The pattern the snapshot exists for: create, check the condition, await.
// `stage` makes the notifier run between the check and the await: without
// the snapshot its notify_waiters() would find nobody queued and be lost.
lucid::task<bool> check_then_await(lucid::notify* n, std::atomic<bool>* flag,
                                   std::atomic<int>* stage) {
  auto w = n->notified();
  bool seen = flag->load();
  stage->store(1);
  while (stage->load() != 2)
    co_await lucid::yield_now{};
  if (!seen) co_await w;
  co_return seen;
}

lucid::task<bool> register_interest_before_checking() {
  lucid::notify n;
  std::atomic<bool> flag{false};
  std::atomic<int> stage{0};
  auto waiter = lucid::spawn(check_then_await(&n, &flag, &stage));
  while (stage.load() != 1)
    co_await lucid::yield_now{};
  flag.store(true);
  n.notify_waiters();  // the waiter is not queued yet
  stage.store(2);
  auto r = co_await lucid::timeout(1s, waiter);  // by reference: a lost wake-up shows as timed_out
  co_return r && !*r;                            // the waiter did not see the flag, yet it woke
}

TEST(Notify, InterestRegisteredBeforeTheCheckIsNotLost) {
  auto rt = lucid::runtime::current_thread(true);
  EXPECT_TRUE(rt.block_on(register_interest_before_checking()));
}

// notify_one is unchanged: it stores one permit that the next awaited
// notified() consumes, whenever that awaiter was created.
lucid::task<bool> notify_one_with_named_awaiters() {
  lucid::notify n;
  auto before = n.notified();
  n.notify_one();  // nobody waits: one permit
  auto after = n.notified();
  co_await after;                                 // consumes the permit
  auto r = co_await lucid::timeout(5ms, before);  // no second permit
  if (r) co_return false;
  n.notify_one();
  auto r2 = co_await lucid::timeout(5ms, before);  // the same awaiter, awaited again
  co_return r2.has_value();
}

TEST(Notify, NotifyOneStillStoresOnePermitForNamedAwaiters) {
  auto rt = lucid::runtime::current_thread(true);
  EXPECT_TRUE(rt.block_on(notify_one_with_named_awaiters()));
}

// A named awaiter in select: the losing branch leaves the queue (a later
// notify_one is stored as the permit) and the awaiter can be awaited again.
lucid::task<bool> named_awaiter_loses_select_then_awaits() {
  lucid::notify n;
  auto w = n.notified();
  auto s = co_await lucid::select(w, lucid::sleep(1ms));
  if (s.index() != 1) co_return false;
  n.notify_one();  // nobody queued any more: stored as the permit
  co_await w;
  co_return true;
}

TEST(Notify, NamedAwaiterThatLostASelectCanBeAwaitedAgain) {
  auto rt = lucid::runtime::current_thread(true);
  EXPECT_TRUE(rt.block_on(named_awaiter_loses_select_then_awaits()));
}

// notify_waiters() while a named awaiter is between two awaits still counts.
lucid::task<bool> notify_waiters_between_awaits() {
  lucid::notify n;
  auto w = n.notified();
  auto r = co_await lucid::timeout(1ms, w);
  if (r) co_return false;
  n.notify_waiters();
  auto t0 = lucid::time::now();
  auto r2 = co_await lucid::timeout(1s, w);
  co_return r2.has_value() && lucid::time::now() == t0;
}

TEST(Notify, NamedAwaiterSeesNotifyWaitersBetweenAwaits) {
  auto rt = lucid::runtime::current_thread(true);
  EXPECT_TRUE(rt.block_on(notify_waiters_between_awaits()));
}

// The same pattern with the notifier on another worker, racing: whichever
// order the flag store, notified() and notify_waiters() land in, the waiter
// either sees the flag or is woken (TSan checks the snapshot's ordering).
lucid::task<bool> check_then_await_once(lucid::notify* n, std::atomic<bool>* flag) {
  auto w = n->notified();
  if (flag->load()) co_return true;
  co_await w;
  co_return flag->load();  // woken by the notify_waiters() after the store
}

lucid::task<> store_then_notify_waiters(lucid::notify* n, std::atomic<bool>* flag) {
  flag->store(true);
  n->notify_waiters();
  co_return;
}

lucid::task<int> race_notify_waiters_with_creation(int rounds) {
  int lost = 0;
  for (int i = 0; i < rounds; ++i) {
    lucid::notify n;
    std::atomic<bool> flag{false};
    auto waiter = lucid::spawn(check_then_await_once(&n, &flag));
    auto notifier = lucid::spawn(store_then_notify_waiters(&n, &flag));
    co_await notifier;
    auto r = co_await lucid::timeout(10s, waiter);  // a lost wake-up: timed_out
    if (!r || !*r) {
      ++lost;
      waiter.abort();  // and wait until it is gone: it refers to n and flag
      try {
        (void)co_await waiter;
      } catch (const lucid::task_aborted&) {
      }
    }
  }
  co_return lost;
}

TEST(Notify, NotifyWaitersRacingWithCreationIsNeverLost) {
  auto rt = lucid::runtime::multi_thread(2);
  EXPECT_EQ(rt.block_on(race_notify_waiters_with_creation(2'000)), 0);
}

}  // namespace
