// Programs for the runtime's panic and crash tests (tests/integration/
// panic_test.cpp): each mode is a small lucid program that panics or crashes
// in a task. Lines marked "expect:" are printed so tests can check that
// reports name the right place.
#include <chrono>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string_view>

#include "lucid/lucid.hpp"

using namespace std::chrono_literals;

namespace {

void expect(int line) {
  std::printf("expect: %s:%d\n", __FILE__, line);
  std::fflush(stdout);
}

lucid::task<int> level3() {
  co_await lucid::sleep(1ms);
  expect(__LINE__ + 1);
  throw std::runtime_error("thrown three awaits deep");
}
lucid::task<int> level2() {
  co_return co_await level3();
}
lucid::task<int> level1() {
  co_return co_await level2();
}

lucid::task<int> join_three_awaits() {
  auto h = lucid::spawn("deep", level1());
  co_return co_await h;  // rethrows; escapes main: report + exit 101
}

lucid::task<int> throws_at_once() {
  expect(__LINE__ + 1);
  throw std::runtime_error("thrown before any await");
  co_return 0;
}

lucid::task<int> panic_before_await() {
  auto h = lucid::spawn("eager", throws_at_once());
  co_return co_await h;
}

lucid::task<int> detached_panic() {
  auto h = lucid::spawn("detached", []() -> lucid::task<> {
    co_await lucid::yield_now{};
    expect(__LINE__ + 1);
    throw std::logic_error("nobody joins me");
  }());
  while (!h.is_finished())
    co_await lucid::yield_now{};
  h.detach();  // the outcome is now unobserved: reported here
  std::puts("main finished normally");
  co_return 0;
}

lucid::task<int> panic_shutdown() {
  lucid::spawn("detached",
               []() -> lucid::task<> {
                 co_await lucid::yield_now{};
                 throw std::logic_error("shut the runtime down");
               }())
      .detach();
  co_await lucid::sleep(1h);  // the panic stops the runtime long before
  std::puts("unreachable");
  co_return 0;
}

__attribute__((noinline, no_sanitize("undefined"))) int deref(volatile int* p) {
  return *p;
}

lucid::task<int> null_deref() {
  auto h = lucid::spawn("crasher", []() -> lucid::task<int> {
    co_await lucid::yield_now{};
    volatile int* p = nullptr;
    co_return deref(p);
  }());
  co_return co_await h;
}

volatile int g_depth_limit = 1 << 30;  // never reached: the stack overflows first

__attribute__((noinline)) int recurse(int n) {
  volatile char pad[256];
  pad[0] = static_cast<char>(n);
  if (n > g_depth_limit) return 0;
  return recurse(n + 1) + pad[0];
}

lucid::task<int> stack_overflow() {
  auto h = lucid::spawn("recursor", []() -> lucid::task<int> {
    co_await lucid::yield_now{};
    co_return recurse(0);
  }());
  co_return co_await h;
}

}  // namespace

int main(int argc, char** argv) {
  std::string_view mode = argc > 1 ? argv[1] : "";
  lucid::runtime_options opts;
  opts.kind = lucid::runtime_options::flavor::multi_thread;
  opts.workers = 2;
  if (mode == "join_three_awaits") return lucid::run(join_three_awaits(), opts);
  if (mode == "panic_before_await") return lucid::run(panic_before_await(), opts);
  if (mode == "detached_panic") return lucid::run(detached_panic(), opts);
  if (mode == "panic_shutdown") {
    opts.unobserved_panic = lucid::panic_policy::shutdown;
    return lucid::run(panic_shutdown(), opts);
  }
  if (mode == "null_deref") return lucid::run(null_deref(), opts);
  if (mode == "stack_overflow") return lucid::run(stack_overflow(), opts);
  std::fprintf(stderr, "unknown mode\n");
  return 2;
}
