#include "lucid/sync/semaphore.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <vector>

#include "lucid/rt/runtime.hpp"
#include "lucid/rt/select.hpp"
#include "lucid/rt/spawn.hpp"
#include "sync_test_helpers.hpp"

namespace {

using namespace std::chrono_literals;
using sync_test::event;
using sync_test::wait_for_two;

TEST(Semaphore, TryAcquireAndRelease) {
  lucid::semaphore s(3);
  auto a = s.try_acquire(2);
  ASSERT_TRUE(a);
  EXPECT_EQ(s.available_permits(), 1u);
  auto b = s.try_acquire(2);
  ASSERT_FALSE(b);
  EXPECT_EQ(b.error(), lucid::errc::would_block);
  a->reset();
  EXPECT_EQ(s.available_permits(), 3u);
  auto c = s.try_acquire(3);
  ASSERT_TRUE(c);
  c->forget();
  EXPECT_EQ(s.available_permits(), 0u);
  s.release(2);
  EXPECT_EQ(s.available_permits(), 2u);
  s.close();
  EXPECT_EQ(s.try_acquire().error(), lucid::errc::closed);
}

lucid::task<> limited(lucid::semaphore* s, std::atomic<int>* inside, std::atomic<int>* max_inside,
                      int iters) {
  for (int i = 0; i < iters; ++i) {
    auto p = co_await s->acquire();
    if (!p) co_return;
    int now = inside->fetch_add(1) + 1;
    int m = max_inside->load();
    while (now > m && !max_inside->compare_exchange_weak(m, now)) {
    }
    if (i % 16 == 0) co_await lucid::yield_now{};
    inside->fetch_sub(1);
  }
}

lucid::task<int> bounded_concurrency() {
  lucid::semaphore s(2);
  std::atomic<int> inside{0}, max_inside{0};
  std::vector<lucid::join_handle<void>> hs;
  for (int t = 0; t < 4; ++t)
    hs.push_back(lucid::spawn(limited(&s, &inside, &max_inside, 10'000)));
  for (auto& h : hs)
    co_await h;
  EXPECT_EQ(s.available_permits(), 2u);
  co_return max_inside.load();
}

class SemaphoreBoth : public sync_test::on_both {};

TEST_P(SemaphoreBoth, StressNeverMorePermitsThanGiven) {
  int m = rt_.block_on(bounded_concurrency());
  EXPECT_GE(m, 1);
  EXPECT_LE(m, 2);
}

lucid::task<std::vector<int>> fifo_and_large_requests() {
  lucid::semaphore s(0);
  std::vector<int> order;
  auto a = lucid::spawn(wait_for_two(&s, &order, 0, 2));
  co_await lucid::yield_now{};
  auto b = lucid::spawn(wait_for_two(&s, &order, 1, 1));
  co_await lucid::yield_now{};
  s.release(1);  // not enough for the head (2): b must not overtake it
  co_await lucid::yield_now{};
  co_await lucid::yield_now{};
  EXPECT_TRUE(order.empty());
  s.release(1);  // 2 now: the head gets both, b still waits until a gives them back
  co_await a;
  co_await b;
  EXPECT_EQ(s.available_permits(), 2u);
  co_return order;
}

TEST(Semaphore, FifoLargeRequestIsNotOvertaken) {
  auto rt = lucid::runtime::current_thread();
  EXPECT_EQ(rt.block_on(fifo_and_large_requests()), (std::vector<int>{0, 1}));
}

lucid::task<lucid::errc> acquire_err(lucid::semaphore* s) {
  auto p = co_await s->acquire();
  co_return p ? lucid::errc::ok : p.error().code;
}

lucid::task<bool> close_wakes_waiters() {
  lucid::semaphore s(0);
  auto a = lucid::spawn(acquire_err(&s));
  auto b = lucid::spawn(acquire_err(&s));
  co_await lucid::yield_now{};
  s.close();
  bool ok = (co_await a) == lucid::errc::closed && (co_await b) == lucid::errc::closed;
  auto late = co_await s.acquire();
  co_return ok && !late && late.error() == lucid::errc::closed;
}

TEST_P(SemaphoreBoth, CloseFailsWaitersAndLaterAcquires) {
  EXPECT_TRUE(rt_.block_on(close_wakes_waiters()));
}

lucid::task<> take_one(lucid::semaphore* s) {
  auto p = co_await s->acquire();
}

lucid::task<bool> handed_then_cancelled() {
  lucid::semaphore s(0);
  auto victim = lucid::spawn(take_one(&s));
  co_await lucid::yield_now{};
  s.release(1);    // handed to the victim
  victim.abort();  // cancelled before it resumes: the permit comes back
  try {
    co_await victim;
  } catch (const lucid::task_aborted&) {
  }
  co_return s.available_permits() == 1;
}

TEST(Semaphore, PermitsHandedToACancelledWaiterComeBack) {
  auto rt = lucid::runtime::current_thread();
  EXPECT_TRUE(rt.block_on(handed_then_cancelled()));
}

SYNC_TEST_ON_BOTH(SemaphoreBoth);

lucid::task<lucid::task_id> sem_events(lucid::resource_id* id) {
  lucid::semaphore s(1);
  *id = s.id();
  { auto p = co_await s.acquire(); }
  co_return lucid::current_task()->id;
}

TEST(Semaphore, ReportsResourceEvents) {
  sync_test::scoped_recorder r;
  lucid::resource_id id = 0;
  lucid::task_id t = 0;
  {
    auto rt = lucid::runtime::current_thread();
    t = rt.block_on(sem_events(&id));
  }
  std::vector<event> want{
      {"created", 0, id}, {"acquire", t, id}, {"release", t, id}, {"dropped", 0, id}};
  EXPECT_EQ(r.rec.of(id), want);
  ASSERT_FALSE(r.rec.kinds().empty());
}

}  // namespace
