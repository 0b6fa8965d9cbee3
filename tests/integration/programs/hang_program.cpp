// Programs for the console's detector tests (tests/console/detectors_test.cpp):
// each mode is a small lucid program with one classic async bug (or a
// healthy program that must stay quiet). Lines marked "expect NAME:" are
// printed so tests can check that reports name the right line.
#include <chrono>
#include <coroutine>
#include <csignal>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "lucid/console/console.hpp"
#include "lucid/lucid.hpp"
#include "lucid/net/tcp.hpp"
#include "lucid/sync/mpsc.hpp"

using namespace std::chrono_literals;

namespace {

void expect(const char* what, int line) {
  std::printf("expect %s: %s:%d\n", what, __FILE__, line);
  std::fflush(stdout);
}

// ---- a leaked oneshot sender, found by the dump (SIGQUIT)
std::unique_ptr<lucid::oneshot::sender<int>> g_leaked;

lucid::task<int> leaked_oneshot() {
  expect("created", __LINE__ + 1);
  auto [tx, rx] = lucid::oneshot::channel<int>();
  g_leaked = std::make_unique<lucid::oneshot::sender<int>>(std::move(tx));
  auto waiter = [](lucid::oneshot::receiver<int> rx) -> lucid::task<> {
    expect("await", __LINE__ + 1);
    (void)co_await std::move(rx);
  };
  auto h = lucid::spawn("order_waiter", waiter(std::move(rx)));
  co_await lucid::sleep(300ms);
  std::raise(SIGQUIT);  // the dump runs on the watchdog; the program goes on
  co_await lucid::sleep(500ms);
  std::printf("after the dump\n");
  std::fflush(stdout);
  h.abort();
  co_return 0;
}

// ---- a custom awaitable that drops its handle: a lost wake-up
struct forgetful {
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<>) const noexcept {}  // forgets the handle
  void await_resume() const noexcept {}
};

lucid::task<int> lost_waker() {
  auto h = lucid::spawn("forgotten", []() -> lucid::task<> {
    expect("await", __LINE__ + 1);
    co_await forgetful{};
  }());
  co_await lucid::sleep(1500ms);
  h.abort();
  co_return 0;
}

// ---- a blocking call inside a task: a stall
lucid::task<int> stall() {
  auto h = lucid::spawn("blocker", []() -> lucid::task<> {
    co_await lucid::sleep(10ms);
    expect("block", __LINE__ + 1);
    std::this_thread::sleep_for(600ms);
  }());
  co_await h;
  co_return 0;
}

// ---- every worker blocked (for the console server: it must still answer)
lucid::task<int> all_blocked() {
  std::vector<lucid::join_handle<void>> hs;
  for (int i = 0; i < 2; ++i) {
    hs.push_back(lucid::spawn("blocker", []() -> lucid::task<> {
      std::printf("blocking now\n");
      std::fflush(stdout);
      std::this_thread::sleep_for(6s);
      co_return;
    }()));
  }
  for (auto& h : hs)
    co_await h;
  co_return 0;
}

// ---- ABBA: two tasks lock two mutexes in opposite order
lucid::task<int> abba() {
  expect("m1", __LINE__ + 1);
  auto m1 = std::shared_ptr<lucid::mutex>(new lucid::mutex());
  expect("m2", __LINE__ + 1);
  auto m2 = std::shared_ptr<lucid::mutex>(new lucid::mutex());
  auto a = lucid::spawn("transfer_a", [](auto m1, auto m2) -> lucid::task<> {
    expect("a_locks_m1", __LINE__ + 1);
    auto g1 = co_await m1->lock();
    co_await lucid::sleep(50ms);
    expect("a_waits_m2", __LINE__ + 1);
    auto g2 = co_await m2->lock();
  }(m1, m2));
  auto b = lucid::spawn("transfer_b", [](auto m1, auto m2) -> lucid::task<> {
    expect("b_locks_m2", __LINE__ + 1);
    auto g2 = co_await m2->lock();
    co_await lucid::sleep(50ms);
    expect("b_waits_m1", __LINE__ + 1);
    auto g1 = co_await m1->lock();
  }(m1, m2));
  co_await a;
  co_await b;
  co_return 0;
}

