// lucid_http_hello: the hello-world HTTP responder of ../shared/peers
// (section 5, workload 8), served by the real lucid::http::server.
//
// usage: lucid_http_hello [PORT] [THREADS] [MAX_SECONDS]
//   PORT         default 18080; binds 127.0.0.1 only
//   THREADS      runtime workers (default 2); 0 = current_thread runtime
//   MAX_SECONDS  stops by itself after this many seconds (default 60);
//                SIGINT and SIGTERM stop it too (graceful shutdown)
// Every request, whatever its method and path, gets the peers' response:
//   HTTP/1.1 200 OK / content-length: 12 / date: ... / "Hello World!"
// (88 bytes, the same as hyper's). Keep-alive and pipelining as the server
// does them; no tracing subscriber is installed.
// LUCID_BENCH_TASK_STATS=1 turns per-task stats on (lucid/rt/detail/task_stats.hpp),
// =2 the console's whole aggregation (lucid::console::enable_aggregation),
// to measure what the console's metrics cost (as in lucid_rt_bench).
#include <pthread.h>
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "lucid/console/console.hpp"
#include "lucid/http/server.hpp"
#include "lucid/lucid.hpp"
#include "lucid/rt/detail/task_stats.hpp"

namespace {

lucid::task<lucid::http::response> hello(lucid::http::request&) {
  co_return lucid::http::response(200, "Hello World!");
}

lucid::task<int> serve(lucid::http::server& srv, int max_secs) {
  auto timer = lucid::spawn("max-seconds", [](lucid::http::server& s, int secs) -> lucid::task<> {
    co_await lucid::sleep(std::chrono::seconds(secs));
    s.shutdown();
  }(srv, max_secs));
  auto r = co_await srv.serve();
  timer.abort();
  if (!r) {
    std::fprintf(stderr, "serve: %s\n", r.error().describe().c_str());
    co_return 1;
  }
  co_return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const int port = argc > 1 ? std::atoi(argv[1]) : 18080;
  const int threads = argc > 2 ? std::atoi(argv[2]) : 2;
  const int max_secs = argc > 3 ? std::atoi(argv[3]) : 60;
  const char* stats_env = std::getenv("LUCID_BENCH_TASK_STATS");
  const int stats_mode = stats_env != nullptr ? std::atoi(stats_env) : 0;
  const bool task_stats = stats_mode != 0;
  if (stats_mode == 2) {
    lucid::console::enable_aggregation(true);
  } else {
    lucid::detail::set_task_stats_enabled(task_stats);
  }

  // Signals are taken by one thread with sigwait; block them everywhere else
  // (the runtime's workers inherit this mask).
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGINT);
  sigaddset(&sigs, SIGTERM);
  sigaddset(&sigs, SIGUSR1);  // ends the signal thread at exit
  pthread_sigmask(SIG_BLOCK, &sigs, nullptr);

  lucid::http::server srv;
  srv.fallback(hello);
  auto addr = srv.bind("127.0.0.1:" + std::to_string(port));
  if (!addr) {
    std::fprintf(stderr, "bind 127.0.0.1:%d: %s\n", port, addr.error().describe().c_str());
    return 1;
  }
  std::printf("listening on http://%s threads=%d max_secs=%d%s\n", addr->to_string().c_str(),
              threads, max_secs, task_stats ? " task_stats=on" : "");
  std::fflush(stdout);

  std::thread signals([&srv, &sigs] {
    int sig = 0;
    sigwait(&sigs, &sig);
    srv.shutdown();
  });

  lucid::runtime_options opts;
  if (threads == 0) {
    opts.kind = lucid::runtime_options::flavor::current_thread;
  } else {
    opts.workers = static_cast<unsigned>(threads);
  }
  const int rc = lucid::run(serve(srv, max_secs), opts);
  pthread_kill(signals.native_handle(), SIGUSR1);
  signals.join();
  return rc;
}
