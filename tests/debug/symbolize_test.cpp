#include "lucid/debug/symbolize.hpp"

#include <gtest/gtest.h>

#include <coroutine>
#include <string>
#include <utility>

#include "lucid/debug/backtrace_format.hpp"
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

// A minimal eager coroutine (no runtime: debug does not know rt) whose body
// captures a native backtrace.
struct eager_coroutine {
  struct promise_type {
    eager_coroutine get_return_object() noexcept { return {}; }
    std::suspend_never initial_suspend() noexcept { return {}; }
    std::suspend_never final_suspend() noexcept { return {}; }
    void return_void() noexcept {}
    void unhandled_exception() noexcept {}
  };
};

lucid::debug::captured_trace g_coroutine_trace;

// A coroutine in an anonymous namespace taking a std::string: GCC names its
// body "(anonymous namespace)::f(std::__cxx11::basic_string<...>)::_ZN...Frame*"
// inside the actor's own signature.
[[gnu::noinline]] eager_coroutine coroutine_taking_a_string(std::string s) {
  lucid::debug::capture(g_coroutine_trace);
  asm volatile("" ::: "memory");
  (void)s;
  co_return;
}

TEST(Symbolize, CoroutineInAnAnonymousNamespaceTakingAString) {
  coroutine_taking_a_string("x");
  auto frames = lucid::debug::symbolize(g_coroutine_trace.frames());
  const lucid::debug::symbolized_frame* f = nullptr;
  for (const auto& fr : frames) {
    if (fr.function.find("coroutine_taking_a_string") != std::string::npos) {
      f = &fr;
      break;
    }
  }
  ASSERT_NE(f, nullptr) << lucid::debug::format_backtrace(frames, {});
  const std::string expected = "(anonymous namespace)::coroutine_taking_a_string(std::string)";
  // GCC runs the body in a separate "actor" function, shown as the coroutine.
  // Optimized builds inline the body into the ramp: DWARF then names the
  // inlined subroutine without its parameters, which is readable too.
  EXPECT_TRUE(f->function == expected || f->function == expected + " [coroutine]" ||
              f->function == "(anonymous namespace)::coroutine_taking_a_string")
      << f->function;
  EXPECT_EQ(f->function.find("__cxx11"), std::string::npos) << f->function;
  EXPECT_EQ(f->kind, frame_kind::user);
  lucid::debug::report_options brief;
  brief.style = lucid::debug::backtrace_style::brief;
  const std::string text = lucid::debug::format_backtrace(frames, brief);
  EXPECT_NE(text.find(": " + expected), std::string::npos) << text;
  EXPECT_EQ(text.find("__cxx11"), std::string::npos) << text;
  EXPECT_EQ(text.find("basic_string"), std::string::npos) << text;
  EXPECT_EQ(text.find("::_Z"), std::string::npos) << text;
}

TEST(Demangle, StandardAliasesAreReadable) {
  // void f(std::string const&, std::string_view, std::ostream&)
  EXPECT_EQ(lucid::debug::demangle(
                "_Z1fRKNSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEEESt17basic_string_"
                "viewIcS2_ERSo"),
            "f(std::string const&, std::string_view, std::ostream&)");
  // (anonymous namespace)::g(std::vector<std::string>)
  EXPECT_EQ(lucid::debug::demangle("_ZN12_GLOBAL__N_11gESt6vectorINSt7__cxx1112basic_"
                                   "stringIcSt11char_traitsIcESaIcEEESaIS6_EE"),
            "(anonymous namespace)::g(std::vector<std::string, std::allocator<std::string> >)");
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