// ---- a producer sends into a full bounded channel while it holds the lock
// its consumer needs: the consumer has received before, so it is the
// channel's receiving task, and the two wait on each other. The mutex is made
// by std::make_shared, as users make them.
lucid::task<int> channel_lock() {
  expect("m", __LINE__ + 1);
  auto m = std::make_shared<lucid::mutex>();
  expect("ch", __LINE__ + 1);
  auto [tx, rx] = lucid::mpsc::bounded<int>(1);
  auto consumer = lucid::spawn(
      "consumer",
      [](std::shared_ptr<lucid::mutex> m, lucid::mpsc::receiver<int> rx) -> lucid::task<> {
        for (;;) {
          expect("consumer_receives", __LINE__ + 1);
          auto v = co_await rx.recv();
          if (!v) co_return;
          expect("consumer_locks", __LINE__ + 1);
          auto g = co_await m->lock();
        }
      }(m, std::move(rx)));
  auto producer = lucid::spawn(
      "producer",
      [](std::shared_ptr<lucid::mutex> m, lucid::mpsc::sender<int> tx) -> lucid::task<> {
        for (int i = 0;; i += 3) {
          expect("producer_locks", __LINE__ + 1);
          auto g = co_await m->lock();
          co_await tx.send(i);
          co_await tx.send(i + 1);
          expect("producer_sends", __LINE__ + 1);
          co_await tx.send(i + 2);
        }
      }(m, std::move(tx)));
  co_await consumer;
  co_await producer;
  co_return 0;
}

// Keeps a program busy (so "all tasks are asleep" cannot fire, and only the
// wait-for graph can explain its hang), and kills it after 15 s, so a test
// of a report that never comes fails instead of hanging.
lucid::task<> ticker_that_gives_up() {
  for (int i = 0; i < 750; ++i)
    co_await lucid::sleep(20ms);
  std::printf("no deadlock report in 15 s\n");
  std::fflush(stdout);
  std::raise(SIGKILL);
}

// ---- the classic leaked sender: main sends its jobs, then waits for the
// consumer to drain the channel, but still holds the sender, so the channel
// never closes and the consumer waits forever. A ticker keeps the program
// busy (so "all tasks are asleep" cannot fire): only the wait-for graph,
// which finds the sender in main's frame, can tell.
lucid::task<int> leaked_sender() {
  auto ticker = lucid::spawn("ticker", ticker_that_gives_up());
  expect("ch", __LINE__ + 1);
  auto [tx, rx] = lucid::mpsc::bounded<int>(8);
  auto consumer = lucid::spawn("consumer", [](lucid::mpsc::receiver<int> rx) -> lucid::task<> {
    int sum = 0;
    expect("consumer_receives", __LINE__ + 1);
    while (auto v = co_await rx.recv())
      sum += *v;
    std::printf("consumer done: %d\n", sum);
  }(std::move(rx)));
  for (int i = 0; i < 3; ++i)
    co_await tx.send(i);
  expect("main_joins", __LINE__ + 1);
  co_await consumer;  // the bug: tx is still alive in this frame
  co_return 0;
}

// ---- the same channel, its sender moved into a producer that is still
// working: no deadlock, and the dump names the producer as the holder.
lucid::task<int> moved_sender() {
  expect("ch", __LINE__ + 1);
  auto [tx, rx] = lucid::mpsc::bounded<int>(8);
  auto consumer = lucid::spawn("consumer", [](lucid::mpsc::receiver<int> rx) -> lucid::task<> {
    while (auto v = co_await rx.recv()) {
    }
  }(std::move(rx)));
  auto producer = lucid::spawn("producer", [](lucid::mpsc::sender<int> tx) -> lucid::task<> {
    for (int i = 0; i < 3; ++i) {
      expect("producer_sleeps", __LINE__ + 1);
      co_await lucid::sleep(500ms);
      co_await tx.send(i);
    }
  }(std::move(tx)));
  co_await lucid::sleep(200ms);
  std::raise(SIGQUIT);
  co_await producer;
  co_await consumer;
  std::printf("drained\n");
  co_return 0;
}

