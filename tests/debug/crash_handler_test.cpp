#include "lucid/debug/crash_handler.hpp"

#include <gtest/gtest.h>
#include <signal.h>

#include <string>
#include <thread>
#include <vector>

#include "helper_runner.hpp"

namespace {

using lucid::debug::testing::expected_site;
using lucid::debug::testing::first_listed_frame_location;
using lucid::debug::testing::run_helper;

TEST(AltStack, IdempotentPerThread) {
  EXPECT_TRUE(lucid::debug::ensure_alt_stack());
  stack_t first{};
  ASSERT_EQ(::sigaltstack(nullptr, &first), 0);
  EXPECT_EQ(first.ss_flags & SS_DISABLE, 0);
  EXPECT_TRUE(lucid::debug::ensure_alt_stack());
  stack_t second{};
  ASSERT_EQ(::sigaltstack(nullptr, &second), 0);
  EXPECT_EQ(first.ss_sp, second.ss_sp);
}

TEST(AltStack, EachThreadGetsItsOwn) {
  lucid::debug::ensure_alt_stack();
  stack_t mine{};
  ::sigaltstack(nullptr, &mine);
  void* theirs = nullptr;
  std::thread t([&] {
    lucid::debug::ensure_alt_stack();
    stack_t s{};
    ::sigaltstack(nullptr, &s);
    theirs = s.ss_sp;
  });
  t.join();
  EXPECT_NE(theirs, nullptr);
  EXPECT_NE(theirs, mine.ss_sp);
}

// A thread that already has an alternate stack (ASan gives every thread one
// of 4 * SIGSTKSZ) gets lucid's when that one is too small for the report:
// libdw's symbolization overran ASan's, and the report died with SIGSEGV.
std::size_t alt_stack_after_ensure(std::size_t existing) {
  std::vector<char> small(existing);
  std::size_t size = 0;
  void* sp = nullptr;
  std::thread t([&] {
    stack_t s{};
    s.ss_sp = small.data();
    s.ss_size = small.size();
    ASSERT_EQ(::sigaltstack(&s, nullptr), 0);
    EXPECT_TRUE(lucid::debug::ensure_alt_stack());
    stack_t now{};
    ::sigaltstack(nullptr, &now);
    size = now.ss_size;
    sp = now.ss_sp;
    if (sp == small.data()) {  // kept: take it off before `small` goes away
      stack_t off{};
      off.ss_flags = SS_DISABLE;
      ::sigaltstack(&off, nullptr);
    }
  });
  t.join();
  return sp == small.data() ? 0 : size;
}

TEST(AltStack, ReplacesOneTooSmallForTheReport) {
  EXPECT_GE(alt_stack_after_ensure(32 * 1024), 256u * 1024);
}

TEST(AltStack, KeepsOneLargeEnough) {
  EXPECT_EQ(alt_stack_after_ensure(512 * 1024), 0u);  // 0: the thread's own was kept
}

int g_hook_calls = 0;
void count_hook() noexcept {
  ++g_hook_calls;
}

TEST(CrashHooks, PreCrashHookRunsWhenSet) {
  lucid::debug::run_pre_crash_hook();  // none set: nothing happens
  lucid::debug::set_pre_crash_hook(&count_hook);
  lucid::debug::run_pre_crash_hook();
  lucid::debug::set_pre_crash_hook(nullptr);
  lucid::debug::run_pre_crash_hook();
  EXPECT_EQ(g_hook_calls, 1);
}

TEST(CrashHooks, NotInstalledUntilAsked) {
  // The test binary never installs the handler (the runtime does, by default).
  EXPECT_FALSE(lucid::debug::crash_handler_installed());
}

// Death tests: debug_helper installs the crash handler with a fake runtime
// provider (task 'crashy', id 7) and pre-crash hook, then crashes.
//
// Not under ThreadSanitizer: TSan intercepts signal delivery and sigaction,
// and its allocator is not usable from a handler that interrupted it, so the
// report's best-effort symbolization can hang the helper. The dev, release
// and asan presets run these tests.
class CrashDeath : public ::testing::Test {
 protected:
  void SetUp() override {
    if (lucid::debug::testing::under_tsan) GTEST_SKIP() << "crash handler tests skip TSan";
  }
};

void expect_common_report(const lucid::debug::testing::run_result& r, const char* signal) {
  EXPECT_NE(r.output.find(std::string("lucid: crash: ") + signal), std::string::npos) << r.output;
  // The hook (trace flush) runs before the report is written.
  auto hook = r.output.find("pre-crash hook ran");
  ASSERT_NE(hook, std::string::npos) << r.output;
  EXPECT_LT(hook, r.output.find("lucid: crash:"));
  EXPECT_NE(r.output.find("  task 'crashy' (id 7, spawned at /app/src/server.cpp:42)\n"),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("async backtrace:\n"
                          "  ╼ handler(request) at examples/panic_backtrace.cpp:16\n"
                          "    └╼ fetch_data() at examples/panic_backtrace.cpp:11\n"),
            std::string::npos)
      << r.output;
  // Raw addresses come first, then the symbolized backtrace.
  auto raw = r.output.find("native backtrace (raw):\n  0x");
  ASSERT_NE(raw, std::string::npos) << r.output;
  EXPECT_LT(raw, r.output.find("stack backtrace:"));
}

TEST_F(CrashDeath, NullDereferenceReportsAndDiesBySigsegv) {
  auto r = run_helper("segv", {{"LUCID_BACKTRACE", "1"}});
  ASSERT_TRUE(r.signaled) << r.output;
  EXPECT_EQ(r.signal, SIGSEGV);
  expect_common_report(r, "SIGSEGV (segmentation fault: address not mapped) at address 0x0\n");
  EXPECT_NE(r.output.find("  thread 'main' (tid "), std::string::npos);
  const std::string site = expected_site(r.output);
  EXPECT_EQ(first_listed_frame_location(r.output).rfind(site + ":", 0), 0u) << r.output;
  EXPECT_NE(r.output.find("write_through(int*)"), std::string::npos);
}

TEST_F(CrashDeath, StackOverflowOnAThreadIsReported) {
  auto r = run_helper("overflow");
  ASSERT_TRUE(r.signaled) << r.output;
  EXPECT_EQ(r.signal, SIGSEGV);
  expect_common_report(r, "SIGSEGV (stack overflow) at address 0x");
  EXPECT_NE(r.output.find("thread 'debug_helper' has overflowed its stack\n"), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("recurse(int)"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("... previous frame repeated "), std::string::npos) << r.output;
}

TEST_F(CrashDeath, DivideByZeroDiesBySigfpe) {
  auto r = run_helper("fpe");
  ASSERT_TRUE(r.signaled) << r.output;
  EXPECT_EQ(r.signal, SIGFPE);
  expect_common_report(r, "SIGFPE (integer divide by zero) at address 0x");
  const std::string site = expected_site(r.output);
  EXPECT_EQ(first_listed_frame_location(r.output).rfind(site + ":", 0), 0u) << r.output;
}

TEST_F(CrashDeath, TerminateShowsTheEscapingExceptionsThrowSite) {
  auto r = run_helper("terminate");
  ASSERT_TRUE(r.signaled) << r.output;
  EXPECT_EQ(r.signal, SIGABRT);
  const std::string site = expected_site(r.output);
  EXPECT_NE(r.output.find("lucid: crash: std::terminate called after an exception escaped\n"),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("panicked at " + site + ": nobody catches this\n"), std::string::npos)
      << r.output;
  EXPECT_EQ(first_listed_frame_location(r.output).rfind(site + ":", 0), 0u) << r.output;
  // One report: the SIGABRT that follows does not print a second one.
  EXPECT_EQ(r.output.find("lucid: crash: SIGABRT"), std::string::npos) << r.output;
}

TEST_F(CrashDeath, AFailedAssertionAbortsWithAReport) {
  auto r = run_helper("assert");
  ASSERT_TRUE(r.signaled) << r.output;
  EXPECT_EQ(r.signal, SIGABRT);
  auto fatal = r.output.find("lucid: fatal: assertion `g_zero == 1` failed: a broken invariant");
  ASSERT_NE(fatal, std::string::npos) << r.output;
  expect_common_report(r, "SIGABRT (aborted)\n");
  EXPECT_LT(fatal, r.output.find("lucid: crash: SIGABRT"));
  // The assertion's own frames (lucid::detail::fatal, abort) are folded: the
  // first listed frame is the LUCID_ASSERT line in the helper.
  EXPECT_EQ(first_listed_frame_location(r.output).rfind("tests/debug/helpers/debug_helper.cpp:", 0),
            0u)
      << r.output;
  EXPECT_NE(r.output.find("frames of lucid runtime and system hidden ..."), std::string::npos)
      << r.output;
}

TEST_F(CrashDeath, FullStyleShowsAddresses) {
  auto r = run_helper("segv", {{"LUCID_BACKTRACE", "full"}});
  ASSERT_TRUE(r.signaled) << r.output;
  EXPECT_EQ(r.signal, SIGSEGV);
  EXPECT_NE(r.output.find(" - main\n"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find(" hidden ..."), std::string::npos) << r.output;
}

}  // namespace
