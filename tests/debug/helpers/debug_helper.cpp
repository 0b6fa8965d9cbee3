// A small program for lucid::debug's death tests: each mode ends the process
// the way a real program would (a panic report and exit status 101, or a
// crash report and death by a signal). Before the fatal event it prints the
// line the report must point at, as "expect: <file>:<line>", on stdout.
#include <cstdio>
#include <cstring>
#include <exception>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>

#include "lucid/base/assert.hpp"
#include "lucid/debug/crash_handler.hpp"
#include "lucid/debug/panic_report.hpp"

namespace {

volatile bool g_never = false;
volatile int g_zero = 0;

void expect_here(int line) {
  std::printf("expect: %s:%d\n", __FILE__, line);
  std::fflush(stdout);
}

// clang-format off
[[gnu::noinline]] void level3(int x) {
  if (x > 0) {
    expect_here(__LINE__); throw std::runtime_error("Something went wrong in fetch_data");
  }
}
// clang-format on
[[gnu::noinline]] void level2(int x) {
  level3(x + 1);
  asm volatile("");
}
[[gnu::noinline]] void level1(int x) {
  level2(x + 1);
  asm volatile("");
}

// clang-format off
[[gnu::always_inline]] inline void inlined_thrower(int x) {
  if (x > 0) {
    expect_here(__LINE__); throw std::logic_error("thrown from an inlined function");
  }
}
// clang-format on
[[gnu::noinline]] void calls_inlined(int x) {
  inlined_thrower(x);
  asm volatile("");
}

// Crashes on purpose: UBSan must not stop it first, and TSan must not fault
// inside its own shadow-memory check (its allocator state is then broken for
// the handler that runs next).
#define LUCID_HELPER_NO_UBSAN __attribute__((no_sanitize("undefined", "thread")))

// clang-format off
[[gnu::noinline]] LUCID_HELPER_NO_UBSAN void write_through(int* p) {
  expect_here(__LINE__); *static_cast<volatile int*>(p) = 42;
}
// clang-format on

[[gnu::noinline]] int* null_pointer() {
  int* p = nullptr;
  asm volatile("" : "+r"(p));
  return p;
}

[[gnu::noinline]] int recurse(int depth) {
  volatile char frame[512];
  frame[0] = static_cast<char>(depth);
  if (g_never) return frame[0];
  return recurse(depth + 1) + frame[0];
}

// clang-format off
[[gnu::noinline]] LUCID_HELPER_NO_UBSAN int divide(int a, int b) {
  asm volatile("" : "+r"(a), "+r"(b));  // the compiler must emit a real division
  expect_here(__LINE__); return a / b;
}
// clang-format on

[[gnu::noinline]] void terminate_thrower() {
  expect_here(__LINE__ + 1);
  throw std::runtime_error("nobody catches this");
}

// The runtime's side of the integration points, faked.
const lucid::debug::await_frame g_awaits[] = {
    {"fetch_data()", "examples/panic_backtrace.cpp", 11},
    {"handler(request)", "examples/panic_backtrace.cpp", 16},
    {"main_task()", "examples/panic_backtrace.cpp", 21},
};
const lucid::debug::task_info g_task{
    3, "fetch_data", {"/app/examples/panic_backtrace.cpp", "main_task", 20}};

void provider(lucid::debug::crash_context& out) noexcept {
  out.in_task = true;
  out.task_id = 7;
  out.task_name = "crashy";
  out.spawn_site = {"/app/src/server.cpp", "serve", 42};
  out.await_count = 2;
  out.awaits[0] = g_awaits[0];
  out.awaits[1] = g_awaits[1];
}

void pre_crash() noexcept {
  constexpr char msg[] = "pre-crash hook ran\n";
  (void)!::fwrite(msg, 1, sizeof msg - 1, stderr);
}

[[noreturn]] void panic_exit(const std::exception_ptr& e) {
  static const std::string_view spans[] = {"fetch_data{url=\"/x\"}", "request{id=9}"};
  lucid::debug::panic_context ctx;
  ctx.task = &g_task;
  ctx.async_backtrace = g_awaits;
  ctx.spans = spans;
  lucid::debug::exit_on_panic(e, ctx);
}

}  // namespace

// Frames of "the runtime": classified by namespace, as lucid's scheduler
// frames are.
namespace lucid::detail {
[[gnu::noinline]] void fake_poll(const std::function<void()>& fn) {
  fn();
  asm volatile("");
}
[[gnu::noinline]] void fake_worker_loop(const std::function<void()>& fn) {
  fake_poll(fn);
  asm volatile("");
}
}  // namespace lucid::detail

namespace {

[[gnu::noinline]] std::exception_ptr throw_on_other_thread() {
  std::exception_ptr result;
  std::thread t([&] {
    try {
      lucid::detail::fake_worker_loop([] { level1(1); });
    } catch (...) {
      result = std::current_exception();
    }
  });
  t.join();
  return result;
}

[[gnu::noinline]] void rethrow_it(const std::exception_ptr& e) {
  std::rethrow_exception(e);
}

int run(std::string_view mode) {
  if (mode == "panic") {
    // Thrown three calls deep under "runtime" and std frames on a worker
    // thread, carried as an exception_ptr, rethrown with
    // std::rethrow_exception and `throw;`: the report still names level3.
    std::exception_ptr e = throw_on_other_thread();
    try {
      try {
        rethrow_it(e);
      } catch (...) {
        throw;
      }
    } catch (...) {
      panic_exit(std::current_exception());
    }
  }
  if (mode == "inlined") {
    try {
      calls_inlined(1);
    } catch (...) {
      panic_exit(std::current_exception());
    }
  }
  if (mode == "segv" || mode == "overflow" || mode == "fpe" || mode == "terminate" ||
      mode == "assert") {
    lucid::debug::set_pre_crash_hook(&pre_crash);
    lucid::debug::set_crash_context_provider(&provider);
    lucid::debug::install_crash_handler();
  }
  if (mode == "segv") {
    write_through(null_pointer());
    return 0;
  }
  if (mode == "fpe") {
    return divide(1, g_zero);
  }
  if (mode == "overflow") {
    std::thread t([] {
      lucid::debug::ensure_alt_stack();  // what lucid's workers do at start
      std::printf("recursing\n");
      std::fflush(stdout);
      std::printf("%d\n", recurse(0));
    });
    t.join();
    return 0;
  }
  if (mode == "assert") {
    LUCID_ASSERT(g_zero == 1, "a broken invariant");
    return 0;
  }
  if (mode == "terminate") {
    terminate_thrower();
    return 0;
  }
  std::fprintf(stderr, "unknown mode\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s panic|inlined|segv|overflow|fpe|terminate|assert\n", argv[0]);
    return 2;
  }
  return run(argv[1]);
}