// ---- bounded parallelism with nested acquisition: a job holds one of the
// semaphore's two permits while it joins a sub-job that needs a permit too.
// Two jobs take both permits, and each waits for a sub-job that waits for a
// permit: a cycle through the semaphore (the sub-jobs' waits name the jobs
// whose frames hold the permits). A ticker keeps the program busy.
lucid::task<> sub_job(std::shared_ptr<lucid::semaphore> limit) {
  expect("sub_acquires", __LINE__ + 1);
  auto p = co_await limit->acquire();
}

lucid::task<> job(std::shared_ptr<lucid::semaphore> limit) {
  auto p = co_await limit->acquire();
  co_await lucid::sleep(50ms);  // both jobs hold their permit before either sub-job asks
  expect("job_joins", __LINE__ + 1);
  co_await lucid::spawn("sub-job", sub_job(limit));
}

lucid::task<int> permit_join() {
  auto ticker = lucid::spawn("ticker", ticker_that_gives_up());
  expect("limit", __LINE__ + 1);
  auto limit = std::make_shared<lucid::semaphore>(2);
  auto a = lucid::spawn("job", job(limit));
  auto b = lucid::spawn("job", job(limit));
  co_await std::move(a);
  co_await std::move(b);
  co_return 0;
}

// ---- two pumps that each fill the other's channel before they receive from
// their own: neither has received yet, so each full channel's holder is
// found where its receiver lives, in the other pump's frame.
lucid::task<> pump(lucid::mpsc::sender<int> tx, lucid::mpsc::receiver<int> rx) {
  for (int i = 0;; ++i) {
    co_await tx.send(i);
    expect("pump_sends", __LINE__ + 1);
    co_await tx.send(i);
    (void)co_await rx.recv();
  }
}

lucid::task<int> pumps() {
  auto ticker = lucid::spawn("ticker", ticker_that_gives_up());
  expect("ab", __LINE__ + 1);
  auto [tx_ab, rx_ab] = lucid::mpsc::bounded<int>(1);
  auto [tx_ba, rx_ba] = lucid::mpsc::bounded<int>(1);
  auto a = lucid::spawn("pump_a", pump(std::move(tx_ab), std::move(rx_ba)));
  auto b = lucid::spawn("pump_b", pump(std::move(tx_ba), std::move(rx_ab)));
  co_await std::move(a);
  co_return 0;
}

// ---- an rw_lock "upgrade": a task that holds a read guard awaits write() on
// the same lock, which waits for every reader, itself included.
lucid::task<int> rw_upgrade() {
  expect("l", __LINE__ + 1);
  auto l = std::make_shared<lucid::rw_lock>();
  auto h = lucid::spawn("upgrader", [](std::shared_ptr<lucid::rw_lock> l) -> lucid::task<> {
    expect("reads", __LINE__ + 1);
    auto r = co_await l->read();
    expect("writes", __LINE__ + 1);
    auto w = co_await l->write();
  }(l));
  co_await h;
  co_return 0;
}

// ---- a lock held across a slow await (a timer) while another task waits:
// the lint, read back from lucid::console::warnings()
lucid::task<int> lock_held() {
  auto m = std::make_shared<lucid::mutex>();
  auto holder = lucid::spawn("holder", [](auto m) -> lucid::task<> {
    expect("locks", __LINE__ + 1);
    auto g = co_await m->lock();
    expect("sleeps", __LINE__ + 1);
    co_await lucid::sleep(1500ms);
  }(m));
  co_await lucid::sleep(20ms);
  auto waiter =
      lucid::spawn("waiter", [](auto m) -> lucid::task<> { auto g = co_await m->lock(); }(m));
  co_await lucid::sleep(1000ms);
  for (const lucid::console::warning& w : lucid::console::warnings())
    std::printf("%s", w.message.c_str());
  std::fflush(stdout);
  co_await holder;
  co_await waiter;
  co_return 0;
}

// ---- a ring of tasks, each waiting for the next: all asleep
struct ring_state {
  lucid::notify ns[4];
};

lucid::task<> ring_member(std::shared_ptr<ring_state> st, int i) {
  expect("ring_wait", __LINE__ + 1);
  co_await st->ns[i].notified();
  st->ns[(i + 1) % 4].notify_one();
}

