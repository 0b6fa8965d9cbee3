// The program the gdb extension's tests (tests/gdb/gdb_test.sh) read: a
// runtime with a task waiting on a oneshot nobody sends on, a mutex held by
// one task and awaited by another, a channel whose sender a sleeping task
// keeps in a std::vector, and a sleeping task. Lines marked
// "expect NAME:" are printed so the test can check the await sites gdb names.
//
//   gdb_target abort   sets everything up, then abort()s from a task (a core file)
//   gdb_target ready   sets everything up, prints "ready" and sleeps (gdb attaches)
//   gdb_target stop    as ready, then a thread raises SIGINT (run under gdb: it stops there)
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <map>
#include <memory>
#include <string_view>
#include <thread>
#include <vector>

#include "lucid/lucid.hpp"

using namespace std::chrono_literals;

namespace {

void expect(const char* what, int line) {
  std::printf("expect %s: %s:%d\n", what, __FILE__, line);
  std::fflush(stdout);
}

lucid::task<> wait_order(lucid::oneshot::receiver<int> rx) {
  expect("order_waiter", __LINE__ + 1);
  (void)co_await std::move(rx);
}

// One level deeper than the spawned frame, so `lucid bt` has a chain to print.
lucid::task<> hold(std::shared_ptr<lucid::mutex> m) {
  expect("lock_holder_locks", __LINE__ + 1);
  auto g = co_await m->lock();
  expect("lock_holder", __LINE__ + 1);
  co_await lucid::sleep(1h);
}

lucid::task<> lock_holder(std::shared_ptr<lucid::mutex> m) {
  expect("lock_holder_outer", __LINE__ + 1);
  co_await hold(std::move(m));
}

lucid::task<> lock_waiter(std::shared_ptr<lucid::mutex> m) {
  co_await lucid::sleep(50ms);  // the holder locks first
  expect("lock_waiter", __LINE__ + 1);
  auto g = co_await m->lock();
}

// A second waiter on the mutex, inside a timeout: a combinator branch.
lucid::task<> deadline_waiter(std::shared_ptr<lucid::mutex> m) {
  co_await lucid::sleep(100ms);
  expect("deadline_waiter", __LINE__ + 1);
  auto g = co_await lucid::timeout(1h, m->lock());
}

// A sender parked on a full bounded channel, and a task waiting for a permit.
lucid::task<> producer(lucid::mpsc::sender<int> tx) {
  co_await tx.send(1);  // fills the channel (capacity 1)
  expect("producer", __LINE__ + 1);
  co_await tx.send(2);
}

lucid::task<> permit_waiter(std::shared_ptr<lucid::semaphore> s) {
  expect("permit_waiter", __LINE__ + 1);
  auto p = co_await s->acquire();
}

// A receiver whose only sender a dispatcher keeps in a std::vector, a
// reply whose sender it keeps in a std::map and one in a std::deque, a
// session writer whose sender is a member of a session the dispatcher and
// the writer share, and one whose session the dispatcher keeps in a map of
// sessions (all on the heap, in no frame), while the dispatcher sleeps.
lucid::task<> mail_reader(lucid::mpsc::receiver<int> rx) {
  expect("mail_reader", __LINE__ + 1);
  (void)co_await rx.recv();
}

lucid::task<> reply_waiter(lucid::oneshot::receiver<int> rx) {
  expect("reply_waiter", __LINE__ + 1);
  (void)co_await std::move(rx);
}

struct session {
  int id = 0;
  lucid::mpsc::sender<int> outbox;
};

lucid::task<> session_writer(lucid::mpsc::receiver<int> rx, std::shared_ptr<session> s) {
  expect("session_writer", __LINE__ + 1);
  (void)co_await rx.recv();
  s->id = 0;
}

lucid::task<> dispatcher(std::vector<lucid::mpsc::sender<int>> out,
                         std::map<int, lucid::oneshot::sender<int>> replies,
                         std::deque<lucid::oneshot::sender<int>> queued, std::shared_ptr<session> s,
                         std::map<int, std::shared_ptr<session>> registry) {
  expect("dispatcher", __LINE__ + 1);
  co_await lucid::sleep(1h);
  for (auto& o : out)
    (void)co_await o.send(1);
  for (auto& [_, r] : replies)
    (void)r.send(1);
  for (auto& r : queued)
    (void)r.send(1);
  s.reset();  // the writer's channel closes once the writer drops its session too
  registry.clear();
}

// A server object whose member coroutine sleeps keeps a session in a
// std::map member: that writer's sender is three pointers from the frame
// (`this`, the map's node, the session).
class session_hub {
 public:
  lucid::task<> serve() {
    expect("hub", __LINE__ + 1);
    co_await lucid::sleep(1h);
    sessions_.clear();
  }
  std::map<int, std::shared_ptr<session>> sessions_;
};

lucid::task<> run_hub(std::unique_ptr<session_hub> hub) {
  co_await hub->serve();
}

lucid::task<> sleeper() {
  expect("sleeper", __LINE__ + 1);
  co_await lucid::sleep(1h);
}

lucid::task<int> root(std::string_view mode) {
  auto [tx, rx] = lucid::oneshot::channel<int>();
  // Not make_shared: the mutex records its creation site from its constructor's
  // default argument, which would then be inside the standard library.
  expect("mutex", __LINE__ + 1);
  auto m = std::shared_ptr<lucid::mutex>(new lucid::mutex());
  auto a = lucid::spawn("order_waiter", wait_order(std::move(rx)));
  auto b = lucid::spawn("lock_holder", lock_holder(m));
  auto c = lucid::spawn("lock_waiter", lock_waiter(m));
  auto d = lucid::spawn("sleeper", sleeper());
  auto f = lucid::spawn("deadline_waiter", deadline_waiter(m));
  auto [qtx, qrx] = lucid::mpsc::bounded<int>(1);
  expect("root_receives", __LINE__ + 1);
  (void)qrx.try_recv();  // empty; makes this task the channel's receiving task
  auto g = lucid::spawn("producer", producer(std::move(qtx)));
  auto sem = std::shared_ptr<lucid::semaphore>(new lucid::semaphore(0));
  auto h = lucid::spawn("permit_waiter", permit_waiter(sem));
  auto [mtx, mrx] = lucid::mpsc::bounded<int>(4);
  std::vector<lucid::mpsc::sender<int>> outs;
  outs.push_back(std::move(mtx));
  auto i = lucid::spawn("mail_reader", mail_reader(std::move(mrx)));
  auto [rtx, rrx] = lucid::oneshot::channel<int>();
  std::map<int, lucid::oneshot::sender<int>> replies;
  replies.emplace(7, std::move(rtx));
  auto k = lucid::spawn("reply_waiter", reply_waiter(std::move(rrx)));
  auto [qrtx, qrrx] = lucid::oneshot::channel<int>();
  std::deque<lucid::oneshot::sender<int>> queued;
  queued.push_back(std::move(qrtx));
  auto l = lucid::spawn("queue_waiter", reply_waiter(std::move(qrrx)));
  auto [stx, srx] = lucid::mpsc::bounded<int>(4);
  auto sess = std::make_shared<session>(session{1, std::move(stx)});
  auto w = lucid::spawn("session_writer", session_writer(std::move(srx), sess));
  auto [gtx, grx] = lucid::mpsc::bounded<int>(4);
  std::map<int, std::shared_ptr<session>> registry;
  registry.emplace(2, std::make_shared<session>(session{2, std::move(gtx)}));
  auto g2 = lucid::spawn("registered_writer", mail_reader(std::move(grx)));
  auto j =
      lucid::spawn("dispatcher", dispatcher(std::move(outs), std::move(replies), std::move(queued),
                                            std::move(sess), std::move(registry)));
  auto [htx, hrx] = lucid::mpsc::bounded<int>(4);
  auto hub = std::make_unique<session_hub>();
  hub->sessions_.emplace(3, std::make_shared<session>(session{3, std::move(htx)}));
  auto hw = lucid::spawn("hub_writer", mail_reader(std::move(hrx)));
  auto hs = lucid::spawn("session_hub", run_hub(std::move(hub)));
  co_await lucid::sleep(500ms);  // everyone is parked by now (the last after 100 ms)
  if (mode == "abort") {
    auto e = lucid::spawn("crasher", []() -> lucid::task<> {
      std::abort();
      co_return;
    }());
    co_await e;
  }
  std::printf("ready\n");
  std::fflush(stdout);
  if (mode == "stop") {
    std::thread([] {
      std::this_thread::sleep_for(100ms);  // the root task is asleep by then
      std::raise(SIGINT);
    }).detach();
  }
  expect("root", __LINE__ + 1);
  co_await lucid::sleep(1h);
  (void)tx.send(1);
  co_return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string_view mode = argc > 1 ? argv[1] : "";
  if (mode != "abort" && mode != "ready" && mode != "stop") {
    std::fprintf(stderr, "usage: gdb_target abort|ready|stop\n");
    return 2;
  }
  return lucid::run(root(mode), lucid::runtime_options::multi_thread(2));
}
