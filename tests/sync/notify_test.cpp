#include "lucid/sync/notify.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <vector>

#include "lucid/rt/runtime.hpp"
#include "lucid/rt/select.hpp"
#include "lucid/rt/spawn.hpp"
#include "sync_test_helpers.hpp"

namespace {

using namespace std::chrono_literals;

lucid::task<std::vector<int>> notify_one_fifo() {
  lucid::notify n;
  std::vector<int> order;
  std::vector<lucid::join_handle<void>> hs;
  auto waiter = [](lucid::notify* nn, std::vector<int>* o, int id) -> lucid::task<> {
    co_await nn->notified();
    o->push_back(id);
  };
  for (int i = 0; i < 3; ++i) {
    hs.push_back(lucid::spawn(waiter(&n, &order, i)));
    co_await lucid::yield_now{};
  }
  for (int i = 0; i < 3; ++i) {
    n.notify_one();
    co_await lucid::yield_now{};
  }
  for (auto& h : hs)
    co_await h;
  co_return order;
}

TEST(Notify, NotifyOneWakesInFifoOrder) {
  auto rt = lucid::runtime::current_thread();
  EXPECT_EQ(rt.block_on(notify_one_fifo()), (std::vector<int>{0, 1, 2}));
}

// A latch (atomic counter + notify), as the spawn_many benchmark uses it.
struct latch {
  std::atomic<int> left;
  lucid::notify done;
  explicit latch(int n) : left(n) {}
  void count_down() {
    if (left.fetch_sub(1, std::memory_order_acq_rel) == 1) done.notify_one();
  }
};

lucid::task<> count_down(latch* l) {
  l->count_down();
  co_return;
}

lucid::task<bool> latch_many(int n) {
  latch l(n);
  for (int i = 0; i < n; ++i)
    (void)lucid::spawn(count_down(&l));
  co_await l.done.notified();
  co_return l.left.load() == 0;
}

class NotifyBoth : public sync_test::on_both {};

TEST_P(NotifyBoth, LatchOfTenThousandTasks) {
  EXPECT_TRUE(rt_.block_on(latch_many(10'000)));
}

lucid::task<> ping(lucid::notify* a, lucid::notify* b, int rounds) {
  for (int i = 0; i < rounds; ++i) {
    a->notify_one();
    co_await b->notified();
  }
}

lucid::task<bool> notify_ping_pong(int rounds) {
  lucid::notify a, b;
  auto h = lucid::spawn(ping(&a, &b, rounds));
  for (int i = 0; i < rounds; ++i) {
    co_await a.notified();
    b.notify_one();
  }
  co_await h;
  co_return true;
}

TEST_P(NotifyBoth, PingPongStress) {
  EXPECT_TRUE(rt_.block_on(notify_ping_pong(20'000)));
}

SYNC_TEST_ON_BOTH(NotifyBoth);

lucid::task<> notified_once(lucid::notify* n) {
  co_await n->notified();
}

lucid::task<lucid::task_id> notify_events(lucid::resource_id* id) {
  lucid::notify n;
  *id = n.id();
  auto h = lucid::spawn(notified_once(&n));
  lucid::task_id w = h.id();
  co_await lucid::yield_now{};
  n.notify_one();
  co_await h;
  co_return w;
}

TEST(Notify, ReportsResourceEvents) {
  sync_test::scoped_recorder r;
  lucid::resource_id id = 0;
  lucid::task_id w = 0;
  {
    auto rt = lucid::runtime::current_thread();
    w = rt.block_on(notify_events(&id));
  }
  std::vector<sync_test::event> want{
      {"created", 0, id}, {"wait_begin", w, id}, {"wait_end", w, id}, {"dropped", 0, id}};
  EXPECT_EQ(r.rec.of(id), want);
}

}  // namespace