lucid::task<int> ring() {
  auto ns = std::make_shared<ring_state>();
  std::vector<lucid::join_handle<void>> hs;
  for (int i = 0; i < 4; ++i)
    hs.push_back(lucid::spawn("ring", ring_member(ns, i)));
  for (auto& h : hs)
    co_await h;
  co_return 0;
}

// ---- two tasks that await each other's join handle
lucid::task<int> join_cycle() {
  auto [tx, rx] = lucid::oneshot::channel<lucid::join_handle<void>>();
  auto b = lucid::spawn("joiner_b",
                        [](lucid::oneshot::receiver<lucid::join_handle<void>> rx) -> lucid::task<> {
                          auto a = co_await std::move(rx);
                          expect("b_joins_a", __LINE__ + 1);
                          co_await *a;
                        }(std::move(rx)));
  auto a = lucid::spawn("joiner_a", [](lucid::join_handle<void> b) -> lucid::task<> {
    co_await lucid::sleep(20ms);
    expect("a_joins_b", __LINE__ + 1);
    co_await b;
  }(std::move(b)));
  (void)tx.send(std::move(a));
  co_await lucid::sleep(3s);
  co_return 0;
}

// A task that awaits its own join handle (handed to it through a oneshot).
lucid::task<int> self_join() {
  auto [tx, rx] = lucid::oneshot::channel<lucid::join_handle<void>>();
  auto me = lucid::spawn(
      "narcissus", [](lucid::oneshot::receiver<lucid::join_handle<void>> rx) -> lucid::task<> {
        auto self = co_await std::move(rx);
        expect("joins_itself", __LINE__ + 1);
        co_await *self;
      }(std::move(rx)));
  (void)tx.send(std::move(me));
  co_await lucid::sleep(3s);
  co_return 0;
}

// ---- healthy programs: the detectors must stay quiet
lucid::task<int> busy() {
  std::vector<lucid::join_handle<void>> hs;
  for (int i = 0; i < 10000; ++i) {
    hs.push_back(lucid::spawn([]() -> lucid::task<> {
      auto end = std::chrono::steady_clock::now() + 1200ms;
      while (std::chrono::steady_clock::now() < end)
        co_await lucid::sleep(1ms);
    }()));
  }
  for (auto& h : hs)
    co_await h;
  co_return 0;
}

lucid::task<int> long_sleep() {
  auto h = lucid::spawn("sleeper", []() -> lucid::task<> { co_await lucid::sleep(1h); }());
  co_await lucid::sleep(1500ms);
  h.abort();
  co_return 0;
}

lucid::task<int> accept_idle() {
  auto l = lucid::net::tcp_listener::bind("127.0.0.1:0");
  if (!l) co_return 3;
  auto server = lucid::spawn("acceptor", [](lucid::net::tcp_listener l) -> lucid::task<> {
    (void)co_await l.accept();
  }(std::move(*l)));
  // The root task also waits on nothing but the acceptor.
  auto stop = lucid::spawn([]() -> lucid::task<> { co_await lucid::sleep(1500ms); }());
  co_await stop;
  server.abort();
  co_return 0;
}

lucid::task<int> foreign_feed() {
  auto [tx, rx] = lucid::mpsc::bounded<int>(4);
  std::thread feeder([tx = std::move(tx)]() mutable {
    std::this_thread::sleep_for(1500ms);
    (void)tx.try_send(42);
  });
  auto v = co_await rx.recv();
  feeder.join();
  co_return v&&* v == 42 ? 0 : 1;
}

/// A dump (SIGQUIT) 300 ms from now, then "after the dump" 300 ms later:
/// the dump runs on the watchdog and the program goes on.
lucid::task<> dump_and_go_on() {
  co_await lucid::sleep(300ms);
  std::raise(SIGQUIT);
  co_await lucid::sleep(300ms);
  std::printf("after the dump\n");
  std::fflush(stdout);
}

// ---- a reply parked in a vector: the backend keeps the reply senders of
// the requests it cannot answer in a std::vector it never retries, so the
// asker waits forever. The sender is on the heap, among the vector's
// elements: the dump names the backend as its probable holder, from the
// vector's pointers in its frame. Not a deadlock the detector reports (a
// guess builds no cycle); a ticker keeps the program alive for a console.
using reply_sender = lucid::oneshot::sender<int>;

