#include "lucid/sync/mutex.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "lucid/rt/runtime.hpp"
#include "lucid/rt/select.hpp"
#include "lucid/rt/spawn.hpp"
#include "sync_test_helpers.hpp"

namespace {

using namespace std::chrono_literals;
using sync_test::event;

TEST(Mutex, UncontendedLockDoesNotSuspend) {
  lucid::mutex m;
  auto a = m.lock();
  ASSERT_TRUE(a.await_ready());
  lucid::mutex_guard g = a.await_resume();
  EXPECT_TRUE(m.is_locked());
  EXPECT_FALSE(m.try_lock().has_value());
  g.unlock();
  EXPECT_FALSE(m.is_locked());
  auto t = m.try_lock();
  ASSERT_TRUE(t.has_value());
  EXPECT_TRUE(m.is_locked());
}

lucid::task<> add_many(lucid::mutex* m, long* counter, int iters) {
  for (int i = 0; i < iters; ++i) {
    auto g = co_await m->lock();
    long v = *counter;
    if (i % 64 == 0) co_await lucid::yield_now{};  // hold the lock across a suspension
    *counter = v + 1;
  }
}

lucid::task<long> contended(int tasks, int iters) {
  lucid::mutex m;
  long counter = 0;
  std::vector<lucid::join_handle<void>> hs;
  for (int t = 0; t < tasks; ++t)
    hs.push_back(lucid::spawn(add_many(&m, &counter, iters)));
  for (auto& h : hs)
    co_await h;
  auto g = co_await m.lock();
  co_return counter;
}

class MutexBoth : public sync_test::on_both {};

TEST_P(MutexBoth, StressFourTasksTenThousandEach) {
  EXPECT_EQ(rt_.block_on(contended(4, 10'000)), 40'000);
}

lucid::task<> push_after_lock(lucid::mutex* m, std::vector<int>* order, int id) {
  auto g = co_await m->lock();
  order->push_back(id);
}

lucid::task<std::vector<int>> fifo_order() {
  lucid::mutex m;
  std::vector<int> order;
  auto g = co_await m.lock();
  std::vector<lucid::join_handle<void>> hs;
  for (int i = 0; i < 5; ++i) {
    hs.push_back(lucid::spawn(push_after_lock(&m, &order, i)));
    for (int k = 0; k < 3; ++k)
      co_await lucid::yield_now{};  // let it queue up
  }
  g.unlock();
  for (auto& h : hs)
    co_await h;
  co_return order;
}

TEST(Mutex, WaitersAreServedFifo) {
  auto rt = lucid::runtime::current_thread();
  EXPECT_EQ(rt.block_on(fifo_order()), (std::vector<int>{0, 1, 2, 3, 4}));
}

lucid::task<> lock_and_count(lucid::mutex* m, int* n) {
  auto g = co_await m->lock();
  ++*n;
}

lucid::task<int> cancelled_after_handoff() {
  lucid::mutex m;
  int n = 0;
  auto g = co_await m.lock();
  auto victim = lucid::spawn(lock_and_count(&m, &n));
  co_await lucid::yield_now{};  // victim parks
  auto next = lucid::spawn(lock_and_count(&m, &n));
  co_await lucid::yield_now{};  // next parks behind it
  g.unlock();                   // hands the lock to the victim...
  victim.abort();               // ...which is cancelled before it resumes
  co_await next;                // the lock was passed on, not leaked
  auto again = co_await m.lock();
  co_return n;
}

TEST(Mutex, WaiterCancelledAfterHandOffPassesTheLockOn) {
  auto rt = lucid::runtime::current_thread();
  EXPECT_EQ(rt.block_on(cancelled_after_handoff()), 1);
}

lucid::task<> lock_abort_race(lucid::mutex* m, long* counter, int iters) {
  for (int i = 0; i < iters; ++i) {
    auto g = co_await m->lock();
    ++*counter;
  }
}

lucid::task<> holder_loop(lucid::mutex* m, int rounds) {
  for (int i = 0; i < rounds; ++i) {
    auto g = co_await m->lock();
    co_await lucid::yield_now{};
  }
}

lucid::task<bool> abort_storm() {
  lucid::mutex m;
  long counter = 0;
  auto holder = lucid::spawn(holder_loop(&m, 2000));
  for (int i = 0; i < 200; ++i) {
    auto h = lucid::spawn(lock_abort_race(&m, &counter, 5));
    co_await lucid::yield_now{};
    h.abort();
  }
  co_await holder;
  auto g = co_await m.lock();
  co_return true;
}

TEST_P(MutexBoth, AbortingWaitersNeverLeaksTheLock) {
  EXPECT_TRUE(rt_.block_on(abort_storm()));
}

SYNC_TEST_ON_BOTH(MutexBoth);

lucid::task<> waiter_task(lucid::mutex* m) {
  auto g = co_await m->lock();
}

lucid::task<std::pair<lucid::task_id, lucid::task_id>> instrumented(lucid::resource_id* id,
                                                                    const void** addr) {
  lucid::task_id main_id = lucid::current_task()->id;
  lucid::task_id w_id = 0;
  {
    lucid::mutex m;
    *id = m.id();
    *addr = &m;
    auto g = co_await m.lock();
    auto h = lucid::spawn(waiter_task(&m));
    w_id = h.id();
    co_await lucid::yield_now{};  // the waiter parks
    g.unlock();
    co_await h;
  }
  co_return std::pair{main_id, w_id};
}

TEST(Mutex, ReportsResourceEvents) {
  sync_test::scoped_recorder s;
  lucid::resource_id id = 0;
  const void* addr = nullptr;
  std::pair<lucid::task_id, lucid::task_id> ids;
  {
    auto rt = lucid::runtime::current_thread();
    ids = rt.block_on(instrumented(&id, &addr));
  }
  auto [main_id, w] = ids;
  std::vector<event> want{
      {"created", 0, id},       {"acquire", main_id, id}, {"wait_begin", w, id},
      {"release", main_id, id}, {"wait_end", w, id},      {"acquire", w, id},
      {"release", w, id},       {"dropped", 0, id},
  };
  EXPECT_EQ(s.rec.of(id), want);
  EXPECT_EQ(s.rec.wakers(addr),
            std::make_pair(1, 0));  // the waiter's waker, registered and released
}

}  // namespace
