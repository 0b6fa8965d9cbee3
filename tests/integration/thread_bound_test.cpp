// Thread-bound values on a multi-thread runtime, in a child program
// (programs/thread_bound_program.cpp): a value that reaches another worker
// stops the program with a report naming its creation site, the access
// site, the task and the co_await after which the task moved; spawn_local
// keeps the same program quiet. And ASan's stack-use-after-return detection
// catching a coroutine's dangling reference parameter, naming the coroutine.
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "../debug/helper_runner.hpp"
#include "lucid/rt/detail/check_threads.hpp"

namespace {

/// The driver blocks its worker on purpose: keep the stall detector quiet.
/// A report ends in abort(): `crash` gives the child the sanitizer options
/// that leave SIGABRT to lucid's crash handler (helper_runner.hpp).
lucid::debug::testing::run_result run_program(
    const char* program, const char* mode,
    std::vector<std::pair<std::string, std::string>> env = {}, bool crash = false) {
  env.emplace_back("LUCID_STALL_MS", "60000");
  return lucid::debug::testing::run_program(program, mode, std::move(env), crash);
}

/// "file:line" of the program's line printed as "expect NAME: file:line".
std::string expected(const std::string& out, const std::string& name) {
  std::string key = "expect " + name + ": ";
  auto at = out.find(key);
  if (at == std::string::npos) return "<no " + name + " line>";
  auto end = out.find('\n', at);
  std::string path = out.substr(at + key.size(), end - at - key.size());
  // Reports shorten paths to the source tree.
  auto tests = path.find("tests/integration/");
  return tests == std::string::npos ? path : path.substr(tests);
}

bool has(const std::string& out, const std::string& s) {
  return out.find(s) != std::string::npos;
}

#define SKIP_UNLESS_CHECKED() \
  if (!LUCID_CHECK_THREADS) GTEST_SKIP() << "LUCID_CHECK_THREADS is off here"

TEST(ThreadBound, AccessAfterTheTaskMovedIsReported) {
  SKIP_UNLESS_CHECKED();
  auto r = run_program(LUCID_THREAD_BOUND_PROGRAM, "access", {}, /*crash=*/true);
  EXPECT_TRUE(r.signaled) << r.output;
  EXPECT_TRUE(has(r.output,
                  "lucid: lucid::thread_bound<{anonymous}::session> used on a thread "
                  "that does not own it"))
      << r.output;
  EXPECT_TRUE(
      has(r.output, "created at:  " + expected(r.output, "created") + " in driver, on worker "))
      << r.output;
  EXPECT_TRUE(has(r.output, "accessed at: " + expected(r.output, "access") + " in use_moved"))
      << r.output;
  EXPECT_TRUE(has(r.output, "\"user\", spawned at ")) << r.output;
  EXPECT_TRUE(has(
      r.output, "after the co_await at " + expected(r.output, "moved_after") + " in wait_outside"))
      << r.output;
  EXPECT_TRUE(has(r.output, "lucid::spawn_local(...)")) << r.output;
  EXPECT_FALSE(has(r.output, "finished:")) << r.output;
}

TEST(ThreadBound, SpawnedTaskOwningOneIsCaughtAtItsFirstMove) {
  SKIP_UNLESS_CHECKED();
  auto r = run_program(LUCID_THREAD_BOUND_PROGRAM, "migrate", {}, /*crash=*/true);
  EXPECT_TRUE(r.signaled) << r.output;
  EXPECT_TRUE(has(r.output,
                  "lucid: a task that owns a lucid::thread_bound<{anonymous}::session> "
                  "moved to another worker"))
      << r.output;
  EXPECT_TRUE(
      has(r.output, "created at:  " + expected(r.output, "created_in_task") + " in own_and_move"))
      << r.output;
  EXPECT_TRUE(has(r.output, "\"owner\", spawned at ")) << r.output;
  EXPECT_TRUE(has(r.output, "after the co_await at " + expected(r.output, "moved_after")))
      << r.output;
  EXPECT_FALSE(has(r.output, "finished:")) << r.output;
}

TEST(ThreadBound, LocalRcThroughArrowNamesTheAccessFromTheBacktrace) {
  SKIP_UNLESS_CHECKED();
  auto r = run_program(LUCID_THREAD_BOUND_PROGRAM, "rc_arrow", {}, /*crash=*/true);
  EXPECT_TRUE(r.signaled) << r.output;
  EXPECT_TRUE(has(r.output,
                  "lucid: lucid::local_rc<{anonymous}::session> used on a thread that "
                  "does not own it"))
      << r.output;
  EXPECT_TRUE(has(r.output, "created at:  " + expected(r.output, "rc_created"))) << r.output;
  EXPECT_TRUE(has(r.output, "accessed at: " + expected(r.output, "arrow"))) << r.output;
  EXPECT_TRUE(has(r.output, "\"rc_user\", spawned at ")) << r.output;
}

TEST(ThreadBound, SpawnLocalKeepsTheSameProgramQuiet) {
  auto r = run_program(LUCID_THREAD_BOUND_PROGRAM, "local");
  EXPECT_TRUE(r.exited) << r.output;
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(has(r.output, "finished: 1")) << r.output;
  EXPECT_FALSE(has(r.output, "moved to another thread")) << r.output;
  EXPECT_FALSE(has(r.output, "lucid: ")) << r.output;
}

TEST(ThreadBound, AsanCatchesADanglingReferenceParameterAndNamesTheCoroutine) {
  if (!lucid::debug::testing::under_asan) GTEST_SKIP() << "needs the asan preset";
  auto r = run_program(LUCID_THREAD_BOUND_PROGRAM, "dangling",
                       {{"ASAN_OPTIONS", "detect_stack_use_after_return=1:detect_leaks=0"}});
  EXPECT_FALSE(r.exited && r.exit_code == 0) << r.output;
  EXPECT_TRUE(has(r.output, "ERROR: AddressSanitizer: stack-use-after-return")) << r.output;
  EXPECT_TRUE(has(r.output, "read_later")) << r.output;
  EXPECT_TRUE(has(r.output, "start_reader")) << r.output;  // the frame that owned the argument
}

}  // namespace
