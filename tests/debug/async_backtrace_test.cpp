#include "lucid/debug/async_backtrace.hpp"

#include <gtest/gtest.h>

#include <string>

namespace {

using lucid::debug::await_frame;

TEST(AsyncBacktrace, TreeWithTheRootFirst) {
  const await_frame chain[] = {
      {"fetch_data()", "/nowhere/panic_backtrace.cpp", 11},
      {"handler()", "/nowhere/panic_backtrace.cpp", 16},
      {"main_task()", "/nowhere/panic_backtrace.cpp", 21},
  };
  EXPECT_EQ(lucid::debug::format_async_backtrace(chain),
            "╼ main_task() at /nowhere/panic_backtrace.cpp:21\n"
            "  └╼ handler() at /nowhere/panic_backtrace.cpp:16\n"
            "     └╼ fetch_data() at /nowhere/panic_backtrace.cpp:11\n");
}

TEST(AsyncBacktrace, IndentAndUnknowns) {
  const await_frame chain[] = {{nullptr, nullptr, 0}, {"outer()", "a.cpp", 3}};
  EXPECT_EQ(lucid::debug::format_async_backtrace(chain, {}, 2),
            "  ╼ outer() at a.cpp:3\n"
            "    └╼ <unknown>\n");
}

// Captured from inside the task, the innermost frame runs past its last
// co_await (or has not reached one yet); the frames further out are suspended.
TEST(AsyncBacktrace, TheRunningFrameSaysSo) {
  await_frame running{"fetch_data", "/nowhere/x.cpp", 28};
  running.running = true;
  const await_frame chain[] = {running, {"main_task", "/nowhere/x.cpp", 21}};
  EXPECT_EQ(lucid::debug::format_async_backtrace(chain),
            "╼ main_task at /nowhere/x.cpp:21\n"
            "  └╼ fetch_data running, last await at /nowhere/x.cpp:28\n");
  await_frame fresh{"fetch_data", nullptr, 0};
  fresh.running = true;
  EXPECT_EQ(lucid::debug::format_async_backtrace({&fresh, 1}),
            "╼ fetch_data running, before its first co_await\n");
}

TEST(AsyncBacktrace, PathsAreRelativeToTheSourceRoot) {
  const std::string file = LUCID_TEST_SOURCE_DIR "/examples/x.cpp";
  const await_frame chain[] = {{"f", file.c_str(), 16}};
  EXPECT_EQ(lucid::debug::format_async_backtrace(chain), "╼ f at examples/x.cpp:16\n");
}

TEST(AsyncBacktrace, Empty) {
  EXPECT_EQ(lucid::debug::format_async_backtrace({}), "(no await frames)\n");
}

TEST(AsyncBacktrace, ColorOnlyWhenAsked) {
  const await_frame chain[] = {{"f()", "a.cpp", 1}};
  lucid::debug::report_options plain;
  lucid::debug::report_options color;
  color.color = true;
  EXPECT_EQ(lucid::debug::format_async_backtrace(chain, plain).find('\x1b'), std::string::npos);
  EXPECT_NE(lucid::debug::format_async_backtrace(chain, color).find("\x1b[1mf()\x1b[0m"),
            std::string::npos);
}

}  // namespace
