// lucid_trace_bench: cost per call of lucid::trace with the fmt layer, the
// peer of ../shared/peers/tokio/src/tracing_bench.rs (same workloads, sizes
// and output format).
//
// Subscriber (installed once, as the global default):
//   registry + max_level_filter(info) + fmt_layer(full format, no ANSI) writing
//   to a writer that discards (timestamp, level, span context, target, fields).
//
// usage: lucid_trace_bench [workload ...]
// Sizes: TRACE_DISABLED_N [2e8] TRACE_ENABLED_N [2e6] TRACE_SPAN_N [2e6]
//        TRACE_NESTED_N [1e6]
// Output: name: <ns per op> ns/op (<total ms> ms)
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "lucid/trace/subscriber/fmt_layer.hpp"
#include "lucid/trace/subscriber/registry.hpp"
#include "lucid/trace/trace.hpp"

namespace {

template <class T>
inline T black_box(T v) {
  asm volatile("" : "+r"(v) : : "memory");
  return v;
}

std::size_t env_size(const char* name, std::size_t def) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return def;
  char* end = nullptr;
  double d = std::strtod(v, &end);
  return (end != v && d > 0) ? static_cast<std::size_t>(d) : def;
}

template <class F>
void bench(const char* name, std::size_t n, F&& f) {
  std::size_t warm = n / 100 > 0 ? n / 100 : 1;  // callsite registration, buffers
  for (std::size_t i = 0; i < warm; ++i)
    f(black_box(static_cast<std::uint64_t>(i)));
  auto t0 = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < n; ++i)
    f(black_box(static_cast<std::uint64_t>(i)));
  double ns =
      std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count();
  std::printf("%s: %.2f ns/op (%.1f ms)\n", name, ns / static_cast<double>(n), ns / 1e6);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  auto want = [&](const char* w) {
    if (argc <= 1) return true;
    for (int i = 1; i < argc; ++i) {
      if (std::strcmp(argv[i], w) == 0) return true;
    }
    return false;
  };

  lucid::trace::fmt_options opts;
  opts.ansi = lucid::trace::ansi_mode::never;
  auto reg = std::make_shared<lucid::trace::registry>();
  reg->with_filter(
         std::make_shared<lucid::trace::max_level_filter>(lucid::trace::level_filter::info))
      .with(std::make_shared<lucid::trace::fmt_layer>(
          std::make_shared<lucid::trace::discard_writer>(), opts));
  lucid::trace::set_global_default(reg);

  std::printf("# peer=lucid-trace pid=%d\n", static_cast<int>(getpid()));

  // (i) event disabled by the level filter (DEBUG < INFO)
  if (want("trace_disabled_event")) {
    bench("trace_disabled_event", env_size("TRACE_DISABLED_N", 200000000), [](std::uint64_t i) {
      LUCID_DEBUG_F(("i", i))("disabled event");
    });
  }
  // (ii) enabled event, formatted by the fmt layer into a discarding writer
  if (want("trace_enabled_event")) {
    bench("trace_enabled_event", env_size("TRACE_ENABLED_N", 2000000), [](std::uint64_t i) {
      LUCID_INFO_F(("i", i))("enabled event");
    });
  }
  // (iii) info span create + enter + exit + drop
  if (want("trace_span_lifecycle")) {
    bench("trace_span_lifecycle", env_size("TRACE_SPAN_N", 2000000), [](std::uint64_t i) {
      auto span = LUCID_INFO_SPAN("bench_span", ("i", i));
      auto guard = span.enter();
      black_box(&guard);
    });
  }
  // (iv) enabled event while 3 nested spans are entered (span context on each line)
  if (want("trace_event_in_3_spans")) {
    auto outer = LUCID_INFO_SPAN("outer", ("a", std::uint64_t{1}));
    auto g1 = outer.enter();
    auto middle = LUCID_INFO_SPAN("middle", ("b", "two"));
    auto g2 = middle.enter();
    auto inner = LUCID_INFO_SPAN("inner", ("c", 3.0));
    auto g3 = inner.enter();
    bench("trace_event_in_3_spans", env_size("TRACE_NESTED_N", 1000000), [](std::uint64_t i) {
      LUCID_INFO_F(("i", i))("nested event");
    });
  }
  return 0;
}
