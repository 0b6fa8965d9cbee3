#include "lucid/debug/panic_report.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "helper_runner.hpp"

namespace {

using lucid::debug::backtrace_style;
using lucid::debug::report_options;
using lucid::debug::testing::expected_site;
using lucid::debug::testing::first_listed_frame_location;
using lucid::debug::testing::run_helper;

int g_line = 0;

// clang-format off
[[gnu::noinline]] void fetch_data() {
  g_line = __LINE__; throw std::runtime_error("Something went wrong in fetch_data");
}
// clang-format on

std::exception_ptr failed_fetch() {
  try {
    fetch_data();
  } catch (...) {
    return std::current_exception();
  }
  return nullptr;
}

const lucid::debug::task_info g_task{
    3, "fetch_data", {LUCID_TEST_SOURCE_DIR "/examples/panic_backtrace.cpp", "main", 20}};

TEST(ExceptionMessage, Kinds) {
  EXPECT_EQ(lucid::debug::exception_message(std::make_exception_ptr(std::logic_error("bad"))),
            "bad");
  EXPECT_EQ(lucid::debug::exception_message(std::make_exception_ptr("text")), "text");
  EXPECT_EQ(lucid::debug::exception_message(std::make_exception_ptr(std::string("str"))), "str");
  EXPECT_EQ(lucid::debug::exception_message(std::make_exception_ptr(42)), "exception of type int");
  EXPECT_EQ(lucid::debug::exception_message(nullptr), "no exception");
}

TEST(PanicReport, TaskHeaderWithTheThrowSite) {
  std::exception_ptr e = failed_fetch();
  lucid::debug::panic_context ctx;
  ctx.task = &g_task;
  report_options o;  // off
  std::string report = lucid::debug::format_panic_report(e, ctx, o);
  EXPECT_EQ(report,
            "task 'fetch_data' (id 3, spawned at examples/panic_backtrace.cpp:20) panicked at "
            "tests/debug/panic_report_test.cpp:" +
                std::to_string(g_line) +
                ": Something went wrong in fetch_data\n"
                "note: run with `LUCID_BACKTRACE=1` to display a backtrace\n");
}

TEST(PanicReport, ThreadHeaderWithoutATask) {
  lucid::debug::panic_info p;
  p.message = "oops";
  p.context.thread_name = "worker-2";
  EXPECT_EQ(lucid::debug::format_panic_report(p, {}),
            "thread 'worker-2' panicked: oops\n"
            "note: run with `LUCID_BACKTRACE=1` to display a backtrace\n");
  p.context.thread_name = {};
  EXPECT_EQ(lucid::debug::format_panic_report(p, {}).substr(0, 14), "thread 'main' ");
}

TEST(PanicReport, UnnamedTaskWithoutSpawnSite) {
  lucid::debug::task_info t{9, {}, {}};
  lucid::debug::panic_info p;
  p.context.task = &t;
  p.message = "m";
  EXPECT_EQ(lucid::debug::format_panic_report(p, {}).substr(0, 36),
            "task <unnamed> (id 9) panicked: m\nno");
}

TEST(PanicReport, BriefHasBacktraceAsyncBacktraceAndSpans) {
  std::exception_ptr e = failed_fetch();
  const lucid::debug::await_frame awaits[] = {{"fetch_data()", "/a/x.cpp", 11},
                                              {"main_task()", "/a/x.cpp", 21}};
  const std::string_view spans[] = {"fetch_data{url=/x}", "request{id=9}"};
  lucid::debug::panic_context ctx;
  ctx.task = &g_task;
  ctx.async_backtrace = awaits;
  ctx.spans = spans;
  report_options o;
  o.style = backtrace_style::brief;
  std::string report = lucid::debug::format_panic_report(e, ctx, o);
  EXPECT_NE(report.find("stack backtrace:\n"), std::string::npos) << report;
  EXPECT_EQ(first_listed_frame_location(report).rfind(
                "tests/debug/panic_report_test.cpp:" + std::to_string(g_line) + ":", 0),
            0u)
      << report;
  EXPECT_NE(report.find("async backtrace:\n"
                        "  ╼ main_task() at /a/x.cpp:21\n"
                        "    └╼ fetch_data() at /a/x.cpp:11\n"
                        "spans:\n"
                        "   0: fetch_data{url=/x}\n"
                        "   1: request{id=9}\n"),
            std::string::npos)
      << report;
}

TEST(PanicReport, UnknownThrowSite) {
  lucid::debug::panic_info p;
  p.message = "made, not thrown";
  p.context.thread_name = "t";
  report_options o;
  o.style = backtrace_style::brief;
  EXPECT_EQ(lucid::debug::format_panic_report(p, o),
            "thread 't' panicked: made, not thrown\n"
            "stack backtrace: unknown (the exception was not thrown by a throw expression)\n");
}

// Death tests: debug_helper throws three calls deep on a worker thread under
// fake runtime frames and std::function, rethrows with
// std::rethrow_exception and `throw;`, and calls exit_on_panic.

TEST(PanicDeath, OffPrintsWhereAndTheNote) {
  auto r = run_helper("panic");
  ASSERT_TRUE(r.exited) << r.output;
  EXPECT_EQ(r.exit_code, lucid::debug::panic_exit_status) << r.output;
  const std::string site = expected_site(r.output);
  ASSERT_FALSE(site.empty()) << r.output;
  EXPECT_NE(
      r.output.find("task 'fetch_data' (id 3, spawned at /app/examples/panic_backtrace.cpp:20) "
                    "panicked at " +
                    site + ": Something went wrong in fetch_data\n"),
      std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("note: run with `LUCID_BACKTRACE=1` to display a backtrace"),
            std::string::npos);
  EXPECT_EQ(r.output.find("stack backtrace"), std::string::npos);
}

TEST(PanicDeath, BriefLeadsWithTheThrowSiteAndFoldsTheRest) {
  auto r = run_helper("panic", {{"LUCID_BACKTRACE", "1"}});
  ASSERT_TRUE(r.exited) << r.output;
  EXPECT_EQ(r.exit_code, 101);
  const std::string site = expected_site(r.output);
  // The first user frame is the throw site, not the rethrow.
  EXPECT_EQ(first_listed_frame_location(r.output).rfind(site + ":", 0), 0u) << r.output;
  EXPECT_NE(r.output.find("level3"), std::string::npos);
  EXPECT_NE(r.output.find("level2"), std::string::npos);
  EXPECT_NE(r.output.find("level1"), std::string::npos);
  EXPECT_EQ(r.output.find("rethrow_it"), std::string::npos) << "the rethrow is not the origin";
  // lucid::detail::fake_poll/fake_worker_loop and std::function are folded.
  EXPECT_NE(r.output.find("frames of lucid runtime and std hidden ..."), std::string::npos)
      << r.output;
  EXPECT_EQ(r.output.find("fake_poll"), std::string::npos);
  EXPECT_EQ(r.output.find("std::function"), std::string::npos);
  EXPECT_NE(r.output.find("async backtrace:\n  ╼ main_task()"), std::string::npos);
  EXPECT_NE(r.output.find("spans:\n   0: fetch_data{url=\"/x\"}"), std::string::npos);
  EXPECT_EQ(r.output.find('\x1b'), std::string::npos) << "never colour into a pipe";
}

TEST(PanicDeath, TheLibgccFallbackUnwinderFindsTheSameSite) {
  // What happens where libunwind.so.8 is not installed.
  auto r = run_helper("panic", {{"LUCID_BACKTRACE", "1"}, {"LUCID_DEBUG_UNWINDER", "libgcc"}});
  ASSERT_TRUE(r.exited) << r.output;
  EXPECT_EQ(r.exit_code, 101);
  const std::string site = expected_site(r.output);
  EXPECT_EQ(first_listed_frame_location(r.output).rfind(site + ":", 0), 0u) << r.output;
  EXPECT_NE(r.output.find("level1"), std::string::npos) << r.output;
}

TEST(PanicDeath, FullShowsEveryFrameAndInlinedFrames) {
  auto r = run_helper("inlined", {{"LUCID_BACKTRACE", "full"}});
  ASSERT_TRUE(r.exited) << r.output;
  EXPECT_EQ(r.exit_code, 101);
  const std::string site = expected_site(r.output);
  EXPECT_NE(r.output.find("panicked at " + site + ": thrown from an inlined function"),
            std::string::npos)
      << r.output;
  // GCC names it "inlined_thrower", Clang "inlined_thrower(int)".
  auto inl = r.output.find("inlined_thrower");
  ASSERT_NE(inl, std::string::npos) << r.output;
  const std::string line = r.output.substr(inl, r.output.find('\n', inl) - inl);
  EXPECT_NE(line.find(" [inlined]"), std::string::npos) << line;
  EXPECT_NE(r.output.find("calls_inlined(int)"), std::string::npos);
  EXPECT_NE(r.output.find(" - main\n"), std::string::npos);
  EXPECT_NE(r.output.find(":     0x"), std::string::npos) << "addresses are shown";
  EXPECT_EQ(r.output.find(" hidden ..."), std::string::npos) << "nothing is folded";
}

TEST(PanicDeath, BriefAlsoListsInlinedUserFrames) {
  auto r = run_helper("inlined", {{"LUCID_BACKTRACE", "1"}});
  ASSERT_TRUE(r.exited) << r.output;
  const std::string site = expected_site(r.output);
  EXPECT_EQ(first_listed_frame_location(r.output).rfind(site + ":", 0), 0u) << r.output;
  EXPECT_NE(r.output.find("inlined_thrower"), std::string::npos);
}

}  // namespace
