// A hello-world HTTP server on lucid::http.
//
//   build/release/examples/hello_server [ADDRESS] [SECONDS]
//     ADDRESS  where to listen (default 127.0.0.1:8080; port 0 picks one)
//     SECONDS  stop by itself after this many seconds (default: never)
//   curl http://127.0.0.1:8080/            -> Hello World!
//   curl http://127.0.0.1:8080/hello/ada   -> Hello, ada!
//   curl -d 'some text' http://127.0.0.1:8080/echo
//
// Ctrl-C (SIGINT) or SIGTERM shuts it down gracefully: it stops accepting,
// finishes the requests in flight, closes idle connections, then exits.
// Each request runs in a span http.request{method, path, status}, so the
// handler's log lines say which request they belong to (LUCID_LOG=debug
// shows more; a traceparent header adds trace_id and parent_span_id).
#include <pthread.h>
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "lucid/http/server.hpp"
#include "lucid/lucid.hpp"
#include "lucid/trace/init.hpp"

using lucid::task;
using lucid::http::request;
using lucid::http::response;

namespace {

task<response> hello_world(request&) {
  co_return response::text(200, "Hello World!\n");
}

/// Everything without a route of its own: /hello/<name>, else 404.
task<response> hello_name(request& req) {
  constexpr std::string_view prefix = "/hello/";
  if (!req.path.starts_with(prefix) || req.path.size() == prefix.size()) {
    co_return response::text(404, "try /hello/<your name>\n");
  }
  const std::string name(req.path.substr(prefix.size()));
  LUCID_INFO("greeting {}", name);
  co_return response::text(200, "Hello, " + name + "!\n");
}

task<response> echo(request& req) {
  LUCID_INFO_F(("bytes", req.body.size()))("echoing the body");
  co_return response(200, std::string(req.body))
      .with_header("content-type", std::string(req.header("content-type", "text/plain")));
}

task<int> async_main(lucid::http::server& srv, int seconds) {
  lucid::join_handle<void> timer;
  if (seconds > 0) {
    timer = lucid::spawn("stop-timer", [](lucid::http::server& s, int secs) -> task<> {
      co_await lucid::sleep(std::chrono::seconds(secs));
      LUCID_INFO("{} s are up, shutting down", secs);
      s.shutdown();
    }(srv, seconds));
  }
  auto r = co_await srv.serve();
  timer.abort();  // a no-op without a timer
  if (!r) {
    LUCID_ERROR("serve failed: {}", r.error().describe());
    co_return 1;
  }
  LUCID_INFO("bye");
  co_return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string address = argc > 1 ? argv[1] : "127.0.0.1:8080";
  const int seconds = argc > 2 ? std::atoi(argv[2]) : 0;

  // One thread takes SIGINT/SIGTERM with sigwait and starts the shutdown;
  // the runtime's workers inherit the blocked mask.
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGINT);
  sigaddset(&sigs, SIGTERM);
  sigaddset(&sigs, SIGUSR1);  // ends the signal thread at exit
  pthread_sigmask(SIG_BLOCK, &sigs, nullptr);

  lucid::trace::init();
  lucid::http::server srv;
  srv.get("/", hello_world);
  srv.post("/echo", echo);
  srv.fallback(hello_name);
  auto addr = srv.bind(address);
  if (!addr) {
    std::fprintf(stderr, "cannot listen on %s: %s\n", address.c_str(),
                 addr.error().describe().c_str());
    return 1;
  }
  std::printf("listening on http://%s\n", addr->to_string().c_str());
  std::fflush(stdout);

  std::thread signals([&srv, &sigs] {
    int sig = 0;
    sigwait(&sigs, &sig);
    if (sig != SIGUSR1) srv.shutdown();
  });
  const int rc = lucid::run(async_main(srv, seconds));
  pthread_kill(signals.native_handle(), SIGUSR1);
  signals.join();
  return rc;
}
