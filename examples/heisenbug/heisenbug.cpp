// The heisenbug demo: a small shop service with the async bugs people fear,
// switched on one at a time, and the lucid tool that names each of them.
// `make demo` runs the tour (examples/heisenbug/tour.sh); docs/guide.md says
// which tool answers which symptom, with this program's output.
//
//   build/release/examples/heisenbug [--bug=NAME] [--fix] [--addr=127.0.0.1:8080] [--seconds=N]
//   build/release/examples/heisenbug client HOST:PORT [--timeout=MS] PATH...
//     (the requests, all at once; MS default 3000)
//
// Routes: GET /order/<id> (a "database" row and a price from the "backend"),
// GET /restock/<id> (updates the inventory under a lock), GET /transfer/a-b and
// /transfer/b-a (move stock between two warehouses, each behind a lock).
//
// Bugs (--bug=NAME):
//   lost-reply     the backend parks the price requests of every third item
//                  and never answers them (a leaked oneshot sender): those
//                  orders hang.
//                  --fix wraps the wait in lucid::timeout: a 504 and an error.
//   blocking-call  /order calls a synchronous audit function that sleeps 300 ms
//                  on the worker thread: the stall detector.
//   slow-lock      /restock holds the inventory lock across a slow supplier
//                  call: the others queue behind it (console, lock lint).
//   deadlock       /transfer locks the two warehouses in request order, so
//                  a-b and b-a together lock in opposite order: the deadlock
//                  report.
//   panic          /order starts a background cache refresh that throws deep
//                  inside: the panic report (LUCID_BACKTRACE=1).
//   block-on       /order looks the stock up through a synchronous wrapper
//                  that calls block_on on the worker: the misuse check.
//
// The lines the tools point at carry a "// tour:NAME" comment; the tour and
// its test (tests/examples/heisenbug_test.sh) check that lucid's reports name
// them.
#include <pthread.h>
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "lucid/http/client.hpp"
#include "lucid/http/server.hpp"
#include "lucid/lucid.hpp"
#include "lucid/trace/init.hpp"

using namespace std::chrono_literals;
using lucid::task;
using lucid::http::request;
using lucid::http::response;

