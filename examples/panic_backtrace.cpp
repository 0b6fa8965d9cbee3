// A panic in async code, reported with the user's code first.
//
// fetch_data() sleeps 10 ms and throws; main awaits its join handle, which
// rethrows; the exception escapes main's root task, so lucid prints the panic
// report (where it was thrown, the task, its await chain) and exits with 101.
// Try: LUCID_BACKTRACE=1 build/release/examples/panic_backtrace
#include <chrono>
#include <stdexcept>

#include "lucid/lucid.hpp"

using namespace std::chrono_literals;

lucid::task<int> fetch_data() {
  co_await lucid::sleep(10ms);
  throw std::runtime_error("Something went wrong in fetch_data");
}

lucid::task<int> async_main() {
  auto handle = lucid::spawn("fetch_data", fetch_data());
  int data = co_await handle;
  co_return data;
}

int main() {
  return lucid::run(async_main());
}
