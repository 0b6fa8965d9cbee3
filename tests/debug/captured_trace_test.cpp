#include "lucid/debug/captured_trace.hpp"

#include <gtest/gtest.h>
#include <signal.h>

#include <cstring>
#include <string>

#include "lucid/debug/symbolize.hpp"

namespace {

using lucid::debug::captured_trace;

[[gnu::noinline]] captured_trace capture_here() {
  captured_trace t;
  lucid::debug::capture(t);
  asm volatile("" ::: "memory");
  return t;
}

[[gnu::noinline]] captured_trace capture_one_up() {
  captured_trace t;
  lucid::debug::capture(t, 1);  // skip this function
  asm volatile("" ::: "memory");
  return t;
}

std::string first_function(const captured_trace& t) {
  auto frames = lucid::debug::symbolize(t.frames());
  return frames.empty() ? std::string() : frames.front().function;
}

TEST(CapturedTrace, StartsAtTheCaller) {
  captured_trace t = capture_here();
  ASSERT_GT(t.size, 2u);
  EXPECT_NE(first_function(t).find("capture_here"), std::string::npos) << first_function(t);
}

TEST(CapturedTrace, SkipDropsFrames) {
  captured_trace t = capture_one_up();
  ASSERT_GT(t.size, 1u);
  std::string f = first_function(t);
  EXPECT_EQ(f.find("capture_one_up"), std::string::npos) << f;
  EXPECT_NE(f.find("SkipDropsFrames"), std::string::npos) << f;
}

TEST(CapturedTrace, CaptureCurrentReturnsByValue) {
  captured_trace t = lucid::debug::capture_current();
  ASSERT_GT(t.size, 1u);
  EXPECT_NE(first_function(t).find("CaptureCurrentReturnsByValue"), std::string::npos);
  EXPECT_FALSE(t.empty());
  EXPECT_EQ(t.frames().size(), t.size);
}

[[gnu::noinline]] void recurse_then_capture(int depth, captured_trace& out) {
  if (depth == 0) {
    lucid::debug::capture(out);
  } else {
    recurse_then_capture(depth - 1, out);
  }
  asm volatile("" ::: "memory");
}

TEST(CapturedTrace, DeepStacksAreTruncated) {
  captured_trace t;
  recurse_then_capture(static_cast<int>(captured_trace::max_frames) + 10, t);
  EXPECT_EQ(t.size, captured_trace::max_frames);
  EXPECT_TRUE(t.truncated);
}

TEST(CapturedTrace, BackendIsNamed) {
  std::string backend = lucid::debug::capture_backend();
  EXPECT_TRUE(backend == "libunwind" || backend == "libgcc") << backend;
}

std::uintptr_t g_signal_pcs[64];
std::size_t g_signal_count = 0;

void on_usr1(int, siginfo_t*, void* uc) {
  g_signal_count = lucid::debug::capture_from_signal(uc, g_signal_pcs, 64);
}

[[gnu::noinline]] void raise_usr1() {
  ::raise(SIGUSR1);
  asm volatile("" ::: "memory");
}

TEST(CapturedTrace, FromSignalStartsAtTheInterruptedCode) {
  struct sigaction sa {};
  struct sigaction old {};
  sa.sa_sigaction = &on_usr1;
  sa.sa_flags = SA_SIGINFO;
  sigemptyset(&sa.sa_mask);
  ASSERT_EQ(::sigaction(SIGUSR1, &sa, &old), 0);
  raise_usr1();
  ::sigaction(SIGUSR1, &old, nullptr);
  ASSERT_GT(g_signal_count, 1u);
  auto frames = lucid::debug::symbolize({g_signal_pcs, g_signal_count});
  bool handler_seen = false;
  bool raiser_seen = false;
  for (const auto& f : frames) {
    if (f.function.find("on_usr1") != std::string::npos) handler_seen = true;
    if (f.function.find("raise_usr1") != std::string::npos) raiser_seen = true;
  }
  EXPECT_FALSE(handler_seen) << "the handler's own frames are skipped";
  EXPECT_TRUE(raiser_seen);
}

TEST(CapturedTrace, FromSignalRejectsEmptyBuffers) {
  EXPECT_EQ(lucid::debug::capture_from_signal(nullptr, nullptr, 10), 0u);
  std::uintptr_t one[1];
  EXPECT_EQ(lucid::debug::capture_from_signal(nullptr, one, 0), 0u);
}

}  // namespace