lucid::task<> backend(lucid::mpsc::receiver<reply_sender> requests) {
  std::vector<reply_sender> retry_later;
  expect("backend_receives", __LINE__ + 1);
  while (auto reply = co_await requests.recv())
    retry_later.push_back(std::move(*reply));  // parked, never answered
}

lucid::task<> asker(lucid::mpsc::sender<reply_sender> backend) {
  auto [tx, rx] = lucid::oneshot::channel<int>();
  co_await backend.send(std::move(tx));
  expect("asker_waits", __LINE__ + 1);
  (void)co_await std::move(rx);
}

/// With `dump`, a dump (SIGQUIT) once the asker waits, then the program ends.
lucid::task<int> parked_reply(bool dump) {
  auto ticker = lucid::spawn("ticker", ticker_that_gives_up());
  auto [tx, rx] = lucid::mpsc::bounded<reply_sender>(4);
  auto b = lucid::spawn("backend", backend(std::move(rx)));
  auto a = lucid::spawn("asker", asker(tx));
  if (!dump) co_await std::move(a);
  co_await dump_and_go_on();
  a.abort();
  b.abort();
  ticker.abort();
  co_return 0;
}

// ---- a reply lost in a client's map of pending calls: an RPC client keeps
// each call's reply sender in a member std::unordered_map keyed by call id;
// its reader answers the ids it hears back, and one never comes. The map is
// in the client object, in no frame: the dump names the reader, whose frame
// holds `this`, as the probable holder (the callers point to the client too,
// but they wait on replies kept in it). Not a deadlock the detector reports.
class rpc_client {
 public:
  explicit rpc_client(lucid::mpsc::receiver<std::uint64_t> answers)
      : answers_(std::move(answers)) {}

  lucid::task<> read_loop() {
    expect("reader_receives", __LINE__ + 1);
    while (auto id = co_await answers_.recv()) {
      std::lock_guard g(mu_);
      if (auto it = pending_.find(*id); it != pending_.end()) {
        (void)it->second.send(1);
        pending_.erase(it);
      }
    }
  }
  lucid::task<> call(std::uint64_t id) {
    auto [tx, rx] = lucid::oneshot::channel<int>();
    {
      std::lock_guard g(mu_);
      pending_.emplace(id, std::move(tx));
    }
    expect("caller_waits", __LINE__ + 1);
    (void)co_await std::move(rx);
  }
  std::size_t calls() {
    std::lock_guard g(mu_);
    return pending_.size();
  }

 private:
  std::mutex mu_;
  std::unordered_map<std::uint64_t, lucid::oneshot::sender<int>> pending_;
  lucid::mpsc::receiver<std::uint64_t> answers_;
};

