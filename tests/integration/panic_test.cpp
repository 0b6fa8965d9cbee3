// Panics and crashes inside tasks, on real programs: the report names the
// task, where the exception was thrown (not where the runtime rethrew it), the
// await chain, and the process ends as documented (status 101, or the signal).
#include <gtest/gtest.h>

#include <csignal>
#include <string>

#include "../debug/helper_runner.hpp"

namespace {

using lucid::debug::testing::expected_site;
using lucid::debug::testing::first_listed_frame_location;
using lucid::debug::testing::run_program;

TEST(Panic, ExampleReportsTheThrowSiteAndExits101) {
  auto r = run_program(LUCID_PANIC_EXAMPLE, "", {});
  EXPECT_TRUE(r.exited) << r.output;
  EXPECT_EQ(r.exit_code, 101) << r.output;
  EXPECT_NE(r.output.find("task 'fetch_data' (id "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("spawned at examples/panic_backtrace.cpp:20) panicked at "
                          "examples/panic_backtrace.cpp:16: Something went wrong in fetch_data"),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("note: run with `LUCID_BACKTRACE=1` to display a backtrace"),
            std::string::npos)
      << r.output;
}

TEST(Panic, BacktraceOneLeadsWithTheUserFrameAndFoldsTheRuntime) {
  auto r = run_program(LUCID_PANIC_EXAMPLE, "", {{"LUCID_BACKTRACE", "1"}});
  EXPECT_EQ(r.exit_code, 101) << r.output;
  EXPECT_TRUE(first_listed_frame_location(r.output).starts_with("examples/panic_backtrace.cpp:16"))
      << r.output;
  EXPECT_NE(r.output.find("hidden ..."), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("lucid::detail::scheduler"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("async backtrace:"), std::string::npos) << r.output;
}

TEST(Panic, BacktraceFullShowsEveryFrame) {
  auto r = run_program(LUCID_PANIC_EXAMPLE, "", {{"LUCID_BACKTRACE", "full"}});
  EXPECT_EQ(r.exit_code, 101) << r.output;
  EXPECT_NE(r.output.find("lucid::detail::scheduler::run_task"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find(" 0x"), std::string::npos) << r.output;
}

TEST(Panic, ThrowSiteSurvivesThreeAwaitsAndAJoinHandle) {
  auto r = run_program(LUCID_PANIC_PROGRAM, "join_three_awaits", {{"LUCID_BACKTRACE", "1"}});
  EXPECT_EQ(r.exit_code, 101) << r.output;
  std::string site = expected_site(r.output);
  ASSERT_FALSE(site.empty()) << r.output;
  EXPECT_NE(r.output.find("task 'deep'"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("panicked at " + site + ": thrown three awaits deep"), std::string::npos)
      << r.output;
  EXPECT_TRUE(first_listed_frame_location(r.output).starts_with(site)) << r.output;
  // The async backtrace has the three coroutines.
  auto ab = r.output.find("async backtrace:");
  ASSERT_NE(ab, std::string::npos) << r.output;
  EXPECT_NE(r.output.find("level1", ab), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("level2", ab), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("level3", ab), std::string::npos) << r.output;
  // level3 threw past its co_await: it was running, not suspended there.
  EXPECT_NE(r.output.find("└╼ level3 running, last await at "
                          "tests/integration/programs/rt_panic_program.cpp:",
                          ab),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("└╼ level2 at tests/integration/programs/rt_panic_program.cpp:", ab),
            std::string::npos)
      << r.output;
}

TEST(Panic, ATaskThatThrowsBeforeItsFirstAwaitIsNamed) {
  auto r = run_program(LUCID_PANIC_PROGRAM, "panic_before_await", {{"LUCID_BACKTRACE", "1"}});
  EXPECT_EQ(r.exit_code, 101) << r.output;
  std::string site = expected_site(r.output);
  ASSERT_FALSE(site.empty()) << r.output;
  EXPECT_NE(r.output.find("task 'eager' (id "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("panicked at " + site + ": thrown before any await"), std::string::npos)
      << r.output;
  auto ab = r.output.find("async backtrace:");
  ASSERT_NE(ab, std::string::npos) << r.output;
  EXPECT_NE(r.output.find("╼ throws_at_once running, before its first co_await\n", ab),
            std::string::npos)
      << r.output;
  EXPECT_EQ(r.output.find("<unknown>", ab), std::string::npos) << r.output;
}

TEST(Panic, DetachedTaskPanicIsReportedAndTheRuntimeGoesOn) {
  auto r = run_program(LUCID_PANIC_PROGRAM, "detached_panic", {});
  EXPECT_TRUE(r.exited) << r.output;
  EXPECT_EQ(r.exit_code, 0) << r.output;
  std::string site = expected_site(r.output);
  EXPECT_NE(r.output.find("task 'detached' (id "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("panicked at " + site + ": nobody joins me"), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("main finished normally"), std::string::npos) << r.output;
}

TEST(Panic, ShutdownPolicyStopsTheRuntime) {
  auto r = run_program(LUCID_PANIC_PROGRAM, "panic_shutdown", {});
  EXPECT_TRUE(r.exited) << r.output;
  EXPECT_EQ(r.exit_code, 101) << r.output;
  EXPECT_NE(r.output.find("shut the runtime down"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("unreachable"), std::string::npos) << r.output;
}

TEST(Crash, NullDereferenceInATaskNamesTheTask) {
  auto r = run_program(LUCID_PANIC_PROGRAM, "null_deref", {}, /*crash_mode=*/true);
  EXPECT_TRUE(r.signaled) << r.output;
  EXPECT_EQ(r.signal, SIGSEGV) << r.output;
  EXPECT_NE(r.output.find("SIGSEGV"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("crasher"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("rt_panic_program.cpp"), std::string::npos) << r.output;
  // The crash handler's chain: the crashing frame runs past its co_await.
  EXPECT_NE(
      r.output.find("running, last await at tests/integration/programs/rt_panic_program.cpp:"),
      std::string::npos)
      << r.output;
}

TEST(Crash, StackOverflowInATaskIsReported) {
  auto r = run_program(LUCID_PANIC_PROGRAM, "stack_overflow", {}, /*crash_mode=*/true);
  EXPECT_TRUE(r.signaled) << r.output;
  EXPECT_EQ(r.signal, SIGSEGV) << r.output;
  EXPECT_NE(r.output.find("overflowed its stack"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("recursor"), std::string::npos) << r.output;
}

}  // namespace
