// thread_bound_bench: what a lucid::thread_bound<T> access costs against a
// plain T, printed in the ../shared/peers line format. In a release build
// (LUCID_CHECK_THREADS=0, the default with NDEBUG) the check is compiled
// away: both loops must cost the same. Built with -DLUCID_CHECK_THREADS=1 it
// measures the check itself (one out-of-line call for the thread token).
//
//   ./build/release/bench/thread_bound_bench [N]
#include <unistd.h>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "lucid/rt/thread_bound.hpp"

using std::chrono::nanoseconds;
using std::chrono::steady_clock;

namespace {

struct counter {
  std::uint64_t hits = 0;
  std::uint64_t sum = 0;
};

/// Keeps v (and the memory it points to) in play without a store.
template <class T>
void keep(T& v) {
  asm volatile("" : : "r"(&v) : "memory");
}

// noinline: both loops are compiled the same way, outside main.
[[gnu::noinline]] nanoseconds plain_loop(counter& c, std::size_t n) {
  auto t0 = steady_clock::now();
  for (std::size_t i = 0; i < n; ++i) {
    c.hits += 1;
    c.sum += i;
    keep(c);
  }
  return steady_clock::now() - t0;
}

[[gnu::noinline]] nanoseconds bound_get_loop(lucid::thread_bound<counter>& c, std::size_t n) {
  auto t0 = steady_clock::now();
  for (std::size_t i = 0; i < n; ++i) {
    counter& v = c.get();
    v.hits += 1;
    v.sum += i;
    keep(v);
  }
  return steady_clock::now() - t0;
}

[[gnu::noinline]] nanoseconds bound_arrow_loop(lucid::thread_bound<counter>& c, std::size_t n) {
  auto t0 = steady_clock::now();
  for (std::size_t i = 0; i < n; ++i) {
    c->hits += 1;
    c->sum += i;
    keep(*c);
  }
  return steady_clock::now() - t0;
}

[[gnu::noinline]] nanoseconds local_rc_loop(lucid::local_rc<counter>& c, std::size_t n) {
  auto t0 = steady_clock::now();
  for (std::size_t i = 0; i < n; ++i) {
    counter& v = c.get();
    v.hits += 1;
    v.sum += i;
    keep(v);
  }
  return steady_clock::now() - t0;
}

void report(std::string_view name, std::size_t ops, nanoseconds d) {
  double ns = static_cast<double>(d.count());
  std::printf("%.*s: %.2f ns/op (%.1f ms)\n", static_cast<int>(name.size()), name.data(),
              ns / static_cast<double>(ops), ns / 1e6);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t n = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 200'000'000;
  std::printf(
      "# peer=lucid-%s bench=thread_bound check=%s sizeof(thread_bound<counter>)=%zu "
      "sizeof(counter)=%zu pid=%d\n",
      "0.1", LUCID_CHECK_THREADS ? "on" : "off", sizeof(lucid::thread_bound<counter>),
      sizeof(counter), getpid());
  counter plain;
  lucid::thread_bound<counter> bound;
  auto rc = lucid::local_rc<counter>::make();
  plain_loop(plain, n / 10);  // warm-up
  for (int round = 0; round < 3; ++round) {
    report("plain_value", n, plain_loop(plain, n));
    report("thread_bound_get", n, bound_get_loop(bound, n));
    report("thread_bound_arrow", n, bound_arrow_loop(bound, n));
    report("local_rc_get", n, local_rc_loop(rc, n));
  }
  return 0;
}