/// With `dump`, a dump (SIGQUIT) once call 2 waits, then the program ends.
lucid::task<int> pending_calls(bool dump) {
  auto ticker = lucid::spawn("ticker", ticker_that_gives_up());
  auto [tx, rx] = lucid::mpsc::bounded<std::uint64_t>(4);
  auto client = std::make_shared<rpc_client>(std::move(rx));
  auto call = [](std::shared_ptr<rpc_client> c, std::uint64_t id) -> lucid::task<> {
    co_await c->call(id);
  };
  auto read = [](std::shared_ptr<rpc_client> c) -> lucid::task<> { co_await c->read_loop(); };
  auto reader = lucid::spawn("reader", read(client));
  auto one = lucid::spawn("caller", call(client, 1));
  auto two = lucid::spawn("caller", call(client, 2));
  while (client->calls() < 2)
    co_await lucid::sleep(5ms);
  client.reset();       // the tasks own the client now
  co_await tx.send(1);  // call 1 is answered; call 2's answer never comes
  co_await std::move(one);
  if (!dump) co_await std::move(two);
  co_await dump_and_go_on();
  two.abort();
  reader.abort();
  ticker.abort();
  co_return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string_view mode = argc > 1 ? argv[1] : "";
  lucid::runtime_options opts = lucid::runtime_options::multi_thread(2);
  if (mode == "leaked_oneshot") return lucid::run(leaked_oneshot(), opts);
  if (mode == "lost_waker") return lucid::run(lost_waker(), opts);
  if (mode == "stall") return lucid::run(stall(), opts);
  if (mode == "abba") return lucid::run(abba(), opts);
  if (mode == "all_blocked") return lucid::run(all_blocked(), opts);
  if (mode == "abba_then_exit") {
    return lucid::run(
        []() -> lucid::task<int> {
          auto h = lucid::spawn(abba());
          co_await lucid::sleep(1500ms);
          h.abort();
          co_return 0;
        }(),
        opts);
  }
  if (mode == "ring") return lucid::run(ring(), opts);
  if (mode == "channel_lock") return lucid::run(channel_lock(), opts);
  if (mode == "rw_upgrade") return lucid::run(rw_upgrade(), opts);
  if (mode == "leaked_sender") return lucid::run(leaked_sender(), opts);
  if (mode == "moved_sender") return lucid::run(moved_sender(), opts);
  if (mode == "permit_join") return lucid::run(permit_join(), opts);
  if (mode == "pumps") return lucid::run(pumps(), opts);
  if (mode == "parked_reply") return lucid::run(parked_reply(false), opts);
  if (mode == "parked_reply_dump") return lucid::run(parked_reply(true), opts);
  if (mode == "parked_reply_dump_sandboxed") {
    void refuse_process_vm_readv();  // below main: the lines above stay where docs quote them
    refuse_process_vm_readv();
    return lucid::run(parked_reply(true), opts);
  }
  if (mode == "batched_reply_dump") {
    int run_batched_reply_dump(const lucid::runtime_options&);  // below main, as above
    return run_batched_reply_dump(opts);
  }
  if (mode.starts_with("session_registry") || mode.starts_with("server_registry")) {
    int run_registry(std::string_view mode, const lucid::runtime_options&);  // below main
    return run_registry(mode, opts);
  }
  if (mode == "miscompiled_if") {
    int run_miscompiled_if(const lucid::runtime_options&);  // below main, as above
    return run_miscompiled_if(opts);
  }
  if (mode == "kept_session" || mode == "kept_session_dump") {
    int run_kept_session(bool dump, const lucid::runtime_options&);  // below main, as above
    return run_kept_session(mode == "kept_session_dump", opts);
  }
  if (mode == "pending_calls") return lucid::run(pending_calls(false), opts);
  if (mode == "pending_calls_dump") return lucid::run(pending_calls(true), opts);
  if (mode == "lock_held") return lucid::run(lock_held(), opts);
  if (mode == "join_cycle") return lucid::run(join_cycle(), opts);
  if (mode == "self_join") return lucid::run(self_join(), opts);
  if (mode == "busy") return lucid::run(busy(), opts);
  if (mode == "long_sleep") return lucid::run(long_sleep(), opts);
  if (mode == "accept_idle") return lucid::run(accept_idle(), opts);
  if (mode == "foreign_feed") return lucid::run(foreign_feed(), opts);
  std::fprintf(stderr, "unknown mode\n");
  return 2;
}

// ---- a sandbox that refuses process_vm_readv (a seccomp filter, as some
// container runtimes install): the dump cannot read heap memory, so it
// finds the parked reply's vector by its three words alone.
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include <cerrno>
#include <cstddef>
#include <cstdlib>

void refuse_process_vm_readv() {
  sock_filter code[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_process_vm_readv, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA)),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  sock_fprog prog{static_cast<unsigned short>(sizeof code / sizeof code[0]), code};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
      prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0) {
    std::perror("seccomp");
    std::exit(3);
  }
  std::printf("process_vm_readv refused\n");
  std::fflush(stdout);
}

// ---- requests queued for a batch that never fills: the batcher answers
// requests four at a time and keeps them in a std::queue (a std::deque)
// until then; only three come, so their callers wait forever. The reply
// senders are on the heap, in the deque's buffer: the dump names the
// batcher as their probable holder, from the deque's words in its frame.
#include <queue>