namespace {

struct options {
  std::string bug;  ///< empty: no bug
  bool fix = false;
  std::string addr = "127.0.0.1:8080";
  int seconds = 0;
};
options g_opt;

bool bug(std::string_view name) {
  return g_opt.bug == name;
}

// ---- the "database": a query is a short sleep

task<std::string> db_query(int id) {
  co_await lucid::sleep(5ms);
  co_return "item " + std::to_string(id) + " price=" + (id % 5 == 0 ? "n/a" : "42");
}

// ---- the "backend": a task that answers price requests over a channel

struct price_request {
  int id;
  lucid::oneshot::sender<int> reply;
};

task<void> backend(lucid::mpsc::receiver<price_request> requests) {
  std::vector<lucid::oneshot::sender<int>> retry_later;  // never retried: the bug
  while (auto req = co_await requests.recv()) {          // tour:backend-recv
    co_await lucid::sleep(10ms);
    if (bug("lost-reply") && req->id % 3 == 0) {
      retry_later.push_back(std::move(req->reply));  // parked, alive, never answered
      continue;
    }
    (void)req->reply.send(req->id * 10);
  }
}

struct shop {
  explicit shop(lucid::mpsc::sender<price_request> tx)
      : backend(std::move(tx)),
        inventory(),      // tour:inventory
        warehouse_a(),    // tour:warehouse-a
        warehouse_b() {}  // tour:warehouse-b
  lucid::mpsc::sender<price_request> backend;
  lucid::mutex inventory;
  lucid::mutex warehouse_a;
  lucid::mutex warehouse_b;
  int stock = 100;
};

task<lucid::result<int>> fetch_price(shop& s, int id) {
  auto [tx, rx] = lucid::oneshot::channel<int>();  // tour:reply-channel
  price_request req{id, std::move(tx)};            // named: built inside co_await, GCC 12 drops tx
  if (!co_await s.backend.send(std::move(req))) co_return lucid::errc::closed;
  if (g_opt.fix) {
    // The fix: a reply that never comes becomes an error after 1 s.
    auto r = co_await lucid::timeout(1s, std::move(rx));  // tour:timeout
    if (!r) co_return r.error();
    co_return *r;
  }
  co_return co_await std::move(rx);  // tour:reply-await
}

// ---- synchronous code called from a handler

/// A "legacy" synchronous audit call: it blocks the thread it runs on.
[[gnu::noinline]] void legacy_audit(int id) {
  if (bug("blocking-call") && id % 2 == 0) {
    std::this_thread::sleep_for(300ms);  // tour:blocking
  }
}

/// A synchronous wrapper around async code, the kind a port from blocking
/// code leaves behind: on a worker, block_on would wait for itself.
[[gnu::noinline]] std::string lookup_stock_sync(int id) {
  return lucid::runtime_handle::current().block_on(db_query(id));  // tour:block-on
}

// ---- a background task that fails deep inside

[[gnu::noinline]] int parse_price(const std::string& row) {
  const auto p = row.find("price=");
  // "n/a" makes std::stoi throw std::invalid_argument.
  return std::stoi(row.substr(p + 6));  // tour:throw
}

task<int> update_entry(int id) {
  const std::string row = co_await db_query(id);  // tour:update-await
  co_return parse_price(row);
}

task<void> refresh_cache(int id) {
  const int price = co_await update_entry(id);  // tour:refresh-await
  LUCID_DEBUG("cache refreshed: item {} costs {}", id, price);
}

// ---- handlers

int id_of(const request& req, std::string_view prefix) {
  return std::atoi(std::string(req.path.substr(prefix.size())).c_str());
}

task<response> get_order(shop& s, request& req) {
  const int id = id_of(req, "/order/");
  if (bug("block-on")) {
    co_return response::text(200, lookup_stock_sync(id) + "\n");
  }
  const std::string row = co_await db_query(id);
  legacy_audit(id);
  if (bug("panic"))
    (void)lucid::spawn("cache-refresh", refresh_cache(id));      // detached  // tour:spawn
  const lucid::result<int> price = co_await fetch_price(s, id);  // tour:order-await
  if (!price) {
    LUCID_ERROR("order {}: the backend did not answer: {}", id, price.error().message());
    co_return response::text(504, "backend: " + std::string(price.error().message()) + "\n");
  }
  co_return response::text(200, row + " backend=" + std::to_string(*price) + "\n");
}

/// The supplier, far away: slow.
task<int> supplier_call(int id) {
  co_await lucid::sleep(1000ms);  // tour:supplier
  co_return id;
}

task<response> restock(shop& s, request& req) {
  const int id = id_of(req, "/restock/");
  if (bug("slow-lock")) {
    auto guard = co_await s.inventory.lock();  // tour:restock-lock
    co_await supplier_call(id);  // the lock is held across this slow await  // tour:restock-hold
    s.stock += 10;
    co_return response::text(200, "restocked " + std::to_string(id) + "\n");
  }
  co_await supplier_call(id);  // the fix: call first, then lock briefly
  auto guard = co_await s.inventory.lock();
  s.stock += 10;
  co_return response::text(200, "restocked " + std::to_string(id) + "\n");
}

/// Moves stock from one warehouse to the other, holding both locks.
task<response> transfer(lucid::mutex& from, lucid::mutex& to, bool a_first) {
  // The fix is one global order: always a, then b. The bug locks in request order.
  lucid::mutex& first = bug("deadlock") ? from : (a_first ? from : to);
  lucid::mutex& second = &first == &from ? to : from;
  auto g1 = co_await first.lock();   // tour:transfer-first
  co_await lucid::sleep(50ms);       // read the stock levels
  auto g2 = co_await second.lock();  // tour:transfer-second
  co_return response::text(200, "transferred\n");
}

// ---- main

lucid::notify g_stop;  ///< SIGINT/SIGTERM (from the signal thread)

task<int> service(lucid::http::server& srv, int seconds) {
  auto [tx, rx] = lucid::mpsc::bounded<price_request>(64);
  shop s(std::move(tx));
  auto be = lucid::spawn("backend", backend(std::move(rx)));
  srv.fallback([&s](request& req) -> task<response> {
    if (req.path.starts_with("/order/")) return get_order(s, req);
    if (req.path.starts_with("/restock/")) return restock(s, req);
    if (req.path == "/transfer/a-b") return transfer(s.warehouse_a, s.warehouse_b, true);
    if (req.path == "/transfer/b-a") return transfer(s.warehouse_b, s.warehouse_a, false);
    return []() -> task<response> { co_return response::text(404, "no such route\n"); }();
  });
  auto server = lucid::spawn("http-server", srv.serve());
  if (seconds > 0) {
    (void)co_await lucid::timeout(std::chrono::seconds(seconds), g_stop.notified());
  } else {
    co_await g_stop.notified();
  }
  // Graceful: stop accepting, let the requests in progress finish. A request
  // that hangs (a bug above) would hold the shutdown forever: give them 2 s.
  srv.shutdown();
  if (!co_await lucid::timeout(2s, server)) {
    LUCID_WARN("requests still in progress after 2 s of shutdown; exiting without them");
    server.abort();
  }
  be.abort();
  co_return 0;
}

/// `heisenbug client HOST:PORT [--timeout=MS] PATH...`: the requests, all at
/// once, each given MS (default 3000) ms; prints one line per request in the
/// order given.
int client_main(const std::string& address, std::vector<std::string> paths) {
  std::chrono::milliseconds limit = 3000ms;
  if (!paths.empty() && paths.front().starts_with("--timeout=")) {
    limit = std::chrono::milliseconds(std::atoi(paths.front().c_str() + 10));
    paths.erase(paths.begin());
  }
  return lucid::run([](std::string address, std::vector<std::string> paths,
                       std::chrono::milliseconds limit) -> task<int> {
    std::vector<lucid::join_handle<std::string>> hs;
    for (auto& p : paths) {
      hs.push_back(lucid::spawn([](std::string address, std::string path,
                                   std::chrono::milliseconds limit) -> task<std::string> {
        lucid::http::client c(address);
        auto start = std::chrono::steady_clock::now();
        auto r = co_await lucid::timeout(limit, c.get(path));
        auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - start)
                      .count();
        std::string line = "client: GET " + path + " -> ";
        if (!r) co_return line + "no answer after " + std::to_string(ms) + " ms";
        if (!*r) co_return line + "error: " + r->error().describe();
        std::string body = (*r)->body;
        while (!body.empty() && body.back() == '\n')
          body.pop_back();
        co_return line + std::to_string((*r)->status) + " " + body + " (" + std::to_string(ms) +
            " ms)";
      }(address, p, limit)));
    }
    for (auto& h : hs)
      std::printf("%s\n", (co_await h).c_str());
    std::fflush(stdout);
    co_return 0;
  }(address, std::move(paths), limit));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 2 && std::string_view(argv[1]) == "client") {
    return client_main(argv[2], std::vector<std::string>(argv + 3, argv + argc));
  }
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a.starts_with("--bug=")) {
      g_opt.bug = a.substr(6);
    } else if (a == "--fix") {
      g_opt.fix = true;
    } else if (a.starts_with("--addr=")) {
      g_opt.addr = a.substr(7);
    } else if (a.starts_with("--seconds=")) {
      g_opt.seconds = std::atoi(a.substr(10).data());
    } else {
      std::fprintf(stderr,
                   "usage: heisenbug [--bug=lost-reply|blocking-call|slow-lock|deadlock|panic|"
                   "block-on] [--fix] [--addr=HOST:PORT] [--seconds=N]\n"
                   "       heisenbug client HOST:PORT [--timeout=MS] PATH...\n");
      return 2;
    }
  }

  // SIGINT/SIGTERM start a graceful shutdown (one thread takes them with
  // sigwait; the workers inherit the blocked mask). SIGQUIT stays lucid's:
  // the task dump.
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGINT);
  sigaddset(&sigs, SIGTERM);
  sigaddset(&sigs, SIGUSR1);  // ends the signal thread at exit
  pthread_sigmask(SIG_BLOCK, &sigs, nullptr);

  lucid::trace::init();
  lucid::http::server srv;
  auto addr = srv.bind(g_opt.addr);
  if (!addr) {
    std::fprintf(stderr, "heisenbug: cannot listen on %s: %s\n", g_opt.addr.c_str(),
                 addr.error().describe().c_str());
    return 1;
  }
  std::printf("heisenbug: serving on http://%s (bug: %s%s)\n", addr->to_string().c_str(),
              g_opt.bug.empty() ? "none" : g_opt.bug.c_str(), g_opt.fix ? ", fixed" : "");
  std::fflush(stdout);

  std::thread signals([&sigs] {
    int sig = 0;
    sigwait(&sigs, &sig);
    if (sig != SIGUSR1) g_stop.notify_one();
  });
  const int rc = lucid::run(service(srv, g_opt.seconds), lucid::runtime_options::multi_thread(2));
  pthread_kill(signals.native_handle(), SIGUSR1);
  signals.join();
  return rc;
}
