#include "lucid/debug/backtrace_format.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

namespace {

using lucid::debug::backtrace_style;
using lucid::debug::frame_kind;
using lucid::debug::report_options;
using lucid::debug::symbolized_frame;

symbolized_frame frame(std::string fn, frame_kind kind, std::string file = "/src/app.cpp",
                       unsigned line = 1, bool inlined = false) {
  symbolized_frame f;
  f.pc = 0x1000 + line;
  f.function = std::move(fn);
  f.file = std::move(file);
  f.line = line;
  f.kind = kind;
  f.inlined = inlined;
  return f;
}

std::vector<symbolized_frame> sample() {
  return {
      frame("std::__throw_logic_error(char const*)", frame_kind::std_lib, "", 0),
      frame("fetch_data()", frame_kind::user, "/src/app.cpp", 12),
      frame("lucid::detail::poll()", frame_kind::runtime, "/lucid/src/rt/poll.cpp", 40),
      frame("std::function<void ()>::operator()() const", frame_kind::std_lib, "/usr/x", 3),
      frame("lucid::detail::worker_loop()", frame_kind::runtime, "/lucid/src/rt/w.cpp", 7),
      frame("main", frame_kind::user, "/src/app.cpp", 20),
      frame("__libc_start_call_main", frame_kind::system, "", 0),
      frame("_start", frame_kind::system, "", 0),
  };
}

TEST(BacktraceStyle, Parse) {
  EXPECT_EQ(lucid::debug::parse_backtrace_style(nullptr), backtrace_style::off);
  EXPECT_EQ(lucid::debug::parse_backtrace_style(""), backtrace_style::off);
  EXPECT_EQ(lucid::debug::parse_backtrace_style("0"), backtrace_style::off);
  EXPECT_EQ(lucid::debug::parse_backtrace_style("1"), backtrace_style::brief);
  EXPECT_EQ(lucid::debug::parse_backtrace_style("yes"), backtrace_style::brief);
  EXPECT_EQ(lucid::debug::parse_backtrace_style("full"), backtrace_style::full);
}

TEST(BacktraceStyle, FromEnvHonoursNoColor) {
  ::setenv("LUCID_BACKTRACE", "full", 1);
  ::setenv("NO_COLOR", "1", 1);
  report_options o = report_options::from_env(2);
  EXPECT_EQ(o.style, backtrace_style::full);
  EXPECT_FALSE(o.color);
  ::unsetenv("LUCID_BACKTRACE");
  ::unsetenv("NO_COLOR");
  EXPECT_EQ(report_options::from_env(2).style, backtrace_style::off);
  // A pipe or file is never coloured.
  EXPECT_FALSE(report_options::from_env(-1).color);
}

TEST(FormatBacktrace, OffGivesTheNote) {
  report_options o;
  EXPECT_EQ(lucid::debug::format_backtrace(sample(), o),
            "note: run with `LUCID_BACKTRACE=1` to display a backtrace\n");
}

TEST(FormatBacktrace, BriefShowsUserFramesAndFoldsRuns) {
  report_options o;
  o.style = backtrace_style::brief;
  EXPECT_EQ(lucid::debug::format_backtrace(sample(), o),
            "stack backtrace:\n"
            "      ... 1 frame of std hidden ...\n"
            "   1: fetch_data()\n"
            "             at /src/app.cpp:12\n"
            "      ... 3 frames of lucid runtime and std hidden ...\n"
            "   5: main\n"
            "             at /src/app.cpp:20\n"
            "      ... 2 frames of system hidden ...\n"
            "note: some details are omitted, run with `LUCID_BACKTRACE=full` for a verbose "
            "backtrace.\n");
}

TEST(FormatBacktrace, BriefNamesEveryKindInARun) {
  std::vector<symbolized_frame> frames = {
      frame("lucid::a()", frame_kind::runtime),
      frame("std::b()", frame_kind::std_lib),
      frame("c", frame_kind::system),
  };
  report_options o;
  o.style = backtrace_style::brief;
  EXPECT_NE(lucid::debug::format_backtrace(frames, o).find(
                "... 3 frames of lucid runtime, std and system hidden ..."),
            std::string::npos);
}

TEST(FormatBacktrace, BriefCollapsesRecursion) {
  std::vector<symbolized_frame> frames;
  frames.push_back(frame("recurse(int)", frame_kind::user, "/src/app.cpp", 5));
  for (int i = 0; i < 4; ++i)
    frames.push_back(frame("recurse(int)", frame_kind::user, "/src/app.cpp", 9));
  report_options o;
  o.style = backtrace_style::brief;
  EXPECT_EQ(lucid::debug::format_backtrace(frames, o),
            "stack backtrace:\n"
            "   0: recurse(int)\n"
            "             at /src/app.cpp:5\n"
            "   1: recurse(int)\n"
            "             at /src/app.cpp:9\n"
            "      ... previous frame repeated 3 more times ...\n");
}

TEST(FormatBacktrace, FullShowsEveryFrameWithAddressesAndInlining) {
  std::vector<symbolized_frame> frames = {
      frame("inner()", frame_kind::user, "/src/app.cpp", 3, true),
      frame("outer()", frame_kind::user, "/src/app.cpp", 8),
      frame("", frame_kind::system, "", 0),
  };
  frames[1].pc = frames[0].pc;
  frames[1].column = 5;
  frames[2].module = "/lib/libc.so.6";
  report_options o;
  o.style = backtrace_style::full;
  EXPECT_EQ(lucid::debug::format_backtrace(frames, o),
            "stack backtrace:\n"
            "   0:             0x1003 - inner() [inlined]\n"
            "                               at /src/app.cpp:3\n"
            "   1:             0x1003 - outer()\n"
            "                               at /src/app.cpp:8:5\n"
            "   2:             0x1000 - <unknown>\n"
            "                               in /lib/libc.so.6\n");
}

TEST(FormatBacktrace, ColorMarksUserFramesOnlyWhenAsked) {
  report_options o;
  o.style = backtrace_style::brief;
  EXPECT_EQ(lucid::debug::format_backtrace(sample(), o).find('\x1b'), std::string::npos);
  o.color = true;
  std::string text = lucid::debug::format_backtrace(sample(), o);
  EXPECT_NE(text.find("\x1b[1mfetch_data()\x1b[0m"), std::string::npos) << text;
  EXPECT_NE(text.find("\x1b[2m... 1 frame of std hidden ...\x1b[0m"), std::string::npos) << text;
}

TEST(FormatBacktrace, FirstUserFrame) {
  auto frames = sample();
  const symbolized_frame* f = lucid::debug::first_user_frame(frames);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->function, "fetch_data()");
  std::vector<symbolized_frame> none = {frame("std::x()", frame_kind::std_lib)};
  EXPECT_EQ(lucid::debug::first_user_frame(none), nullptr);
}

TEST(FormatBacktrace, Empty) {
  report_options o;
  o.style = backtrace_style::brief;
  EXPECT_EQ(lucid::debug::format_backtrace({}, o), "stack backtrace:\n  <empty>\n");
}

}  // namespace
