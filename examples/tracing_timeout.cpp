// Structured tracing whose context follows the task, and a timeout that turns
// a hang into an error.
//
// process_request(42) opens span process_request{id=42} and holds it across
// its awaits (a bug under Rust's tracing; here the span belongs to the task),
// queries the "database" with a 5 s timeout, and logs the outcome.
//   build/release/examples/tracing_timeout          query takes 50 ms: success
//   build/release/examples/tracing_timeout --slow   query hangs: timeout error
// LUCID_LOG and LUCID_LOG_FORMAT choose what is printed and how.
#include <chrono>
#include <cstring>
#include <string>

#include "lucid/lucid.hpp"
#include "lucid/trace/init.hpp"

using namespace std::chrono_literals;

namespace {

bool g_slow = false;

lucid::task<std::string> query_db(int id) {
  LUCID_INSTRUMENT(("id", id));
  LUCID_DEBUG("querying the database");
  co_await lucid::sleep(g_slow ? 10s : 50ms);
  co_return "processed_data_" + std::to_string(id);
}

lucid::task<> process_request(int id) {
  auto span = LUCID_INFO_SPAN("process_request", ("id", id));
  auto guard = span.enter();
  LUCID_INFO("Starting request processing");
  auto data = co_await lucid::timeout(5s, query_db(id));
  if (data) {
    LUCID_INFO("Request complete with data: {}", *data);
  } else {
    LUCID_ERROR("Database query timed out. Task may be blocked.");
  }
}

lucid::task<> async_main() {
  auto other = lucid::spawn("heartbeat", []() -> lucid::task<> {
    for (int i = 0; i < 3; ++i) {
      LUCID_INFO("heartbeat {}", i);  // another task on the same workers: no request span here
      co_await lucid::sleep(20ms);
    }
  }());
  co_await lucid::spawn("request", process_request(42));
  co_await other;
}

}  // namespace

int main(int argc, char** argv) {
  g_slow = argc > 1 && std::strcmp(argv[1], "--slow") == 0;
  lucid::trace::init();
  return lucid::run(async_main());
}
