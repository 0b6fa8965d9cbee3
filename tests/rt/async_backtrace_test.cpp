// Tests of lucid/rt/async_backtrace.hpp: the frames of the calling task's
// await chain name its coroutines, innermost first, with the file:line of
// each co_await; the chain crosses select/when_all into the awaiting frame;
// empty outside a task. (tests/debug/async_backtrace_test.cpp tests the
// formatting of given frames.) rt only: no sync or time.
#include "lucid/rt/async_backtrace.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "lucid/rt/runtime.hpp"
#include "lucid/rt/select.hpp"
#include "lucid/rt/spawn.hpp"
#include "lucid/rt/when_all.hpp"

namespace {

/// An owned copy of an await_frame (the strings are static anyway; copying
/// makes EXPECT messages readable).
struct frame {
  std::string function;
  std::string file;
  unsigned line = 0;
};

std::vector<frame> copy(const std::vector<lucid::debug::await_frame>& fs) {
  std::vector<frame> out;
  for (const auto& f : fs)
    out.push_back({f.function ? f.function : "", f.file ? f.file : "", f.line});
  return out;
}

std::string dump(const std::vector<frame>& fs) {
  std::string s;
  for (const auto& f : fs)
    s += f.function + " at " + f.file + ":" + std::to_string(f.line) + "\n";
  return s;
}

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

// Lines of the co_awaits below, each taken right before its statement.
unsigned g_inner_line = 0;
unsigned g_middle_line = 0;
unsigned g_outer_line = 0;

lucid::task<std::vector<frame>> inner_level() {
  g_inner_line = __LINE__ + 1;
  co_await lucid::yield_now{};
  co_return copy(lucid::async_backtrace());
}

lucid::task<std::vector<frame>> middle_level() {
  g_middle_line = __LINE__ + 1;
  auto fs = co_await inner_level();
  co_return fs;
}

lucid::task<std::vector<frame>> outer_level() {
  g_outer_line = __LINE__ + 1;
  auto fs = co_await middle_level();
  co_return fs;
}

void expect_frame(const std::vector<frame>& fs, std::size_t i, const std::string& function,
                  unsigned line) {
  ASSERT_LT(i, fs.size()) << dump(fs);
  EXPECT_NE(fs[i].function.find(function), std::string::npos) << i << "\n" << dump(fs);
  EXPECT_TRUE(ends_with(fs[i].file, "async_backtrace_test.cpp")) << i << "\n" << dump(fs);
  EXPECT_EQ(fs[i].line, line) << i << "\n" << dump(fs);
}

TEST(AsyncBacktraceRt, NamesEveryFrameWithItsAwaitSiteInnermostFirst) {
  for (auto make : {+[] { return lucid::runtime::current_thread(); },
                    +[] { return lucid::runtime::multi_thread(2); }}) {
    auto rt = make();
    auto fs = rt.block_on(outer_level());
    ASSERT_EQ(fs.size(), 3u) << dump(fs);
    expect_frame(fs, 0, "inner_level", g_inner_line);  // running: its most recent co_await
    expect_frame(fs, 1, "middle_level", g_middle_line);
    expect_frame(fs, 2, "outer_level", g_outer_line);
  }
}

TEST(AsyncBacktraceRt, ASpawnedTaskStartsItsOwnChain) {
  auto rt = lucid::runtime::multi_thread(2);
  auto fs = rt.block_on([]() -> lucid::task<std::vector<frame>> {
    auto h = lucid::spawn(middle_level());
    co_return co_await h;
  }());
  ASSERT_EQ(fs.size(), 2u) << dump(fs);  // not the spawner's frames
  expect_frame(fs, 0, "inner_level", g_inner_line);
  expect_frame(fs, 1, "middle_level", g_middle_line);
}

unsigned g_select_line = 0;

lucid::task<std::vector<frame>> yields_forever() {
  for (;;)
    co_await lucid::yield_now{};
}

lucid::task<std::vector<frame>> awaits_select() {
  // One line: GCC gives a co_await spanning lines the line where it ends.
  g_select_line = __LINE__ + 1;
  auto r = co_await lucid::select(inner_level(), yields_forever());
  co_return std::get<0>(std::move(r));
}

// Inside a select or when_all branch, the chain starts in the branch (the
// frame that runs) and continues into the frame that awaits the combinator.
TEST(AsyncBacktraceRt, TheChainContinuesThroughSelect) {
  auto rt = lucid::runtime::current_thread();
  auto fs = rt.block_on(awaits_select());
  ASSERT_GE(fs.size(), 2u) << dump(fs);
  expect_frame(fs, 0, "inner_level", g_inner_line);
  expect_frame(fs, fs.size() - 1, "awaits_select", g_select_line);
}

unsigned g_when_all_line = 0;

lucid::task<std::vector<frame>> awaits_when_all() {
  g_when_all_line = __LINE__ + 1;
  auto [a, b] = co_await lucid::when_all(middle_level(), inner_level());
  (void)b;
  co_return a;
}

TEST(AsyncBacktraceRt, TheChainContinuesThroughWhenAll) {
  auto rt = lucid::runtime::multi_thread(2);
  auto fs = rt.block_on(awaits_when_all());
  ASSERT_GE(fs.size(), 3u) << dump(fs);
  expect_frame(fs, 0, "inner_level", g_inner_line);
  expect_frame(fs, 1, "middle_level", g_middle_line);
  expect_frame(fs, fs.size() - 1, "awaits_when_all", g_when_all_line);
}

TEST(AsyncBacktraceRt, EmptyOutsideATask) {
  EXPECT_TRUE(lucid::async_backtrace().empty());
  auto rt = lucid::runtime::current_thread();
  EXPECT_TRUE(lucid::async_backtrace().empty());  // a runtime exists, but no task runs here
}

lucid::task<std::string> formatted_inner() {
  co_await lucid::yield_now{};
  co_return lucid::format_async_backtrace();
}

lucid::task<std::string> formatted_outer() {
  co_return co_await formatted_inner();
}

TEST(AsyncBacktraceRt, FormatPutsTheRootFirst) {
  auto rt = lucid::runtime::current_thread();
  auto s = rt.block_on(formatted_outer());
  auto outer = s.find("formatted_outer");
  auto inner = s.find("formatted_inner");
  ASSERT_NE(outer, std::string::npos) << s;
  ASSERT_NE(inner, std::string::npos) << s;
  EXPECT_LT(outer, inner) << s;
  EXPECT_NE(s.find("async_backtrace_test.cpp:"), std::string::npos) << s;
}

unsigned g_running_line = 0;

lucid::task<std::string> formatted_running() {
  g_running_line = __LINE__ + 1;
  co_await lucid::yield_now{};
  co_return lucid::format_async_backtrace();  // runs past its last co_await
}

lucid::task<std::string> awaits_formatted_running() {
  co_return co_await formatted_running();
}

// The innermost frame runs (it called async_backtrace); it is not suspended
// at its last co_await, and says so. The frames further out are suspended.
TEST(AsyncBacktraceRt, TheInnermostFrameSaysItIsRunning) {
  auto rt = lucid::runtime::current_thread();
  auto s = rt.block_on(awaits_formatted_running());
  EXPECT_NE(s.find("formatted_running running, last await at tests/rt/async_backtrace_test.cpp:" +
                   std::to_string(g_running_line) + "\n"),
            std::string::npos)
      << s;
  EXPECT_NE(s.find("awaits_formatted_running at tests/rt/async_backtrace_test.cpp:"),
            std::string::npos)
      << s;
  EXPECT_EQ(s.find("awaits_formatted_running running"), std::string::npos) << s;
}

lucid::task<std::string> before_any_await() {
  co_return lucid::format_async_backtrace();
}

lucid::task<std::string> awaits_before_any_await() {
  co_return co_await before_any_await();
}

// A coroutine that has not reached a co_await yet is named all the same.
TEST(AsyncBacktraceRt, ACoroutineIsNamedBeforeItsFirstAwait) {
  auto rt = lucid::runtime::current_thread();
  auto s = rt.block_on(awaits_before_any_await());
  EXPECT_EQ(s.find("<unknown>"), std::string::npos) << s;
  EXPECT_NE(s.find("└╼ before_any_await running, before its first co_await\n"), std::string::npos)
      << s;
  EXPECT_NE(s.find("╼ awaits_before_any_await at tests/rt/async_backtrace_test.cpp:"),
            std::string::npos)
      << s;
  s = rt.block_on(before_any_await());
  EXPECT_EQ(s, "╼ before_any_await running, before its first co_await\n");
}

}  // namespace
