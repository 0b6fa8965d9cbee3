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
