// A service for the OTLP exporter tests, run with OTEL_* set:
//   otlp_service b PORTFILE   serves /work (an event inside the request
//                             span) until GET /quit; writes its port
//   otlp_service a PORT       inside a root span "checkout", calls
//                             http://127.0.0.1:PORT/work with lucid's client;
//                             then a span an exception unwinds ("risky") and
//                             one with an `error` field ("with_error")
//   otlp_service spans N      N root spans "unit" with a field i, then exits
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <string>

#include "lucid/exporters/otlp.hpp"
#include "lucid/http/client.hpp"
#include "lucid/http/server.hpp"
#include "lucid/lucid.hpp"

namespace {

lucid::task<int> serve_b(const std::string& port_file) {
  lucid::http::server srv;
  srv.get("/work", [](lucid::http::request& req) -> lucid::task<lucid::http::response> {
    LUCID_INFO_F(("items", 3), ("path", req.path))("working");
    co_return lucid::http::response(200, "done");
  });
  srv.get("/quit", [&srv](lucid::http::request&) -> lucid::task<lucid::http::response> {
    srv.shutdown();
    co_return lucid::http::response(200, "bye");
  });
  auto addr = srv.bind("127.0.0.1:0");
  if (!addr) co_return 2;
  {
    std::ofstream f(port_file + ".tmp");
    f << addr->port();
  }
  std::rename((port_file + ".tmp").c_str(), port_file.c_str());
  auto r = co_await srv.serve();
  co_return r ? 0 : 3;
}

void risky() {
  auto s = LUCID_INFO_SPAN("risky", ("attempt", 1));
  auto g = s.enter();
  throw std::runtime_error("boom");
}

lucid::task<int> run_a(std::string port) {
  int status = 0;
  {
    auto s = LUCID_INFO_SPAN("checkout", ("order", 17), ("express", true));
    auto g = s.enter();
    lucid::http::client c("127.0.0.1:" + port);
    auto r = co_await c.get("/work");
    status = r ? r->status : -1;
  }
  try {
    risky();
  } catch (const std::exception&) {
  }
  { auto s = LUCID_INFO_SPAN("with_error", ("error", "disk full")); }
  co_return status == 200 ? 0 : 4;
}

lucid::task<int> run_spans(int n) {
  for (int i = 0; i < n; ++i) {
    auto s = LUCID_INFO_SPAN("unit", ("i", i));
    auto g = s.enter();
  }
  co_return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) return 64;
  std::string mode = argv[1];
  lucid::runtime rt = lucid::runtime::multi_thread(2);
  int rc = 64;
  if (mode == "b") rc = rt.block_on(serve_b(argv[2]));
  if (mode == "a") rc = rt.block_on(run_a(argv[2]));
  if (mode == "spans") rc = rt.block_on(run_spans(std::atoi(argv[2])));
  auto st = lucid::exporters::otlp_statistics();
  std::fprintf(stderr, "otlp_service: exported=%llu dropped_queue=%llu\n",
               static_cast<unsigned long long>(st.exported),
               static_cast<unsigned long long>(st.dropped_queue));
  return rc;
}
