#include "lucid/sync/oneshot.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "lucid/rt/runtime.hpp"
#include "lucid/rt/spawn.hpp"
#include "sync_test_helpers.hpp"

namespace {

using namespace std::chrono_literals;

TEST(Oneshot, TryRecvStates) {
  auto [tx, rx] = lucid::oneshot::channel<std::string>();
  EXPECT_EQ(rx.try_recv().error(), lucid::errc::empty);
  EXPECT_FALSE(tx.is_closed());
  ASSERT_TRUE(tx.send("hi"));
  EXPECT_TRUE(tx.is_closed());
  EXPECT_EQ(tx.send("again").error(), lucid::errc::closed);  // one shot
  auto v = rx.try_recv();
  ASSERT_TRUE(v);
  EXPECT_EQ(*v, "hi");
  EXPECT_EQ(rx.try_recv().error(), lucid::errc::closed);  // already taken
}

lucid::task<> send_later(lucid::oneshot::sender<std::unique_ptr<int>> tx, int v) {
  co_await lucid::yield_now{};
  (void)tx.send(std::make_unique<int>(v));
}

lucid::task<int> recv_from_task() {
  auto [tx, rx] = lucid::oneshot::channel<std::unique_ptr<int>>();
  auto h = lucid::spawn(send_later(std::move(tx), 7));
  auto v = co_await rx;
  co_await h;
  co_return v ? **v : -1;
}

class OneshotBoth : public sync_test::on_both {};

TEST_P(OneshotBoth, ReceivesFromAnotherTask) {
  EXPECT_EQ(rt_.block_on(recv_from_task()), 7);
}

// Parameters live as long as the frame (until the join handle goes), so the
// sender is moved into a local to drop it here.
lucid::task<> drop_sender(lucid::oneshot::sender<int> tx) {
  co_await lucid::yield_now{};
  { auto gone = std::move(tx); }
}

lucid::task<bool> sender_dropped() {
  auto [tx, rx] = lucid::oneshot::channel<int>();
  auto h = lucid::spawn(drop_sender(std::move(tx)));
  auto v = co_await rx;
  co_await h;
  co_return !v && v.error() == lucid::errc::closed;
}

TEST_P(OneshotBoth, SenderDroppedWithoutSendingCloses) {
  EXPECT_TRUE(rt_.block_on(sender_dropped()));
}

TEST(Oneshot, ReceiverGoneOrClosed) {
  {
    auto [tx, rx] = lucid::oneshot::channel<int>();
    { auto gone = std::move(rx); }
    EXPECT_TRUE(tx.is_closed());
    EXPECT_EQ(tx.send(1).error(), lucid::errc::closed);
  }
  {
    auto [tx, rx] = lucid::oneshot::channel<int>();
    rx.close();
    EXPECT_EQ(tx.send(1).error(), lucid::errc::closed);
  }
  {
    auto [tx, rx] = lucid::oneshot::channel<int>();
    ASSERT_TRUE(tx.send(5));
    rx.close();  // a value sent before close is still received
    EXPECT_EQ(*rx.try_recv(), 5);
  }
}

lucid::task<> answer(lucid::oneshot::sender<int> tx, int v) {
  (void)tx.send(v);
  co_return;
}

lucid::task<long> many_oneshots(int n) {
  long sum = 0;
  for (int i = 0; i < n; ++i) {
    auto [tx, rx] = lucid::oneshot::channel<int>();
    (void)lucid::spawn(answer(std::move(tx), i));
    auto v = co_await rx;
    sum += *v;
  }
  co_return sum;
}

TEST_P(OneshotBoth, StressManyChannels) {
  EXPECT_EQ(rt_.block_on(many_oneshots(10'000)), 10'000L * 9'999 / 2);
}

SYNC_TEST_ON_BOTH(OneshotBoth);

lucid::task<lucid::task_id> oneshot_events() {
  {
    auto [tx, rx] = lucid::oneshot::channel<int>();
    auto h = lucid::spawn(answer(std::move(tx), 1));
    auto v = co_await rx;
    EXPECT_EQ(*v, 1);
    co_await h;
  }
  co_return lucid::current_task()->id;
}

TEST(Oneshot, ReportsResourceEvents) {
  sync_test::scoped_recorder r;
  lucid::task_id t = 0;
  {
    auto rt = lucid::runtime::current_thread();
    t = rt.block_on(oneshot_events());
  }
  auto kinds = r.rec.kinds();
  ASSERT_EQ(kinds.size(), 1u);
  EXPECT_EQ(kinds[0].name, "oneshot");
  auto sites = r.rec.sites();
  EXPECT_NE(std::string(sites[0].file).find("oneshot_test.cpp"), std::string::npos);
  lucid::resource_id id = r.rec.created()[0];
  std::vector<sync_test::event> want{
      {"created", 0, id}, {"wait_begin", t, id}, {"wait_end", t, id}, {"dropped", 0, id}};
  EXPECT_EQ(r.rec.of(id), want);
}

}  // namespace
