// A small service whose tasks do different things, to look at with the
// console (docs/console-protocol.md, tools/console):
//
//   build/release/examples/console_demo [SECONDS]      (default: until Ctrl-C)
//   build/release/tools/lucid-console                  (in another terminal)
//
// It starts the console server itself on 127.0.0.1:6669 unless LUCID_CONSOLE
// is set (LUCID_CONSOLE=127.0.0.1:0 picks a free port; the address is
// printed). What the console shows:
//   - "pool-worker" x4: a healthy pool fed by "dispatcher" through bounded
//     channels: short polls, mostly idle;
//   - "ingest" and "slow-consumer": a producer faster than its consumer on a
//     bounded channel of 4: the channel is full, ingest waits on it;
//   - "order-client" x3 calling the HTTP handler /order, which holds the
//     `inventory` mutex across a slow backend call (300 ms): one holds it,
//     the others wait on it (the "lock held across an await" lint);
//   - "reporter": blocks its worker for 150 ms every 3 s (a stall warning).
#include <pthread.h>
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "lucid/http/client.hpp"
#include "lucid/http/server.hpp"
#include "lucid/lucid.hpp"

using namespace std::chrono_literals;
using lucid::task;

namespace {

struct job {
  int id;
};

task<void> pool_worker(lucid::mpsc::receiver<job> jobs) {
  std::uint64_t sum = 0;
  while (auto j = co_await jobs.recv()) {
    for (int i = 0; i < 20000; ++i)
      sum += static_cast<std::uint64_t>(i ^ j->id);
    co_await lucid::sleep(5ms);
  }
  (void)sum;
}

task<void> dispatcher(std::vector<lucid::mpsc::sender<job>> workers) {
  for (int n = 0;; ++n) {
    if (!co_await workers[static_cast<std::size_t>(n) % workers.size()].send(job{n})) co_return;
    co_await lucid::sleep(2ms);
  }
}

task<void> ingest(lucid::mpsc::sender<std::string> out) {
  for (int n = 0;; ++n) {
    if (!co_await out.send("record " + std::to_string(n))) co_return;
    co_await lucid::sleep(10ms);
  }
}

task<void> slow_consumer(lucid::mpsc::receiver<std::string> in) {
  while (auto r = co_await in.recv()) {
    co_await lucid::sleep(200ms);  // far slower than ingest
  }
}

/// The "backend" an order needs: slow.
task<int> backend_call(int item) {
  co_await lucid::sleep(300ms);
  co_return item * 2;
}

task<lucid::http::response> order(lucid::mutex& inventory, lucid::http::request&) {
  auto guard = co_await inventory.lock();
  const int v = co_await backend_call(7);  // the lock is held across this await
  co_return lucid::http::response::text(200, "ordered " + std::to_string(v) + "\n");
}

task<void> order_client(std::string address) {
  lucid::http::client c(address);
  for (;;) {
    auto r = co_await c.get("/order");
    if (!r) co_await lucid::sleep(100ms);
  }
}

task<void> reporter() {
  for (;;) {
    co_await lucid::sleep(3s);
    // A synchronous call in a task: it blocks the worker (a stall).
    std::this_thread::sleep_for(150ms);
  }
}

task<int> service(int seconds) {
  lucid::mutex inventory;
  lucid::http::server srv;
  srv.get("/order", [&inventory](lucid::http::request& req) { return order(inventory, req); });
  auto addr = srv.bind("127.0.0.1:0");
  if (!addr) {
    std::fprintf(stderr, "console_demo: cannot listen: %s\n", addr.error().describe().c_str());
    co_return 1;
  }
  std::printf("console_demo: service on http://%s/order\n", addr->to_string().c_str());
  std::fflush(stdout);

  std::vector<lucid::join_handle<void>> tasks;
  std::vector<lucid::mpsc::sender<job>> senders;
  for (int i = 0; i < 4; ++i) {
    auto [tx, rx] = lucid::mpsc::bounded<job>(8);
    senders.push_back(std::move(tx));
    tasks.push_back(lucid::spawn("pool-worker", pool_worker(std::move(rx))));
  }
  tasks.push_back(lucid::spawn("dispatcher", dispatcher(std::move(senders))));
  auto [tx, rx] = lucid::mpsc::bounded<std::string>(4);
  tasks.push_back(lucid::spawn("ingest", ingest(std::move(tx))));
  tasks.push_back(lucid::spawn("slow-consumer", slow_consumer(std::move(rx))));
  for (int i = 0; i < 3; ++i)
    tasks.push_back(lucid::spawn("order-client", order_client(addr->to_string())));
  tasks.push_back(lucid::spawn("reporter", reporter()));
  auto server = lucid::spawn("http-server", srv.serve());

  if (seconds > 0) {
    co_await lucid::sleep(std::chrono::seconds(seconds));
  } else {
    co_await lucid::sleep(std::chrono::hours(24 * 365));
  }
  for (auto& t : tasks)
    t.abort();
  srv.shutdown();
  (void)co_await std::move(server);
  co_return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const int seconds = argc > 1 ? std::atoi(argv[1]) : 0;
  // The console on its default address unless the environment chose.
  setenv("LUCID_CONSOLE", "1", /*overwrite=*/0);
  lucid::runtime rt = lucid::runtime::multi_thread(2);
  return rt.block_on(service(seconds));
}
