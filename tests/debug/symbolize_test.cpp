#include "lucid/debug/symbolize.hpp"

#include <gtest/gtest.h>

#include <string>

#include "lucid/debug/captured_trace.hpp"

#ifndef LUCID_TEST_SOURCE_DIR
#define LUCID_TEST_SOURCE_DIR ""
#endif

namespace {

using lucid::debug::classify;
using lucid::debug::frame_kind;

int g_capture_line = 0;

// clang-format off
[[gnu::noinline]] lucid::debug::captured_trace capture_at_known_line() {
  lucid::debug::captured_trace t; g_capture_line = __LINE__; lucid::debug::capture(t);
  asm volatile("" ::: "memory");
  return t;
}
// clang-format on

TEST(Symbolize, FunctionFileAndLine) {
  auto t = capture_at_known_line();
  auto frames = lucid::debug::symbolize(t.frames());
  ASSERT_FALSE(frames.empty());
  const auto& f = frames.front();
  EXPECT_NE(f.function.find("capture_at_known_line()"), std::string::npos) << f.function;
  EXPECT_TRUE(f.file.ends_with("tests/debug/symbolize_test.cpp")) << f.file;
  EXPECT_EQ(f.line, static_cast<unsigned>(g_capture_line));
  EXPECT_FALSE(f.module.empty());
  EXPECT_EQ(f.kind, frame_kind::user);
  EXPECT_FALSE(f.inlined);
}

TEST(Symbolize, UnknownAddressGivesAnEmptyFrame) {
  std::uintptr_t pcs[] = {0x10};
  auto frames = lucid::debug::symbolize(pcs);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_TRUE(frames[0].function.empty());
  EXPECT_TRUE(frames[0].file.empty());
  EXPECT_EQ(frames[0].pc, 0x10u);
  EXPECT_EQ(frames[0].kind, frame_kind::system);
}

TEST(Symbolize, EmptyInput) {
  EXPECT_TRUE(lucid::debug::symbolize({}).empty());
}

TEST(Classify, UserCode) {
  EXPECT_EQ(classify("fetch_data()", "/home/me/app/main.cpp", "/home/me/app/a.out"),
            frame_kind::user);
  EXPECT_EQ(classify("main", "", "/home/me/app/a.out"), frame_kind::user);
  EXPECT_EQ(classify("void fetch<std::string>(std::string const&)", "/x/main.cpp", ""),
            frame_kind::user)
      << "std:: inside template arguments does not make a std frame";
  EXPECT_EQ(classify("(anonymous namespace)::helper(int)", "/x/main.cpp", ""), frame_kind::user);
}

TEST(Classify, RuntimeByNamespaceAndPath) {
  EXPECT_EQ(classify("lucid::detail::worker::run()", "", ""), frame_kind::runtime);
  EXPECT_EQ(classify("void lucid::detail::poll<int>(int)", "", ""), frame_kind::runtime)
      << "a leading return type is skipped";
  EXPECT_EQ(classify("lucid::task<int>::promise_type::final_suspend()", "", ""),
            frame_kind::runtime);
  std::string root = LUCID_TEST_SOURCE_DIR;
  EXPECT_EQ(classify("resume_next", root + "/src/rt/scheduler.cpp", ""), frame_kind::runtime);
  EXPECT_EQ(classify("inlined_helper", root + "/include/lucid/rt/task.hpp", ""),
            frame_kind::runtime);
  EXPECT_EQ(classify("example_main", root + "/examples/panic_backtrace.cpp", ""), frame_kind::user)
      << "lucid's examples and tests are user code";
}

TEST(Classify, StandardLibrary) {
  EXPECT_EQ(classify("std::function<void ()>::operator()() const", "", ""), frame_kind::std_lib);
  EXPECT_EQ(classify("void std::__invoke_impl<void, F&>(std::__invoke_other, F&)", "", ""),
            frame_kind::std_lib);
  EXPECT_EQ(classify("__gnu_cxx::__verbose_terminate_handler()", "", ""), frame_kind::std_lib);
  EXPECT_EQ(classify("__cxa_throw", "", ""), frame_kind::std_lib);
  EXPECT_EQ(classify("", "", "/usr/lib/x86_64-linux-gnu/libstdc++.so.6.0.30"), frame_kind::std_lib);
  EXPECT_EQ(classify("some_inlined", "/usr/include/c++/12/bits/invoke.h", ""), frame_kind::std_lib);
}

TEST(Classify, System) {
  EXPECT_EQ(classify("__libc_start_call_main", "", "/lib/x86_64-linux-gnu/libc.so.6"),
            frame_kind::system);
  EXPECT_EQ(classify("_start", "", "/home/me/app/a.out"), frame_kind::system);
  EXPECT_EQ(classify("_Unwind_RaiseException", "", ""), frame_kind::system);
  EXPECT_EQ(classify("start_thread", "./nptl/pthread_create.c", "/lib/libc.so.6"),
            frame_kind::system);
  EXPECT_EQ(classify("", "", "/lib/x86_64-linux-gnu/libgcc_s.so.1"), frame_kind::system);
  EXPECT_EQ(classify("", "", ""), frame_kind::system);
}

TEST(DisplayPath, RelativeToTheSourceTree) {
  std::string root = LUCID_TEST_SOURCE_DIR;
  EXPECT_EQ(lucid::debug::display_path(root + "/examples/panic_backtrace.cpp"),
            "examples/panic_backtrace.cpp");
  EXPECT_EQ(lucid::debug::display_path("/usr/include/c++/12/bits/invoke.h"),
            "/usr/include/c++/12/bits/invoke.h");
  EXPECT_EQ(lucid::debug::display_path("relative/file.cpp"), "relative/file.cpp");
  EXPECT_EQ(lucid::debug::display_path(""), "");
}

TEST(Demangle, ItaniumNames) {
  EXPECT_EQ(lucid::debug::demangle("_Z10fetch_datav"), "fetch_data()");
  EXPECT_EQ(lucid::debug::demangle("main"), "main");
  EXPECT_EQ(lucid::debug::demangle(nullptr), "");
}

}  // namespace