namespace {

struct batched_request {
  int key;
  reply_sender reply;
};

lucid::task<> batcher(lucid::mpsc::receiver<batched_request> requests) {
  std::queue<batched_request> pending;
  expect("batcher_receives", __LINE__ + 1);
  while (auto r = co_await requests.recv()) {
    pending.push(std::move(*r));
    if (pending.size() < 4) continue;
    for (; !pending.empty(); pending.pop())
      (void)pending.front().reply.send(pending.front().key * 2);
  }
}

lucid::task<> batch_caller(lucid::mpsc::sender<batched_request> batcher, int key) {
  auto [tx, rx] = lucid::oneshot::channel<int>();
  // Named first: GCC 12 destroys a live sender moved into an aggregate
  // built inside the co_await expression (`send({key, std::move(tx)})`),
  // so the reply would be closed at once (docs/debugging.md, "Two GCC 12
  // bugs").
  batched_request req{key, std::move(tx)};
  co_await batcher.send(std::move(req));
  expect("batch_caller_waits", __LINE__ + 1);
  (void)co_await std::move(rx);
}

/// A dump (SIGQUIT) once the three callers wait, then the program ends.
lucid::task<int> batched_reply_dump() {
  auto [tx, rx] = lucid::mpsc::bounded<batched_request>(8);
  auto b = lucid::spawn("batcher", batcher(std::move(rx)));
  std::vector<lucid::join_handle<void>> callers;
  for (int key = 1; key <= 3; ++key)
    callers.push_back(lucid::spawn("batch_caller", batch_caller(tx, key)));
  co_await dump_and_go_on();
  for (auto& c : callers)
    c.abort();
  b.abort();
  co_return 0;
}

}  // namespace

int run_batched_reply_dump(const lucid::runtime_options& opts) {
  return lucid::run(batched_reply_dump(), opts);
}

// ---- a session that keeps its own writer's channel open: a connection's
// session object (shared) holds the sender to the session's writer task,
// and the writer holds the session to count what it wrote. When the
// connection drops its session and joins the writer, the writer's own
// shared_ptr keeps the sender alive, so the channel never closes. The dump
// names the writer as the sender's probable holder: the sender is a member
// of an object the writer's frame points to.
#include <string>

namespace {

struct session {
  std::uint64_t id = 0;
  lucid::mpsc::sender<std::string> outbox;
  std::uint64_t bytes_written = 0;
};

lucid::task<> session_writer(lucid::mpsc::receiver<std::string> rx, std::shared_ptr<session> s) {
  expect("writer_waits", __LINE__ + 1);
  while (auto msg = co_await rx.recv())
    s->bytes_written += msg->size();
}

lucid::task<> connection(std::uint64_t id) {
  auto [tx, rx] = lucid::mpsc::bounded<std::string>(16);
  auto s = std::make_shared<session>(session{id, std::move(tx)});
  auto writer = lucid::spawn("session_writer", session_writer(std::move(rx), s));
  co_await s->outbox.send("hello\n");
  s.reset();  // done: the session should go, and with it the writer
  expect("connection_joins", __LINE__ + 1);
  co_await std::move(writer);
}

/// With `dump`, a dump (SIGQUIT) once the connection waits, then the
/// program ends.
lucid::task<int> kept_session(bool dump) {
  auto c = lucid::spawn("connection", connection(7));
  if (!dump) co_await std::move(c);
  co_await dump_and_go_on();
  c.abort();
  co_return 0;
}

}  // namespace

int run_kept_session(bool dump, const lucid::runtime_options& opts) {
  return lucid::run(kept_session(dump), opts);
}

// ---- a coroutine GCC 12.2 lays out wrongly: no local variable, and a
// co_await in an `if` condition. Built with that compiler, the counter
// suspends where lucid never sees it and nothing wakes it after the send:
// the lost-waker lint names the likely cause, and so does the dump (SIGQUIT)
// after it. Built with another, it counts and finishes. Either way the program ends with _Exit: a
// frame laid out wrongly is not destroyed.
namespace {

lucid::task<> count_one(lucid::mpsc::receiver<int> rx, int* counted) {
  if (co_await rx.recv()) ++*counted;
}

lucid::task<int> miscompiled_if() {
  auto [tx, rx] = lucid::mpsc::bounded<int>(1);
  static int counted = 0;
  auto counter = lucid::spawn("counter", count_one(std::move(rx), &counted));
  co_await lucid::sleep(50ms);
  co_await tx.send(1);
  const bool done = static_cast<bool>(co_await lucid::timeout(3s, counter));
  co_await dump_and_go_on();
  std::printf("counter %s, counted %d\n", done ? "finished" : "hung", counted);
  std::fflush(stdout);
  std::fflush(stderr);
  std::_Exit(0);
}

}  // namespace

