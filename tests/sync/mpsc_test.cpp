#include "lucid/sync/mpsc.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "lucid/rt/runtime.hpp"
#include "lucid/rt/select.hpp"
#include "lucid/rt/spawn.hpp"
#include "sync_test_helpers.hpp"

namespace {

using namespace std::chrono_literals;

TEST(Mpsc, TrySendTryRecvBounded) {
  auto [tx, rx] = lucid::mpsc::bounded<std::unique_ptr<int>>(2);
  EXPECT_EQ(rx.try_recv().error(), lucid::errc::empty);
  ASSERT_TRUE(tx.try_send(std::make_unique<int>(1)));
  ASSERT_TRUE(tx.try_send(std::make_unique<int>(2)));
  auto keep = std::make_unique<int>(3);
  EXPECT_EQ(tx.try_send(std::move(keep)).error(), lucid::errc::full);
  ASSERT_TRUE(keep);  // not moved from on failure
  EXPECT_EQ(**rx.try_recv(), 1);
  ASSERT_TRUE(tx.try_send(std::move(keep)));
  EXPECT_EQ(**rx.try_recv(), 2);
  EXPECT_EQ(**rx.try_recv(), 3);
  EXPECT_EQ(rx.try_recv().error(), lucid::errc::empty);
}

TEST(Mpsc, NothingQueuedIsLostWhenSendersClose) {
  auto [tx, rx] = lucid::mpsc::unbounded<std::string>();
  auto tx2 = tx.clone();
  for (int i = 0; i < 100; ++i)
    ASSERT_TRUE(tx.try_send(std::to_string(i)));
  ASSERT_TRUE(tx2.try_send("last"));
  { auto a = std::move(tx); }
  { auto b = std::move(tx2); }
  for (int i = 0; i < 100; ++i)
    EXPECT_EQ(*rx.try_recv(), std::to_string(i));
  EXPECT_EQ(*rx.try_recv(), "last");
  EXPECT_EQ(rx.try_recv().error(), lucid::errc::closed);
}

TEST(Mpsc, ReceiverGoneFailsSendersKeepingTheValue) {
  auto [tx, rx] = lucid::mpsc::bounded<std::unique_ptr<int>>(1);
  { auto gone = std::move(rx); }
  EXPECT_TRUE(tx.is_closed());
  auto v = std::make_unique<int>(1);
  EXPECT_EQ(tx.try_send(std::move(v)).error(), lucid::errc::closed);
  EXPECT_TRUE(v);
}

lucid::task<std::vector<int>> drain_after_close() {
  auto [tx, rx] = lucid::mpsc::unbounded<int>();
  for (int i = 0; i < 5; ++i)
    EXPECT_TRUE(co_await tx.send(i));
  { auto gone = std::move(tx); }
  std::vector<int> got;
  for (;;) {
    auto v = co_await rx.recv();
    if (!v) {
      EXPECT_EQ(v.error(), lucid::errc::closed);
      break;
    }
    got.push_back(*v);
  }
  co_return got;
}

class MpscBoth : public sync_test::on_both {};

TEST_P(MpscBoth, RecvDrainsThenReportsClosed) {
  EXPECT_EQ(rt_.block_on(drain_after_close()), (std::vector<int>{0, 1, 2, 3, 4}));
}

lucid::task<lucid::errc> send_one(lucid::mpsc::sender<int> tx, int v) {
  auto r = co_await tx.send(v);
  co_return r ? lucid::errc::ok : r.error().code;
}

lucid::task<bool> close_fails_parked_senders() {
  auto [tx, rx] = lucid::mpsc::bounded<int>(1);
  EXPECT_TRUE(co_await tx.send(1));                     // fills the channel
  auto parked = lucid::spawn(send_one(tx.clone(), 2));  // waits for room
  co_await lucid::yield_now{};
  rx.close();
  bool ok = (co_await parked) == lucid::errc::closed;
  EXPECT_EQ((co_await tx.send(3)).error(), lucid::errc::closed);
  auto v = co_await rx.recv();  // queued before close: still received
  ok = ok && v && *v == 1;
  auto end = co_await rx.recv();
  co_return ok && !end && end.error() == lucid::errc::closed;
}

TEST_P(MpscBoth, CloseFailsSendersButKeepsQueuedValues) {
  EXPECT_TRUE(rt_.block_on(close_fails_parked_senders()));
}

lucid::task<> recv_into(lucid::mpsc::receiver<int>* rx, int* out) {
  auto v = co_await rx->recv();
  *out = v ? *v : -1;
}

lucid::task<std::vector<int>> handed_value_goes_back() {
  auto [tx, rx] = lucid::mpsc::bounded<int>(1);
  int out = 0;
  auto victim = lucid::spawn(recv_into(&rx, &out));
  co_await lucid::yield_now{};       // the victim parks on recv
  EXPECT_TRUE(co_await tx.send(1));  // handed straight to the victim...
  EXPECT_TRUE(co_await tx.send(2));
  victim.abort();  // ...which is cancelled before it resumes: 1 goes back in front
  try {
    co_await victim;
  } catch (const lucid::task_aborted&) {
  }
  std::vector<int> got;
  got.push_back(*co_await rx.recv());
  got.push_back(*co_await rx.recv());
  EXPECT_EQ(out, 0);
  co_return got;
}

TEST(Mpsc, ValueHandedToACancelledRecvIsNotLost) {
  auto rt = lucid::runtime::current_thread();
  EXPECT_EQ(rt.block_on(handed_value_goes_back()), (std::vector<int>{1, 2}));
}

lucid::task<int> recv_int(lucid::mpsc::receiver<int>* rx) {
  auto v = co_await rx->recv();
  co_return v ? *v : -1;
}

lucid::task<int> select_two(lucid::mpsc::receiver<int>* a, lucid::mpsc::receiver<int>* b) {
  auto r = co_await lucid::select(recv_int(a), recv_int(b));
  co_return r.index() == 0 ? std::get<0>(r) : 100 + std::get<1>(r);
}

lucid::task<bool> select_over_two_receivers() {
  auto [tx1, rx1] = lucid::mpsc::bounded<int>(1);
  auto [tx2, rx2] = lucid::mpsc::bounded<int>(1);
  auto h = lucid::spawn(select_two(&rx1, &rx2));
  co_await lucid::yield_now{};        // both branches park
  EXPECT_TRUE(co_await tx1.send(1));  // handed to branch 0
  EXPECT_TRUE(co_await tx2.send(2));  // handed to branch 1, which then loses
  int won = co_await h;
  auto left = rx2.try_recv();  // the loser's value went back into its channel
  co_return won == 1 && left&&* left == 2;
}

TEST(Mpsc, SelectLoserGivesItsValueBack) {
  auto rt = lucid::runtime::current_thread();
  EXPECT_TRUE(rt.block_on(select_over_two_receivers()));
}

lucid::task<> ponger(lucid::mpsc::receiver<long> rx, lucid::mpsc::sender<long> tx) {
  for (;;) {
    auto v = co_await rx.recv();
    if (!v) break;
    if (!co_await tx.send(*v + 1)) break;
  }
}

lucid::task<long> ping_pong(long rounds) {
  auto [ping_tx, ping_rx] = lucid::mpsc::bounded<long>(1);
  auto [pong_tx, pong_rx] = lucid::mpsc::bounded<long>(1);
  auto h = lucid::spawn(ponger(std::move(ping_rx), std::move(pong_tx)));
  long v = 0;
  for (long i = 0; i < rounds; ++i) {
    EXPECT_TRUE(co_await ping_tx.send(v));
    v = *co_await pong_rx.recv();
  }
  { auto done = std::move(ping_tx); }
  co_await h;
  co_return v;
}

TEST_P(MpscBoth, PingPong) {
  EXPECT_EQ(rt_.block_on(ping_pong(20'000)), 20'000);
}

// Parameters live as long as the frame (until the join handle goes): the
// sender is moved into a local so the channel closes when the loop ends.
lucid::task<> produce(lucid::mpsc::sender<std::pair<int, int>> tx_param, int id, int n) {
  auto tx = std::move(tx_param);
  for (int i = 0; i < n; ++i) {
    if (!co_await tx.send({id, i})) co_return;
  }
}

lucid::task<bool> many_producers(std::size_t cap) {
  auto [tx, rx] = cap == 0 ? lucid::mpsc::unbounded<std::pair<int, int>>()
                           : lucid::mpsc::bounded<std::pair<int, int>>(cap);
  constexpr int kProducers = 4, kN = 10'000;
  std::vector<lucid::join_handle<void>> hs;
  for (int p = 0; p < kProducers; ++p)
    hs.push_back(lucid::spawn(produce(tx.clone(), p, kN)));
  { auto mine = std::move(tx); }
  std::vector<int> next(kProducers, 0);
  bool ordered = true;
  long count = 0;
  for (;;) {
    auto v = co_await rx.recv();
    if (!v) break;
    auto [p, i] = *v;
    if (next[p] != i) ordered = false;  // FIFO per sender
    next[p] = i + 1;
    ++count;
  }
  for (auto& h : hs)
    co_await h;
  co_return ordered&& count == kProducers* kN;
}

TEST_P(MpscBoth, StressFourProducersBounded) {
  EXPECT_TRUE(rt_.block_on(many_producers(16)));
}
TEST_P(MpscBoth, StressFourProducersCapacityOne) {
  EXPECT_TRUE(rt_.block_on(many_producers(1)));
}
TEST_P(MpscBoth, StressFourProducersUnbounded) {
  EXPECT_TRUE(rt_.block_on(many_producers(0)));
}

lucid::task<> recv_some_then_drop(lucid::mpsc::receiver<int> rx_param, int n) {
  auto rx = std::move(rx_param);
  for (int i = 0; i < n; ++i)
    (void)co_await rx.recv();
}

lucid::task<bool> receiver_dropped_mid_stream() {
  auto [tx, rx] = lucid::mpsc::bounded<int>(2);
  auto h = lucid::spawn(recv_some_then_drop(std::move(rx), 10));
  int sent = 0;
  for (;;) {
    if (!co_await tx.send(sent)) break;
    ++sent;
  }
  co_await h;
  co_return sent >= 10 && tx.is_closed();
}

TEST_P(MpscBoth, SendFailsOnceTheReceiverIsDropped) {
  EXPECT_TRUE(rt_.block_on(receiver_dropped_mid_stream()));
}

SYNC_TEST_ON_BOTH(MpscBoth);

lucid::task<> send_later(lucid::mpsc::sender<int> tx) {
  (void)co_await tx.send(1);
}

lucid::task<lucid::task_id> mpsc_events() {
  {
    auto [tx, rx] = lucid::mpsc::bounded<int>(1);
    auto h = lucid::spawn(send_later(std::move(tx)));
    auto v = co_await rx.recv();
    EXPECT_EQ(*v, 1);
    co_await h;
  }
  co_return lucid::current_task()->id;
}

TEST(Mpsc, ReportsResourceEvents) {
  sync_test::scoped_recorder r;
  lucid::task_id t = 0;
  {
    auto rt = lucid::runtime::current_thread();
    t = rt.block_on(mpsc_events());
  }
  ASSERT_EQ(r.rec.kinds().size(), 1u);
  EXPECT_EQ(r.rec.kinds()[0].name, "mpsc");
  lucid::resource_id id = r.rec.created()[0];
  std::vector<sync_test::event> want{
      {"created", 0, id}, {"wait_begin", t, id}, {"wait_end", t, id}, {"dropped", 0, id}};
  EXPECT_EQ(r.rec.of(id), want);
}

}  // namespace
