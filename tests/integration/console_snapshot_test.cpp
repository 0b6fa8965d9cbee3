// lucid::console's snapshot and dump on live runtimes: what a task waits on
// (also inside select/timeout branches), the per-task stats and finished
// tasks with aggregation on, every resource with its holder, grouping in the
// dump, the dump while every worker is blocked, and the lints.
#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <queue>
#include <sstream>
#include <thread>
#include <unordered_map>
#include <vector>

#include "lucid/console/console.hpp"
#include "lucid/lucid.hpp"

using namespace std::chrono_literals;

namespace {

const lucid::console::task_view* find_task(const lucid::console::snapshot& s,
                                           std::string_view name) {
  for (const auto& t : s.tasks) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

bool has(const std::string& out, const std::string& s) {
  return out.find(s) != std::string::npos;
}

TEST(ConsoleSnapshot, ABranchOfATimeoutShowsItsWaitAndTheTimer) {
  lucid::runtime rt = lucid::runtime::multi_thread(2);
  rt.block_on([]() -> lucid::task<> {
    auto [tx, rx] = lucid::mpsc::bounded<int>(4);
    auto h = lucid::spawn("with_timeout", [](lucid::mpsc::receiver<int> rx) -> lucid::task<> {
      (void)co_await lucid::timeout(10s, rx.recv());
    }(std::move(rx)));
    co_await lucid::sleep(50ms);
    lucid::console::snapshot s = lucid::console::take_snapshot();
    const auto* t = find_task(s, "with_timeout");
    EXPECT_NE(t, nullptr);
    if (t != nullptr) {
      EXPECT_EQ(t->state, "idle");
      EXPECT_TRUE(t->root.waiting);
      EXPECT_EQ(t->root.wait.kind, "timer");
      EXPECT_EQ(t->root.wait.what, "timeout");
      EXPECT_EQ(t->branches.size(), 1u);
      if (!t->branches.empty()) {
        EXPECT_EQ(t->branches[0].wait.kind, "mpsc");
        EXPECT_EQ(t->branches[0].wait.senders, 1);
        EXPECT_EQ(t->branches[0].wait.capacity, 4);
        // The branch runs rx.recv() through lucid's adapter coroutine
        // (rt/detail/branch.hpp): no frame of the user's, so no chain.
        EXPECT_TRUE(t->branches[0].chain.empty());
      }
    }
    // A task that a timer will wake is in no cycle, and the dump shows the branch.
    EXPECT_TRUE(s.cycles.empty());
    std::ostringstream os;
    lucid::console::dump(os, s);
    EXPECT_TRUE(has(os.str(), "in a branch, waiting ")) << os.str();
    EXPECT_FALSE(has(os.str(), "branch.hpp")) << os.str();
    EXPECT_FALSE(has(os.str(), "<not started>")) << os.str();
    EXPECT_TRUE(has(os.str(), "on mpsc#")) << os.str();
    h.abort();
  }());
}

TEST(ConsoleSnapshot, AggregationMeasuresTasksAndKeepsFinishedOnes) {
  lucid::console::enable_aggregation(true);
  lucid::runtime rt = lucid::runtime::multi_thread(2);
  rt.block_on([]() -> lucid::task<> {
    auto busy = lucid::spawn("busy", []() -> lucid::task<> {
      auto end = std::chrono::steady_clock::now() + 30ms;
      while (std::chrono::steady_clock::now() < end) {
      }
      co_await lucid::sleep(1ms);
    }());
    auto sleepy = lucid::spawn("sleepy", []() -> lucid::task<> { co_await lucid::sleep(10s); }());
    co_await busy;
    co_await lucid::sleep(50ms);
    lucid::console::snapshot s = lucid::console::take_snapshot();
    const auto* t = find_task(s, "sleepy");
    EXPECT_NE(t, nullptr);
    if (t != nullptr) {
      EXPECT_TRUE(t->stats.known);
      EXPECT_EQ(t->stats.polls, 1u);
      EXPECT_GE(t->stats.idle_s, 0.04);
    }
    bool found = false;
    for (const auto& f : s.finished) {
      if (f.name != "busy") continue;
      found = true;
      EXPECT_EQ(f.state, "completed");
      EXPECT_TRUE(f.stats.known);
      EXPECT_EQ(f.stats.polls, 2u);
      EXPECT_GE(f.stats.busy_s, 0.03);
      EXPECT_EQ(f.stats.poll_duration_ns.count(), 2u);
      EXPECT_GE(f.stats.poll_duration_ns.max(), 30'000'000u);
    }
    EXPECT_TRUE(found);
    EXPECT_GE(s.poll_duration_ns.count(), 3u);  // the runtime-wide histogram
    std::ostringstream os;
    lucid::console::dump(os, s);
    EXPECT_TRUE(has(os.str(), "1 poll, busy ")) << os.str();
    sleepy.abort();
  }());
  lucid::console::enable_aggregation(false);
}

const lucid::console::resource_view* find_resource(const lucid::console::snapshot& s,
                                                   lucid::resource_id id) {
  for (const auto& r : s.resources) {
    if (r.id == id) return &r;
  }
  return nullptr;
}

TEST(ConsoleSnapshot, AggregationListsResourcesWithTheirHolder) {
  // Resources nobody waits on: the holder (who, and the co_await that took
  // it) and a channel's fill are read from the resources themselves.
  lucid::console::enable_aggregation(true);
  lucid::runtime rt = lucid::runtime::multi_thread(2);
  rt.block_on([]() -> lucid::task<> {
    lucid::mutex m;
    auto [tx, rx] = lucid::mpsc::bounded<int>(4);
    co_await tx.send(1);
    co_await tx.send(2);
    const lucid::task_id me = lucid::current_task()->id;
    auto g = co_await m.lock();
    const unsigned lock_line = __LINE__ - 1;
    lucid::console::snapshot s = lucid::console::take_snapshot();
    const lucid::console::resource_view* r = find_resource(s, m.id());
    EXPECT_NE(r, nullptr);
    if (r != nullptr) {
      EXPECT_EQ(r->kind, "mutex");
      EXPECT_TRUE(has(r->created_at.file, "console_snapshot_test.cpp"));
      EXPECT_EQ(r->holders.size(), 1u);
      if (!r->holders.empty()) {
        EXPECT_EQ(r->holders[0].task, me);
        EXPECT_EQ(r->holders[0].acquired_at.line, lock_line);
      }
      EXPECT_TRUE(r->waiters.empty());
    }
    bool channel = false;
    for (const auto& c : s.resources) {
      if (c.kind != "mpsc") continue;
      channel = true;
      EXPECT_EQ(c.capacity, 4);
      EXPECT_EQ(c.length, 2);
      EXPECT_EQ(c.senders, 1);
    }
    EXPECT_TRUE(channel);
    g.unlock();
    s = lucid::console::take_snapshot();
    r = find_resource(s, m.id());
    EXPECT_NE(r, nullptr);
    if (r != nullptr) {
      EXPECT_TRUE(r->holders.empty());
    }
  }());
  lucid::console::enable_aggregation(false);
}

TEST(ConsoleSnapshot, AResourceMadeByMakeSharedNamesTheUsersLine) {
  // std::make_shared fills the constructor's default site in inside the
  // standard library; the dump must still say where the program made it.
  lucid::console::enable_aggregation(true);
  lucid::runtime rt = lucid::runtime::multi_thread(2);
  rt.block_on([]() -> lucid::task<> {
    auto m = std::make_shared<lucid::mutex>();
    const unsigned made_line = __LINE__ - 1;
    auto g = co_await m->lock();
    auto h = lucid::spawn("waiter", [](std::shared_ptr<lucid::mutex> m) -> lucid::task<> {
      auto g = co_await m->lock();
    }(m));
    co_await lucid::sleep(50ms);
    lucid::console::snapshot s = lucid::console::take_snapshot();
    const auto* t = find_task(s, "waiter");
    EXPECT_NE(t, nullptr);
    if (t != nullptr) {
      EXPECT_EQ(t->root.wait.kind, "mutex");
      EXPECT_TRUE(has(t->root.wait.created_at.file, "console_snapshot_test.cpp"))
          << t->root.wait.created_at.file;
      EXPECT_EQ(t->root.wait.created_at.line, made_line);
    }
    const lucid::console::resource_view* r = find_resource(s, m->id());
    EXPECT_NE(r, nullptr);
    if (r != nullptr) {
      EXPECT_TRUE(has(r->created_at.file, "console_snapshot_test.cpp")) << r->created_at.file;
      EXPECT_EQ(r->created_at.line, made_line);
    }
    std::ostringstream os;
    lucid::console::dump(os, s);
    EXPECT_TRUE(has(os.str(), "console_snapshot_test.cpp:" + std::to_string(made_line)))
        << os.str();
    EXPECT_FALSE(has(os.str(), "stl_construct")) << os.str();
    g.unlock();
    co_await std::move(h);
  }());
  lucid::console::enable_aggregation(false);
}

TEST(ConsoleSnapshot, AFullChannelIsHeldByItsReceivingTaskAndAnEmptyOneByNobody) {
  lucid::runtime rt = lucid::runtime::multi_thread(2);
  rt.block_on([]() -> lucid::task<> {
    auto [tx, rx] = lucid::mpsc::bounded<int>(1);
    auto [go_tx, go_rx] = lucid::mpsc::bounded<int>(1);
    // The consumer receives once, then waits on an empty channel: it must
    // not be its own holder (a receiver never waits on a full channel).
    auto consumer = lucid::spawn(
        "consumer",
        [](lucid::mpsc::receiver<int> rx, lucid::mpsc::receiver<int> go) -> lucid::task<> {
          (void)co_await rx.recv();
          (void)co_await go.recv();
        }(std::move(rx), std::move(go_rx)));
    co_await tx.send(1);
    co_await lucid::sleep(50ms);
    lucid::console::snapshot s = lucid::console::take_snapshot();
    const auto* c = find_task(s, "consumer");
    EXPECT_NE(c, nullptr);
    if (c != nullptr) {
      EXPECT_EQ(c->root.wait.kind, "mpsc");
      EXPECT_TRUE(c->root.wait.holders.empty());
    }
    // Now fill the first channel and wait to send into it: the waiting
    // sender's holder is the consumer, which received from it.
    co_await tx.send(2);
    auto producer = lucid::spawn(
        "producer", [](lucid::mpsc::sender<int> tx) -> lucid::task<> { co_await tx.send(3); }(tx));
    co_await lucid::sleep(50ms);
    s = lucid::console::take_snapshot();
    const auto* p = find_task(s, "producer");
    c = find_task(s, "consumer");
    EXPECT_NE(p, nullptr);
    if (p != nullptr && c != nullptr) {
      EXPECT_EQ(p->root.wait.kind, "mpsc");
      EXPECT_EQ(p->root.wait.length, 1);
      EXPECT_EQ(p->root.wait.holders.size(), 1u);
      if (!p->root.wait.holders.empty()) {
        EXPECT_EQ(p->root.wait.holders[0].task, c->id);
        EXPECT_TRUE(has(p->root.wait.holders[0].acquired_at.file, "console_snapshot_test.cpp"));
      }
    }
    // The consumer waits on the other channel, which the test will feed: no cycle.
    EXPECT_TRUE(s.cycles.empty());
    co_await go_tx.send(0);
    co_await std::move(consumer);
    producer.abort();
  }());
}

int g_keeper_joins_line = 0;

TEST(ConsoleSnapshot, AnEmptyChannelIsHeldByTheTasksWhoseFramesHoldItsSenders) {
  lucid::runtime rt = lucid::runtime::multi_thread(2);
  rt.block_on([]() -> lucid::task<> {
    auto [tx, rx] = lucid::mpsc::bounded<int>(4);
    // A second sender on the heap: no task's frame holds it.
    auto extra = std::make_unique<lucid::mpsc::sender<int>>(tx);
    // The keeper spawns the consumer and joins it while it still holds the
    // channel's other sender (moved twice: into the lambda's frame, then
    // nowhere else).
    auto keeper = lucid::spawn(
        "keeper", [](lucid::mpsc::sender<int> tx, lucid::mpsc::receiver<int> rx) -> lucid::task<> {
          auto c = lucid::spawn("consumer", [](lucid::mpsc::receiver<int> rx) -> lucid::task<> {
            while (auto v = co_await rx.recv()) {
            }
          }(std::move(rx)));
          co_await tx.send(1);
          g_keeper_joins_line = __LINE__ + 1;
          co_await std::move(c);
        }(std::move(tx), std::move(rx)));
    co_await lucid::sleep(50ms);
    lucid::console::snapshot s = lucid::console::take_snapshot();
    const auto* k = find_task(s, "keeper");
    const auto* c = find_task(s, "consumer");
    EXPECT_TRUE(k != nullptr && c != nullptr);
    if (k == nullptr || c == nullptr) co_return;
    EXPECT_EQ(c->root.wait.kind, "mpsc");
    EXPECT_EQ(c->root.wait.senders, 2);
    EXPECT_EQ(c->root.wait.holders.size(), 1u);  // the heap's sender is in no frame
    if (c->root.wait.holders.size() != 1) co_return;
    EXPECT_EQ(c->root.wait.holders[0].task, k->id);
    EXPECT_EQ(c->root.wait.holders[0].acquired_at.function, "operator()");
    EXPECT_TRUE(has(c->root.wait.holders[0].acquired_at.file, "console_snapshot_test.cpp"));
    EXPECT_EQ(c->root.wait.holders[0].acquired_at.line, static_cast<unsigned>(g_keeper_joins_line));
    // The heap's sender could still send: not a cycle.
    EXPECT_TRUE(s.cycles.empty());
    std::ostringstream first;
    lucid::console::dump(first, s);
    EXPECT_TRUE(has(first.str(),
                    "0 queued of 4, 2 senders alive (1 sender is in no suspended "
                    "task's frame: on the heap, in a global, or in a running task)"))
        << first.str();

    // Dropping it leaves the keeper holding the only sender while it joins
    // the consumer: a cycle, and the dump says whose frame holds the sender.
    extra.reset();
    co_await lucid::sleep(50ms);
    s = lucid::console::take_snapshot();
    k = find_task(s, "keeper");
    c = find_task(s, "consumer");
    if (k == nullptr || c == nullptr) co_return;
    std::vector<lucid::task_id> cycle{k->id, c->id};
    EXPECT_EQ(s.cycles, std::vector<std::vector<lucid::task_id>>{cycle});
    std::ostringstream out;
    lucid::console::dump(out, s);
    EXPECT_TRUE(has(out.str(), "whose sender is held by task " + std::to_string(k->id) +
                                   " 'keeper' (in operator(), at "))
        << out.str();
    EXPECT_TRUE(has(out.str(), "console_snapshot_test.cpp:" + std::to_string(g_keeper_joins_line) +
                                   "): 0 queued of 4, 1 sender alive"))
        << out.str();
    keeper.abort();  // destroys the keeper's frame, and the sender in it: the consumer ends
  }());
}

int g_dispatcher_waits_line = 0;

TEST(ConsoleSnapshot, SendersKeptInAVectorInASuspendedFrameAreProbablyHeldByThatTask) {
  lucid::runtime rt = lucid::runtime::multi_thread(2);
  rt.block_on([]() -> lucid::task<> {
    auto [tx, rx] = lucid::mpsc::bounded<int>(4);
    auto go = std::make_shared<lucid::notify>();
    auto consumer = lucid::spawn("consumer", [](lucid::mpsc::receiver<int> rx) -> lucid::task<> {
      while (auto v = co_await rx.recv()) {
      }
    }(std::move(rx)));
    // The dispatcher keeps the channel's two senders in a std::vector: the
    // senders live on the heap, in the vector's elements, in no frame.
    std::vector<lucid::mpsc::sender<int>> senders;
    senders.push_back(tx);
    senders.push_back(std::move(tx));
    auto dispatcher = lucid::spawn("dispatcher",
                                   [](std::vector<lucid::mpsc::sender<int>> out,
                                      std::shared_ptr<lucid::notify> go) -> lucid::task<> {
                                     g_dispatcher_waits_line = __LINE__ + 1;
                                     co_await go->notified();
                                     for (auto& o : out)
                                       co_await o.send(1);
                                   }(std::move(senders), go));
    co_await lucid::sleep(50ms);
    lucid::console::snapshot s = lucid::console::take_snapshot();
    const auto* c = find_task(s, "consumer");
    const auto* d = find_task(s, "dispatcher");
    EXPECT_TRUE(c != nullptr && d != nullptr);
    if (c == nullptr || d == nullptr) co_return;
    EXPECT_EQ(c->root.wait.kind, "mpsc");
    EXPECT_EQ(c->root.wait.senders, 2);
    EXPECT_EQ(c->root.wait.handles, 2);
    EXPECT_EQ(c->root.wait.holders.size(), 2u);
    for (const lucid::console::holder& h : c->root.wait.holders) {
      EXPECT_EQ(h.task, d->id);
      EXPECT_TRUE(h.in_container);
      EXPECT_FALSE(h.in_frame);
      EXPECT_EQ(h.acquired_at.function, "operator()");
      EXPECT_EQ(h.acquired_at.line, static_cast<unsigned>(g_dispatcher_waits_line));
    }
    // The graph shows who holds the channel, but a guess builds no deadlock.
    bool held_by_dispatcher = false;
    for (const lucid::console::graph_edge& e : s.edges)
      held_by_dispatcher |= e.kind == lucid::console::graph_edge::type::held_by && e.task == d->id;
    EXPECT_TRUE(held_by_dispatcher);
    EXPECT_TRUE(s.cycles.empty());
    std::ostringstream out;
    lucid::console::dump(out, s);
    EXPECT_TRUE(has(out.str(), "whose senders are probably held by task " + std::to_string(d->id) +
                                   " 'dispatcher' via a container in its frame (in operator(), "
                                   "at "))
        << out.str();
    EXPECT_FALSE(has(out.str(), "in no suspended task's frame")) << out.str();
    go->notify_one();
    co_await std::move(dispatcher);  // sends twice, then drops the vector: the channel closes
    co_await std::move(consumer);
  }());
}

int g_keeper_waits_line = 0;

/// The holders of the sender the task named `asker` waits for.
std::vector<lucid::console::holder> holders_of(const lucid::console::snapshot& s,
                                               const char* asker) {
  const auto* a = find_task(s, asker);
  if (a == nullptr) return {};
  EXPECT_EQ(a->root.wait.kind, "oneshot") << asker;
  return a->root.wait.holders;
}

TEST(ConsoleSnapshot, RepliesKeptInAMapAnUnorderedMapOrAListAreProbablyHeldByTheirTask) {
  lucid::runtime rt = lucid::runtime::multi_thread(2);
  rt.block_on([]() -> lucid::task<> {
    using reply = lucid::oneshot::sender<int>;
    auto wait_for = [](lucid::oneshot::receiver<int> rx) -> lucid::task<> {
      (void)co_await std::move(rx);
    };
    std::map<int, reply> by_id;
    std::unordered_map<std::uint64_t, reply> pending;
    std::list<reply> queue;
    std::vector<lucid::join_handle<void>> askers;
    for (int i = 0; i < 3; ++i) {
      auto [tx, rx] = lucid::oneshot::channel<int>();
      by_id.emplace(i, std::move(tx));
      askers.push_back(lucid::spawn("map_asker", wait_for(std::move(rx))));
    }
    for (int i = 0; i < 20; ++i) {  // more than one bucket
      auto [tx, rx] = lucid::oneshot::channel<int>();
      pending.emplace(1000 + i, std::move(tx));
      askers.push_back(lucid::spawn("unordered_asker", wait_for(std::move(rx))));
    }
    {
      auto [tx, rx] = lucid::oneshot::channel<int>();
      queue.push_back(std::move(tx));
      askers.push_back(lucid::spawn("list_asker", wait_for(std::move(rx))));
    }
    // Not found: a sender behind a unique_ptr.
    auto [boxed_tx, boxed_rx] = lucid::oneshot::channel<int>();
    auto boxed = std::make_unique<reply>(std::move(boxed_tx));
    askers.push_back(lucid::spawn("boxed_asker", wait_for(std::move(boxed_rx))));

    auto go = std::make_shared<lucid::notify>();
    auto keeper = lucid::spawn(
        "keeper",
        [](std::map<int, reply> by_id, std::unordered_map<std::uint64_t, reply> pending,
           std::list<reply> queue, std::shared_ptr<lucid::notify> go) -> lucid::task<> {
          g_keeper_waits_line = __LINE__ + 1;
          co_await go->notified();
          for (auto& [_, r] : by_id)
            (void)r.send(1);
          for (auto& [_, r] : pending)
            (void)r.send(2);
          for (auto& r : queue)
            (void)r.send(3);
        }(std::move(by_id), std::move(pending), std::move(queue), go));
    co_await lucid::sleep(50ms);
    lucid::console::snapshot s = lucid::console::take_snapshot();
    const auto* k = find_task(s, "keeper");
    EXPECT_TRUE(k != nullptr);
    if (k == nullptr) co_return;
    std::size_t found = 0;
    for (const lucid::console::task_view& t : s.tasks) {
      if (t.name != "map_asker" && t.name != "unordered_asker" && t.name != "list_asker") continue;
      EXPECT_EQ(t.root.wait.holders.size(), 1u) << t.name << " " << t.id;
      if (t.root.wait.holders.size() != 1) continue;
      const lucid::console::holder& h = t.root.wait.holders[0];
      EXPECT_EQ(h.task, k->id) << t.name;
      EXPECT_TRUE(h.in_container) << t.name;
      EXPECT_FALSE(h.in_frame) << t.name;
      EXPECT_EQ(h.acquired_at.line, static_cast<unsigned>(g_keeper_waits_line)) << t.name;
      ++found;
    }
    EXPECT_EQ(found, 24u);
    EXPECT_TRUE(holders_of(s, "boxed_asker").empty()) << [&] {
      std::ostringstream o;
      lucid::console::dump(o, s);
      return o.str();
    }();
    EXPECT_TRUE(s.cycles.empty());
    go->notify_one();
    co_await std::move(keeper);
    boxed.reset();  // the last waiter sees its sender dropped
    for (auto& a : askers)
      co_await std::move(a);
  }());
}

int g_batcher_waits_line = 0;

TEST(ConsoleSnapshot, RequestsQueuedInAStdDequeOrStdQueueAreProbablyHeldByTheirTask) {
  lucid::runtime rt = lucid::runtime::multi_thread(2);
  rt.block_on([]() -> lucid::task<> {
    // A request as a batcher keeps it: a key, then the reply sender (24
    // bytes: 21 to a deque's 512-byte buffer, so 50 requests span three).
    struct request {
      std::uint64_t key;
      lucid::oneshot::sender<int> reply;
    };
    auto wait_for = [](lucid::oneshot::receiver<int> rx) -> lucid::task<> {
      (void)co_await std::move(rx);
    };
    std::deque<request> batch;
    std::queue<request> backlog;  // a std::deque inside
    std::vector<lucid::join_handle<void>> askers;
    for (std::uint64_t i = 0; i < 50; ++i) {
      auto [tx, rx] = lucid::oneshot::channel<int>();
      batch.push_back({i, std::move(tx)});
      askers.push_back(lucid::spawn("deque_asker", wait_for(std::move(rx))));
    }
    batch.pop_front();  // the first buffer starts past its beginning
    for (std::uint64_t i = 0; i < 2; ++i) {
      auto [tx, rx] = lucid::oneshot::channel<int>();
      backlog.push({i, std::move(tx)});
      askers.push_back(lucid::spawn("queue_asker", wait_for(std::move(rx))));
    }
    auto go = std::make_shared<lucid::notify>();
    auto batcher = lucid::spawn("batcher",
                                [](std::deque<request> batch, std::queue<request> backlog,
                                   std::shared_ptr<lucid::notify> go) -> lucid::task<> {
                                  g_batcher_waits_line = __LINE__ + 1;
                                  co_await go->notified();
                                  for (auto& r : batch)
                                    (void)r.reply.send(1);
                                  for (; !backlog.empty(); backlog.pop())
                                    (void)backlog.front().reply.send(2);
                                }(std::move(batch), std::move(backlog), go));
    co_await lucid::sleep(50ms);
    lucid::console::snapshot s = lucid::console::take_snapshot();
    const auto* b = find_task(s, "batcher");
    EXPECT_TRUE(b != nullptr);
    if (b == nullptr) co_return;
    std::size_t found = 0, dropped = 0;
    for (const lucid::console::task_view& t : s.tasks) {
      if (t.name != "deque_asker" && t.name != "queue_asker") continue;
      if (t.root.wait.kind != "oneshot") {
        ++dropped;  // the request popped before the batcher started: its asker ended
        continue;
      }
      EXPECT_EQ(t.root.wait.holders.size(), 1u) << t.name << " " << t.id;
      if (t.root.wait.holders.size() != 1) continue;
      const lucid::console::holder& h = t.root.wait.holders[0];
      EXPECT_EQ(h.task, b->id) << t.name;
      EXPECT_TRUE(h.in_container) << t.name;
      EXPECT_FALSE(h.in_frame) << t.name;
      EXPECT_EQ(h.acquired_at.line, static_cast<unsigned>(g_batcher_waits_line)) << t.name;
      ++found;
    }
    EXPECT_EQ(found, 51u) << [&] {
      std::ostringstream o;
      lucid::console::dump(o, s);
      return o.str();
    }();
    EXPECT_LE(dropped, 1u);
    EXPECT_TRUE(s.cycles.empty());
    go->notify_one();
    co_await std::move(batcher);
    for (auto& a : askers)
      co_await std::move(a);
  }());
}

/// An RPC client as users write one: pending replies in a member map (under
/// a mutex: the callers run on two workers), a reader and callers that are
/// member coroutines (their frames hold `this`).
struct rpc_client {
  std::mutex mu;
  std::unordered_map<std::uint64_t, lucid::oneshot::sender<int>> pending;
  std::shared_ptr<lucid::notify> go = std::make_shared<lucid::notify>();
  int reader_waits_line = 0;

  lucid::task<> read_loop() {
    reader_waits_line = __LINE__ + 1;
    co_await go->notified();
    std::lock_guard g(mu);
    for (auto& [_, r] : pending)
      (void)r.send(1);
    pending.clear();
  }
  lucid::task<> call(std::uint64_t id) {
    auto [tx, rx] = lucid::oneshot::channel<int>();
    {
      std::lock_guard g(mu);
      pending.emplace(id, std::move(tx));
    }
    (void)co_await std::move(rx);
  }
  std::size_t calls() {
    std::lock_guard g(mu);
    return pending.size();
  }
};

TEST(ConsoleSnapshot, RepliesInAMapOfAnObjectTheReaderPointsToAreProbablyTheReaders) {
  lucid::runtime rt = lucid::runtime::multi_thread(2);
  rt.block_on([]() -> lucid::task<> {
    // On the heap: the map is in no frame, only `this` pointers to it are.
    auto client = std::make_unique<rpc_client>();
    std::vector<lucid::join_handle<void>> callers;
    for (std::uint64_t id = 1; id <= 3; ++id)
      callers.push_back(lucid::spawn("caller", client->call(id)));
    while (client->calls() < 3)  // the callers' replies are in the map
      co_await lucid::sleep(1ms);
    auto reader = lucid::spawn("reader", client->read_loop());
    co_await lucid::sleep(50ms);
    lucid::console::snapshot s = lucid::console::take_snapshot();
    const auto* r = find_task(s, "reader");
    EXPECT_TRUE(r != nullptr);
    if (r == nullptr) co_return;
    std::size_t found = 0;
    for (const lucid::console::task_view& t : s.tasks) {
      if (t.name != "caller") continue;
      EXPECT_EQ(t.root.wait.holders.size(), 1u) << t.id;
      if (t.root.wait.holders.size() != 1) continue;
      // Every caller's frame points to the client too: the reader, who does
      // not wait on the reply, is the one named.
      const lucid::console::holder& h = t.root.wait.holders[0];
      EXPECT_EQ(h.task, r->id);
      EXPECT_TRUE(h.in_container);
      EXPECT_TRUE(h.via_object);
      EXPECT_FALSE(h.in_frame);
      EXPECT_EQ(h.acquired_at.line, static_cast<unsigned>(client->reader_waits_line));
      ++found;
    }
    EXPECT_EQ(found, 3u);
    EXPECT_TRUE(s.cycles.empty());
    std::ostringstream out;
    lucid::console::dump(out, s);
    EXPECT_TRUE(has(out.str(), "whose sender is probably held by task " + std::to_string(r->id) +
                                   " 'reader' via a container in an object its frame points to "
                                   "(in read_loop, at "))
        << out.str();
    client->go->notify_one();
    co_await std::move(reader);
    for (auto& c : callers)
      co_await std::move(c);
  }());
}

/// A session as services keep one: shared, with the sender to its writer
/// task as a member.
struct test_session {
  std::uint64_t id = 0;
  lucid::mpsc::sender<int> outbox;
};

/// A session's writer: ends once every sender of its channel is gone.
lucid::task<> session_writer(lucid::mpsc::receiver<int> rx) {
  while (auto v = co_await rx.recv()) {
  }
}

int g_server_waits_line = 0;

TEST(ConsoleSnapshot, ASenderThatIsAMemberOfAnObjectAFramePointsToIsProbablyThatTasks) {
  lucid::runtime rt = lucid::runtime::multi_thread(2);
  rt.block_on([]() -> lucid::task<> {
    // The server keeps the session alive, so the writer's channel never
    // closes; a second session's writer keeps its own session, and so its
    // own channel, alive.
    using session = test_session;
    auto writer = session_writer;
    auto [tx, rx] = lucid::mpsc::bounded<int>(4);
    auto kept = std::make_shared<session>(session{1, std::move(tx)});
    auto w1 = lucid::spawn("writer", writer(std::move(rx)));
    auto go = std::make_shared<lucid::notify>();
    auto server = lucid::spawn(
        "server",
        [](std::shared_ptr<session> s, std::shared_ptr<lucid::notify> go) -> lucid::task<> {
          g_server_waits_line = __LINE__ + 1;
          co_await go->notified();
          s.reset();  // the last sender goes: the writer ends
        }(std::move(kept), go));
    auto [tx2, rx2] = lucid::mpsc::bounded<int>(4);
    auto own = std::make_shared<session>(session{2, std::move(tx2)});
    auto w2 = lucid::spawn("self_keeper",
                           [](lucid::mpsc::receiver<int> rx, std::shared_ptr<session> mine,
                              std::shared_ptr<lucid::notify> go) -> lucid::task<> {
                             co_await lucid::select(rx.recv(), go->notified());
                             mine.reset();
                           }(std::move(rx2), std::move(own), go));
    co_await lucid::sleep(50ms);
    lucid::console::snapshot s = lucid::console::take_snapshot();
    const auto* w = find_task(s, "writer");
    const auto* sv = find_task(s, "server");
    const auto* k = find_task(s, "self_keeper");
    EXPECT_TRUE(w != nullptr && sv != nullptr && k != nullptr);
    if (w == nullptr || sv == nullptr || k == nullptr) co_return;
    std::ostringstream out;
    lucid::console::dump(out, s);
    EXPECT_EQ(w->root.wait.holders.size(), 1u) << out.str();
    if (w->root.wait.holders.size() == 1) {
      const lucid::console::holder& h = w->root.wait.holders[0];
      EXPECT_EQ(h.task, sv->id);
      EXPECT_TRUE(h.via_object);
      EXPECT_FALSE(h.in_container);
      EXPECT_FALSE(h.in_frame);
      EXPECT_EQ(h.acquired_at.line, static_cast<unsigned>(g_server_waits_line));
    }
    EXPECT_TRUE(has(out.str(), "whose sender is probably held by task " + std::to_string(sv->id) +
                                   " 'server' in an object its frame points to (in operator(), "
                                   "at "))
        << out.str();
    // The self-keeper waits in a select: its branch names itself.
    EXPECT_TRUE(has(out.str(), "whose sender is probably held by task " + std::to_string(k->id) +
                                   " 'self_keeper' in an object its frame points to"))
        << out.str();
    EXPECT_TRUE(s.cycles.empty());
    go->notify_waiters();
    co_await std::move(server);
    co_await std::move(w1);
    co_await std::move(w2);
  }());
}

/// How many tasks named "writer" in `s` wait with one holder, `server`,
/// found in a session that a registry points to (in `server`'s frame, or
/// with `deeper` in an object its frame points to), at `line`.
std::size_t writers_held_by(const lucid::console::snapshot& s,
                            const lucid::console::task_view& server, int line, bool deeper,
                            const std::string& dump) {
  std::size_t found = 0;
  for (const lucid::console::task_view& t : s.tasks) {
    if (t.name != "writer") continue;
    EXPECT_EQ(t.root.wait.holders.size(), 1u) << t.id << "\n" << dump;
    if (t.root.wait.holders.size() != 1) continue;
    const lucid::console::holder& h = t.root.wait.holders[0];
    EXPECT_EQ(h.task, server.id);
    EXPECT_TRUE(h.via_object);
    EXPECT_EQ(h.via_element, !deeper);
    EXPECT_EQ(h.via_object_element, deeper);
    EXPECT_FALSE(h.in_container);
    EXPECT_FALSE(h.in_frame);
    EXPECT_EQ(h.acquired_at.line, static_cast<unsigned>(line));
    ++found;
  }
  return found;
}

/// Once the writers wait: a snapshot names `server` (a task named
/// "server") as each of the `count` writers' holder, the dump says `says`
/// after its name, and no cycle is built on it; then they all end.
lucid::task<> expect_writers_held(lucid::join_handle<void> server,
                                  std::shared_ptr<lucid::notify> go,
                                  std::vector<lucid::join_handle<void>> writers, std::size_t count,
                                  const int* line, bool deeper, std::string says) {
  co_await lucid::sleep(50ms);
  lucid::console::snapshot s = lucid::console::take_snapshot();
  const auto* sv = find_task(s, "server");
  EXPECT_TRUE(sv != nullptr);
  if (sv != nullptr) {
    std::ostringstream out;
    lucid::console::dump(out, s);
    EXPECT_EQ(writers_held_by(s, *sv, *line, deeper, out.str()), count);
    EXPECT_TRUE(
        has(out.str(), "whose sender is probably held by task " + std::to_string(sv->id) + says))
        << out.str();
    EXPECT_TRUE(s.cycles.empty());
  }
  go->notify_one();
  co_await std::move(server);
  for (auto& w : writers)
    co_await std::move(w);
}

int g_registry_waits_line = 0;

TEST(ConsoleSnapshot, ASenderInASessionThatARegistryInAFramePointsToIsProbablyThatTasks) {
  lucid::runtime rt = lucid::runtime::multi_thread(2);
  rt.block_on([]() -> lucid::task<> {
    // A server keeps its sessions in registries (a vector and a map of
    // shared_ptrs); each session holds the sender to its writer. Sessions
    // left there after their clients went keep their writers waiting.
    using session = test_session;
    auto writer = session_writer;
    std::vector<std::shared_ptr<session>> listed;
    std::map<std::uint64_t, std::shared_ptr<session>> by_id;
    std::vector<lucid::join_handle<void>> writers;
    for (std::uint64_t i = 0; i < 4; ++i) {
      auto [tx, rx] = lucid::mpsc::bounded<int>(4);
      auto s = std::make_shared<session>(session{i, std::move(tx)});
      if (i < 2) {
        listed.push_back(std::move(s));
      } else {
        by_id.emplace(i, std::move(s));
      }
      writers.push_back(lucid::spawn("writer", writer(std::move(rx))));
    }
    auto go = std::make_shared<lucid::notify>();
    auto server = lucid::spawn("server",
                               [](std::vector<std::shared_ptr<session>> listed,
                                  std::map<std::uint64_t, std::shared_ptr<session>> by_id,
                                  std::shared_ptr<lucid::notify> go) -> lucid::task<> {
                                 g_registry_waits_line = __LINE__ + 1;
                                 co_await go->notified();
                                 listed.clear();  // the sessions go, and their writers end
                                 by_id.clear();
                               }(std::move(listed), std::move(by_id), go));
    co_await expect_writers_held(std::move(server), go, std::move(writers), 4,
                                 &g_registry_waits_line, /*deeper=*/false,
                                 " 'server' in an object a container in its frame points to "
                                 "(in operator(), at ");
  }());
}

int g_hub_waits_line = 0;

// The registry of the test above kept in a server object, whose member
// coroutine serves: the sender is three pointers from the frame (`this`,
// the map's node, the session).
class session_hub {
 public:
  lucid::task<> serve(std::shared_ptr<lucid::notify> go) {
    g_hub_waits_line = __LINE__ + 1;
    co_await go->notified();
    sessions_.clear();  // the sessions go, and their writers end
  }
  std::map<std::uint64_t, std::shared_ptr<test_session>> sessions_;
};

TEST(ConsoleSnapshot, ASenderInASessionThatAServerObjectsRegistryPointsToIsProbablyTheServers) {
  lucid::runtime rt = lucid::runtime::multi_thread(2);
  rt.block_on([]() -> lucid::task<> {
    auto hub = std::make_unique<session_hub>();
    std::vector<lucid::join_handle<void>> writers;
    for (std::uint64_t i = 0; i < 3; ++i) {
      auto [tx, rx] = lucid::mpsc::bounded<int>(4);
      hub->sessions_.emplace(i, std::make_shared<test_session>(test_session{i, std::move(tx)}));
      writers.push_back(lucid::spawn("writer", session_writer(std::move(rx))));
    }
    auto go = std::make_shared<lucid::notify>();
    // The server task owns the hub; this task keeps no pointer to it.
    auto server = lucid::spawn(
        "server",
        [](std::unique_ptr<session_hub> hub, std::shared_ptr<lucid::notify> go) -> lucid::task<> {
          co_await hub->serve(std::move(go));
        }(std::move(hub), go));
    co_await expect_writers_held(std::move(server), go, std::move(writers), 3, &g_hub_waits_line,
                                 /*deeper=*/true,
                                 " 'server' in an object listed in a container of an object "
                                 "its frame points to (in serve, at ");
  }());
}

TEST(ConsoleSnapshot, AOneshotIsHeldByTheTaskWhoseFrameHoldsItsSender) {
  lucid::runtime rt = lucid::runtime::multi_thread(2);
  rt.block_on([]() -> lucid::task<> {
    auto [tx, rx] = lucid::oneshot::channel<int>();
    auto go = std::make_shared<lucid::notify>();
    auto asker = lucid::spawn("asker", [](lucid::oneshot::receiver<int> rx) -> lucid::task<> {
      (void)co_await std::move(rx);
    }(std::move(rx)));
    auto replier = lucid::spawn(
        "replier",
        [](lucid::oneshot::sender<int> tx, std::shared_ptr<lucid::notify> go) -> lucid::task<> {
          co_await go->notified();
          (void)tx.send(7);
        }(std::move(tx), go));
    co_await lucid::sleep(50ms);
    lucid::console::snapshot s = lucid::console::take_snapshot();
    const auto* a = find_task(s, "asker");
    const auto* r = find_task(s, "replier");
    EXPECT_TRUE(a != nullptr && r != nullptr);
    if (a != nullptr && r != nullptr) {
      EXPECT_EQ(a->root.wait.kind, "oneshot");
      EXPECT_EQ(a->root.wait.holders.size(), 1u);
      if (!a->root.wait.holders.empty()) {
        EXPECT_EQ(a->root.wait.holders[0].task, r->id);
      }
      // The replier waits on a notify nobody holds: no edge, no cycle.
      EXPECT_TRUE(s.cycles.empty());
    }
    go->notify_one();
    co_await std::move(asker);
    co_await std::move(replier);
  }());
}

TEST(ConsoleSnapshot, ASemaphoreIsHeldByTheTasksWhoseFramesHoldItsPermits) {
  lucid::runtime rt = lucid::runtime::multi_thread(2);
  rt.block_on([]() -> lucid::task<> {
    auto limit = std::make_shared<lucid::semaphore>(3);
    auto go = std::make_shared<lucid::notify>();
    // One permit moved into a spawned task's frame, one kept on the heap,
    // one forgotten (taken for good: nobody holds it).
    auto p1 = co_await limit->acquire();
    auto worker = lucid::spawn(
        "worker", [](lucid::semaphore_permit, std::shared_ptr<lucid::notify> go) -> lucid::task<> {
          co_await go->notified();
        }(std::move(*p1), go));
    auto on_heap = std::make_unique<lucid::semaphore_permit>(*co_await limit->acquire());
    (*co_await limit->acquire()).forget();
    auto waiter = lucid::spawn("waiter", [](std::shared_ptr<lucid::semaphore> l) -> lucid::task<> {
      auto p = co_await l->acquire();
    }(limit));
    co_await lucid::sleep(50ms);
    lucid::console::snapshot s = lucid::console::take_snapshot();
    const auto* w = find_task(s, "waiter");
    const auto* k = find_task(s, "worker");
    EXPECT_TRUE(w != nullptr && k != nullptr);
    if (w != nullptr && k != nullptr) {
      EXPECT_EQ(w->root.wait.kind, "semaphore");
      EXPECT_EQ(w->root.wait.permits, 0);
      EXPECT_EQ(w->root.wait.handles, 2);  // the forgotten one is held by nobody
      EXPECT_EQ(w->root.wait.holders.size(), 1u);
      if (!w->root.wait.holders.empty()) {
        EXPECT_EQ(w->root.wait.holders[0].task, k->id);
        EXPECT_EQ(w->root.wait.holders[0].acquired_at.function, "operator()");
      }
      std::ostringstream out;
      lucid::console::dump(out, s);
      EXPECT_TRUE(has(out.str(), "whose permit is held by task " + std::to_string(k->id) +
                                     " 'worker' (in operator(), at "))
          << out.str();
      EXPECT_TRUE(s.cycles.empty());
    }
    on_heap.reset();  // the waiter takes it
    co_await std::move(waiter);
    go->notify_one();
    co_await std::move(worker);
    EXPECT_EQ(limit->available_permits(), 2u);
  }());
}

TEST(ConsoleSnapshot, AResourceDroppedWhileAggregationWasOffIsForgotten) {
  // The tracker keeps resources' headers; one destroyed while the tracker
  // was removed must not be read when aggregation comes back (ASan: no
  // use after free).
  lucid::runtime rt = lucid::runtime::multi_thread(2);
  rt.block_on([]() -> lucid::task<> {
    lucid::console::enable_aggregation(true);
    auto m = std::make_unique<lucid::mutex>();
    const lucid::resource_id id = m->id();
    auto g = co_await m->lock();
    EXPECT_NE(find_resource(lucid::console::take_snapshot(), id), nullptr);
    lucid::console::enable_aggregation(false);
    g.unlock();
    m.reset();
    lucid::console::enable_aggregation(true);
    EXPECT_EQ(find_resource(lucid::console::take_snapshot(), id), nullptr);
    lucid::console::enable_aggregation(false);
  }());
}

TEST(ConsoleSnapshot, TheDumpGroupsIdenticalTasks) {
  lucid::runtime rt = lucid::runtime::multi_thread(2);
  rt.block_on([]() -> lucid::task<> {
    lucid::notify n;
    std::vector<lucid::join_handle<void>> hs;
    for (int i = 0; i < 50; ++i)
      hs.push_back(lucid::spawn(
          "same", [](lucid::notify* n) -> lucid::task<> { co_await n->notified(); }(&n)));
    co_await lucid::sleep(20ms);
    std::ostringstream os;
    lucid::console::dump(os);
    EXPECT_TRUE(has(os.str(), "and 49 more tasks like this:")) << os.str();
    for (auto& h : hs)
      h.abort();
    for (auto& h : hs) {
      try {
        co_await h;
      } catch (const lucid::task_aborted&) {
      }
    }
  }());
}

TEST(ConsoleSnapshot, TheDumpWorksWhenEveryWorkerIsBlocked) {
  lucid::runtime rt = lucid::runtime::multi_thread(2);
  std::atomic<int> started{0};
  std::atomic<bool> release{false};
  std::array<lucid::join_handle<void>, 2> hs;
  for (auto& h : hs) {
    h = rt.spawn("blocker",
                 [](std::atomic<int>* started, std::atomic<bool>* release) -> lucid::task<> {
                   started->fetch_add(1);
                   while (!release->load())
                     std::this_thread::sleep_for(1ms);  // blocks its worker
                   co_return;
                 }(&started, &release));
  }
  while (started.load() < 2)
    std::this_thread::sleep_for(1ms);
  std::ostringstream os;
  lucid::console::dump(os);  // from a thread outside the runtime, both workers stuck
  release.store(true);
  EXPECT_TRUE(has(os.str(), "'blocker' running on worker")) << os.str();
  rt.block_on([](auto* hs) -> lucid::task<> {
    for (auto& h : *hs)
      co_await h;
  }(&hs));
}

lucid::task<int> big_frame() {
  std::array<char, 20 * 1024> buf{};
  co_await lucid::sleep(1ms);
  co_return buf[7];
}

bool has_warning(std::string_view kind, std::string_view text) {
  for (const auto& w : lucid::console::warnings()) {
    if (w.kind == kind && w.message.find(text) != std::string::npos) return true;
  }
  return false;
}

TEST(ConsoleLints, LargeFrameAndSelfWakes) {
  lucid::console::enable_aggregation(true);
  lucid::runtime rt = lucid::runtime::multi_thread(2);
  rt.block_on([]() -> lucid::task<> {
    (void)co_await big_frame();
    auto spinner = lucid::spawn("spinner", []() -> lucid::task<> {
      for (;;)
        co_await lucid::yield_now();
    }());
    // The watchdog looks every 250 ms.
    for (int i = 0;
         i < 200 && !(has_warning("large frame", "KiB") && has_warning("self wakes", "'spinner'"));
         ++i)
      co_await lucid::sleep(20ms);
    spinner.abort();
  }());
  // The coroutine itself, or (when the compiler inlined its ramp into the
  // caller, as ASan builds do) the test body that created it.
  EXPECT_TRUE(has_warning("large frame", "created by (anonymous namespace)::big_frame") ||
              has_warning("large frame", "LargeFrameAndSelfWakes"))
      << [] {
           std::string all;
           for (const auto& w : lucid::console::warnings())
             all += w.message;
           return all;
         }();
  EXPECT_TRUE(has_warning("self wakes", "task"));
  lucid::console::enable_aggregation(false);
}

}  // namespace