int run_miscompiled_if(const lucid::runtime_options& opts) {
  return lucid::run(miscompiled_if(), opts);
}

#include <map>

// ---- sessions left in a server's registry: the server keeps every
// connection's session in a std::map of shared_ptrs and forgets to erase
// it when the client goes; each session holds the sender to its writer
// task, so the writers wait forever. The senders are two pointers from the
// server's frame (map node, then session): the dump names the server.
namespace {

struct registered_session {
  int id = 0;
  lucid::mpsc::sender<std::string> outbox;
};

lucid::task<> registered_writer(lucid::mpsc::receiver<std::string> rx) {
  expect("registered_writer_waits", __LINE__ + 1);
  while (auto line = co_await rx.recv())
    std::fwrite(line->data(), 1, line->size(), stdout);
}

lucid::task<> session_server(std::shared_ptr<lucid::notify> stop) {
  std::map<int, std::shared_ptr<registered_session>> sessions;
  std::vector<lucid::join_handle<void>> writers;
  for (int id = 1; id <= 2; ++id) {  // two clients connect, then leave
    auto [tx, rx] = lucid::mpsc::bounded<std::string>(8);
    sessions.emplace(id,
                     std::make_shared<registered_session>(registered_session{id, std::move(tx)}));
    writers.push_back(lucid::spawn("registered_writer", registered_writer(std::move(rx))));
  }
  expect("server_waits", __LINE__ + 1);
  co_await stop->notified();  // never erased: the writers wait
  for (auto& w : writers)
    w.abort();
}

}  // namespace

// ---- the same registry kept in a server object, whose member coroutine
// serves: the senders are three pointers from the server's frames (`this`,
// or the shared_ptr that owns the object; the map's node; the session), and
// the dump names the server.
namespace {

class session_hub {
 public:
  lucid::task<> serve(std::shared_ptr<lucid::notify> stop) {
    std::vector<lucid::join_handle<void>> writers;
    for (int id = 1; id <= 2; ++id) {  // two clients connect, then leave
      auto [tx, rx] = lucid::mpsc::bounded<std::string>(8);
      sessions_.emplace(
          id, std::make_shared<registered_session>(registered_session{id, std::move(tx)}));
      writers.push_back(lucid::spawn(id == 1 ? "hub_writer_1" : "hub_writer_2",
                                     registered_writer(std::move(rx))));
    }
    expect("hub_waits", __LINE__ + 1);
    co_await stop->notified();  // never erased: the writers wait
    for (auto& w : writers)
      w.abort();
  }

 private:
  std::map<int, std::shared_ptr<registered_session>> sessions_;
};

lucid::task<> run_hub(std::shared_ptr<session_hub> hub, std::shared_ptr<lucid::notify> stop) {
  co_await hub->serve(std::move(stop));
}

/// With `dump`, a dump (SIGQUIT) once the writers wait, then the program
/// ends. `in_object`: the registry is a member of a server object (only
/// the server's task points to it), else a local of the server's frame.
lucid::task<int> registry(bool dump, bool in_object) {
  auto stop = std::make_shared<lucid::notify>();
  auto server = in_object
                    ? lucid::spawn("session_hub", run_hub(std::make_shared<session_hub>(), stop))
                    : lucid::spawn("session_server", session_server(stop));
  if (!dump) co_await std::move(server);
  co_await dump_and_go_on();
  stop->notify_one();
  co_await std::move(server);
  co_return 0;
}

}  // namespace

int run_registry(std::string_view mode, const lucid::runtime_options& opts) {
  return lucid::run(registry(mode.ends_with("_dump"), mode.starts_with("server_registry")), opts);
}
