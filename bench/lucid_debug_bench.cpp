// lucid_debug_bench: the cost of lucid::debug's throw-site capture, printed in
// the peers' line format:
//   name: <ns per op> ns/op (<total ms> ms) [key=value ...]
//
// usage: lucid_debug_bench [iterations]
//   capture_20_frames          capture() of a 20-frame stack (raw addresses)
//   throw_site_record_release_20_frames
//                              all that lucid adds to one throw and to the
//                              exception's destruction (capture, malloc,
//                              insert, remove, free), measured without a throw
//   throw_catch_20_frames_off  throw + catch across 20 frames, capture off
//   throw_catch_20_frames_on   the same with throw-site capture (the default)
//   throw_capture_overhead     on - off: what lucid adds to each throw
// The throw rows are the fastest of 20 interleaved rounds (a shared machine's
// noise only ever adds time).
//   symbolize_20_frames_first  symbolizing one such trace, first time (reports only)
//   symbolize_20_frames_cached the same trace again
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

#include "lucid/debug/captured_trace.hpp"
#include "lucid/debug/exception_origin.hpp"
#include "lucid/debug/symbolize.hpp"

namespace {

using clock_type = std::chrono::steady_clock;

volatile int g_sink = 0;

// Depth counts the frames below main's loop body: recurse() frames plus the
// leaf; the remaining few are main and libc's start-up frames.
[[gnu::noinline]] int recurse_then(int depth, bool do_throw, lucid::debug::captured_trace* out) {
  if (depth == 0) {
    if (do_throw) throw std::runtime_error("bench");
    if (out == nullptr) {
      // What a throw from here pays for its throw site, without the throw.
      static int object;
      lucid::debug::detail::record_and_release_throw_site(&object);
      return 0;
    }
    lucid::debug::capture(*out);
    return static_cast<int>(out->size);
  }
  int r = recurse_then(depth - 1, do_throw, out);
  g_sink = r;  // not a tail call
  return r;
}

constexpr int depth = 17;  // + main + __libc_start_call_main + __libc_start_main + _start = 21

void report(const char* name, double total_ns, long ops, const char* extra = "") {
  std::printf("%s: %.1f ns/op (%.1f ms)%s\n", name, total_ns / static_cast<double>(ops),
              total_ns / 1e6, extra);
}

double time_throws(long n) {
  lucid::debug::captured_trace unused;
  auto t0 = clock_type::now();
  for (long i = 0; i < n; ++i) {
    try {
      recurse_then(depth, true, &unused);
    } catch (const std::runtime_error&) {
      g_sink = g_sink + 1;
    }
  }
  return std::chrono::duration<double, std::nano>(clock_type::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
  const long n = argc > 1 ? std::atol(argv[1]) : 200000;

  lucid::debug::captured_trace trace;
  recurse_then(depth, false, &trace);  // warm the unwinder's caches
  std::printf("# capture backend: %s, frames captured: %u\n", lucid::debug::capture_backend(),
              trace.size);

  auto t0 = clock_type::now();
  for (long i = 0; i < n; ++i)
    recurse_then(depth, false, &trace);
  double capture_ns = std::chrono::duration<double, std::nano>(clock_type::now() - t0).count();
  char extra[64];
  std::snprintf(extra, sizeof extra, " frames=%u", trace.size);
  report("capture_20_frames", capture_ns, n, extra);

  t0 = clock_type::now();
  for (long i = 0; i < n; ++i)
    recurse_then(depth, false, nullptr);
  report("throw_site_record_release_20_frames",
         std::chrono::duration<double, std::nano>(clock_type::now() - t0).count(), n, extra);

  // Interleave short off/on rounds and keep each variant's fastest round:
  // the machine is shared, and the minimum is the least disturbed.
  constexpr int rounds = 20;
  const long per_round = n / rounds > 0 ? n / rounds : 1;
  double off_min = 1e300;
  double on_min = 1e300;
  for (int r = 0; r < rounds; ++r) {
    lucid::debug::set_throw_capture(false);
    double off = time_throws(per_round);
    lucid::debug::set_throw_capture(true);
    double on = time_throws(per_round);
    if (off < off_min) off_min = off;
    if (on < on_min) on_min = on;
  }
  char rounds_extra[64];
  std::snprintf(rounds_extra, sizeof rounds_extra, " best_of=%d", rounds);
  report("throw_catch_20_frames_off", off_min, per_round, rounds_extra);
  report("throw_catch_20_frames_on", on_min, per_round, rounds_extra);
  report("throw_capture_overhead", on_min - off_min, per_round, rounds_extra);

  // Symbolization runs only when a report is printed: the first one loads
  // the modules' DWARF (libc's separate debug info included, when installed),
  // later ones hit the per-pc cache.
  t0 = clock_type::now();
  g_sink = static_cast<int>(lucid::debug::symbolize(trace.frames()).size());
  report("symbolize_20_frames_first",
         std::chrono::duration<double, std::nano>(clock_type::now() - t0).count(), 1);
  const long sym_n = 1000;
  t0 = clock_type::now();
  for (long i = 0; i < sym_n; ++i) {
    g_sink = static_cast<int>(lucid::debug::symbolize(trace.frames()).size());
  }
  report("symbolize_20_frames_cached",
         std::chrono::duration<double, std::nano>(clock_type::now() - t0).count(), sym_n);
  return 0;
}
