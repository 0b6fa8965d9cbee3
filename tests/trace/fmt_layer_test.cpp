// Tests of lucid/trace/subscriber/fmt_layer.hpp: each format on a fixed
// clock, escaping, colours, span close timings, task ids.
#define LUCID_TRACE_TARGET "tests.fmt"
#include "lucid/trace/subscriber/fmt_layer.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <iterator>
#include <limits>
#include <string>
#include <vector>

#include "lucid/trace/context.hpp"
#include "lucid/trace/subscriber/registry.hpp"
#include "lucid/trace/trace.hpp"

namespace lucid::trace {
namespace {

// 2026-01-02T03:04:05.123456Z
std::int64_t fixed_clock() noexcept {
  return std::int64_t{1767323045} * 1000000000 + 123456789;
}
std::uint64_t g_now = 0;
std::uint64_t fake_monotonic() noexcept {
  return g_now;
}

struct FmtLayer : ::testing::Test {
  std::shared_ptr<string_writer> out = std::make_shared<string_writer>();
  std::shared_ptr<registry> reg;
  std::unique_ptr<scoped_default> guard;

  void install(fmt_options o) {
    o.clock = &fixed_clock;
    if (o.ansi == ansi_mode::auto_detect) o.ansi = ansi_mode::never;
    reg = std::make_shared<registry>();
    reg->with(std::make_shared<fmt_layer>(out, o)).set_clock(&fake_monotonic);
    guard = std::make_unique<scoped_default>(reg);
  }
  void install(log_format f) {
    fmt_options o;
    o.format = f;
    install(o);
  }
  // The seed: an event inside outer{a=1} > middle{b="two"} > inner{c=3.0}.
  int nested() {
    auto outer = LUCID_INFO_SPAN("outer", ("a", std::uint64_t{1}));
    auto g1 = outer.enter();
    auto middle = LUCID_INFO_SPAN("middle", ("b", "two"));
    auto g2 = middle.enter();
    auto inner = LUCID_INFO_SPAN("inner", ("c", 3.0));
    auto g3 = inner.enter();
    int line = __LINE__ + 1;
    LUCID_INFO_F(("i", 5))("nested event");
    return line;
  }
};

TEST_F(FmtLayer, Full) {
  install(log_format::full);
  nested();
  LUCID_WARN("plain {}", "message");
  EXPECT_EQ(out->take(),
            "2026-01-02T03:04:05.123456Z  INFO outer{a=1}:middle{b=\"two\"}:inner{c=3.0}: "
            "tests.fmt: nested event i=5\n"
            "2026-01-02T03:04:05.123456Z  WARN tests.fmt: plain message\n");
}

TEST_F(FmtLayer, FullSpanWithoutFieldsAndEmptyFields) {
  install(log_format::full);
  auto s = LUCID_INFO_SPAN("process_request", ("status", empty));
  auto e = s.enter();
  LUCID_ERROR("a");
  s.record("status", 200);
  LUCID_DEBUG_F(("late", empty), ("n", -3))("b");
  EXPECT_EQ(out->take(),
            "2026-01-02T03:04:05.123456Z ERROR process_request: tests.fmt: a\n"
            "2026-01-02T03:04:05.123456Z DEBUG process_request{status=200}: tests.fmt: b n=-3\n");
}

TEST_F(FmtLayer, Compact) {
  install(log_format::compact);
  nested();
  EXPECT_EQ(out->take(),
            "2026-01-02T03:04:05.123456Z  INFO outer:middle:inner: tests.fmt: nested event i=5 "
            "a=1 b=\"two\" c=3.0\n");
}

TEST_F(FmtLayer, Pretty) {
  install(log_format::pretty);
  int line = nested();
  EXPECT_EQ(out->take(),
            "  2026-01-02T03:04:05.123456Z  INFO tests.fmt: nested event, i: 5\n"
            "    at tests/trace/fmt_layer_test.cpp:" +
                std::to_string(line) +
                "\n"
                "    in inner with c: 3.0\n"
                "    in middle with b: \"two\"\n"
                "    in outer with a: 1\n\n");
}

TEST_F(FmtLayer, Json) {
  install(log_format::json);
  nested();
  LUCID_INFO("no spans");
  EXPECT_EQ(
      out->take(),
      R"({"timestamp":"2026-01-02T03:04:05.123456Z","level":"INFO","fields":{"message":"nested event","i":5},"target":"tests.fmt","span":{"c":3.0,"name":"inner"},"spans":[{"a":1,"name":"outer"},{"b":"two","name":"middle"},{"c":3.0,"name":"inner"}]})"
      "\n"
      R"({"timestamp":"2026-01-02T03:04:05.123456Z","level":"INFO","fields":{"message":"no spans"},"target":"tests.fmt"})"
      "\n");
}

TEST_F(FmtLayer, ControlCharactersAreEscaped) {
  install(log_format::full);
  std::string evil = "a\nb\x1b[31m\"q\"\\";
  LUCID_INFO_F(("s", evil))("line1\nline2\t{}", "\r");
  EXPECT_EQ(out->take(),
            "2026-01-02T03:04:05.123456Z  INFO tests.fmt: line1\\nline2\\t\\r "
            "s=\"a\\nb\\u{1b}[31m\\\"q\\\"\\\\\"\n");
}

TEST_F(FmtLayer, JsonEscaping) {
  install(log_format::json);
  std::string evil = "a\nb\x1b\"";
  LUCID_INFO_F(("s", evil))("say \"{}\"", "hi\\");
  EXPECT_EQ(
      out->take(),
      R"({"timestamp":"2026-01-02T03:04:05.123456Z","level":"INFO","fields":{"message":"say \"hi\\\"","s":"a\nb\u001b\""},"target":"tests.fmt"})"
      "\n");
}

// A JSON line is valid UTF-8 whatever bytes a field holds: the bytes that
// start no valid sequence become U+FFFD (they were copied as they were, and a
// strict parser refused the whole line); valid multi-byte text stays as is.
TEST_F(FmtLayer, JsonLinesAreValidUtf8) {
  install(log_format::json);
  std::string bytes = "ok \xC3\xA9 bad \xFF\xFE cut \xE2\x82 end";
  LUCID_INFO_F(("s", bytes))("m");
  EXPECT_EQ(
      out->take(),
      R"({"timestamp":"2026-01-02T03:04:05.123456Z","level":"INFO","fields":{"message":"m","s":"ok )"
      "\xC3\xA9 bad \xEF\xBF\xBD\xEF\xBF\xBD cut \xEF\xBF\xBD\xEF\xBF\xBD end"
      R"("},"target":"tests.fmt"})"
      "\n");
}

TEST_F(FmtLayer, ValueFormatting) {
  install(log_format::full);
  LUCID_INFO_F(("f", 2.0), ("g", 0.25), ("e", 1e300), ("u", std::uint64_t{18446744073709551615u}),
               ("b", false), ("c", 'x'))
  ("v");
  EXPECT_EQ(out->take(),
            "2026-01-02T03:04:05.123456Z  INFO tests.fmt: v f=2.0 g=0.25 e=1e+300 "
            "u=18446744073709551615 b=false c=x\n");
}

TEST_F(FmtLayer, ColoursWhenForcedAndNeverWithNoColor) {
  ::unsetenv("NO_COLOR");
  fmt_options o;
  o.ansi = ansi_mode::always;
  install(o);
  LUCID_INFO("c");
  EXPECT_EQ(
      out->take(),
      "\x1b[2m2026-01-02T03:04:05.123456Z\x1b[0m \x1b[32m INFO\x1b[0m \x1b[2mtests.fmt:\x1b[0m "
      "c\n");
  guard.reset();
  ::setenv("NO_COLOR", "1", 1);
  install(o);
  LUCID_INFO("c");
  EXPECT_EQ(out->take(), "2026-01-02T03:04:05.123456Z  INFO tests.fmt: c\n");
  ::unsetenv("NO_COLOR");
}

TEST_F(FmtLayer, ColoursOnlyOnATerminal) {
  ::unsetenv("NO_COLOR");
  EXPECT_FALSE(fmt_layer(out, {}).ansi());
  out->set_terminal(true);
  EXPECT_TRUE(fmt_layer(out, {}).ansi());
  ::setenv("NO_COLOR", "1", 1);
  EXPECT_FALSE(fmt_layer(out, {}).ansi());
  ::unsetenv("NO_COLOR");
}

TEST_F(FmtLayer, SpanCloseTimings) {
  fmt_options o;
  o.span_close_events = true;
  install(o);
  g_now = 0;
  {
    auto s = LUCID_INFO_SPAN("work", ("id", 1));
    g_now += 5000;
    auto e = s.enter();
    g_now += 1234567;
  }
  EXPECT_EQ(out->take(),
            "2026-01-02T03:04:05.123456Z  INFO work{id=1}: tests.fmt: close "
            "time.busy=1.23ms time.idle=5.00µs\n");
}

TEST_F(FmtLayer, TaskIdAndFileLine) {
  fmt_options o;
  o.with_file_line = true;
  install(o);
  detail::set_task_id_provider([]() noexcept -> std::uint64_t { return 7; });
  int line = __LINE__ + 1;
  LUCID_INFO("in task");
  detail::set_task_id_provider(nullptr);
  EXPECT_EQ(out->take(),
            "2026-01-02T03:04:05.123456Z  INFO task=7 tests.fmt: tests/trace/fmt_layer_test.cpp:" +
                std::to_string(line) + ": in task\n");
}

// Every format shows this file as the panic reports do: relative to the
// source root, never the absolute build path.
TEST_F(FmtLayer, SourcePathsAreRelativeToTheSourceRootInEveryFormat) {
  for (log_format f :
       {log_format::full, log_format::compact, log_format::pretty, log_format::json}) {
    fmt_options o;
    o.format = f;
    o.with_file_line = true;
    guard.reset();  // one scoped default at a time
    install(o);
    LUCID_INFO("where am I");
    const std::string text = out->take();
    EXPECT_NE(text.find("tests/trace/fmt_layer_test.cpp"), std::string::npos) << text;
    EXPECT_EQ(text.find(__FILE__), std::string::npos) << text;
  }
}

TEST_F(FmtLayer, ParseFormat) {
  EXPECT_EQ(parse_log_format("JSON"), log_format::json);
  EXPECT_EQ(parse_log_format("compact"), log_format::compact);
  EXPECT_EQ(parse_log_format("pretty"), log_format::pretty);
  EXPECT_EQ(parse_log_format("full"), log_format::full);
  EXPECT_FALSE(parse_log_format("xml"));
}

TEST_F(FmtLayer, TimestampsAcrossSeconds) {
  // Different threads and seconds must not share a stale cached prefix.
  fmt_options o;
  o.clock = []() noexcept -> std::int64_t {
    static std::int64_t t = std::int64_t{951782399} * 1000000000;  // 2000-02-28T23:59:59Z
    std::int64_t r = t;
    t += 86400LL * 1000000000;  // + one day per call
    return r;
  };
  o.ansi = ansi_mode::never;
  reg = std::make_shared<registry>();
  reg->with(std::make_shared<fmt_layer>(out, o));
  guard = std::make_unique<scoped_default>(reg);
  LUCID_INFO("a");
  LUCID_INFO("b");
  LUCID_INFO("c");
  EXPECT_EQ(out->take(),
            "2000-02-28T23:59:59.000000Z  INFO tests.fmt: a\n"
            "2000-02-29T23:59:59.000000Z  INFO tests.fmt: b\n"
            "2000-03-01T23:59:59.000000Z  INFO tests.fmt: c\n");
}

TEST_F(FmtLayer, MicrosecondsAndTheSecondBoundary) {
  // The cached per-second prefix must follow the clock across a second (and a
  // minute) boundary on one thread, and the microseconds keep their zeros.
  static constexpr std::int64_t k_times[] = {
      std::int64_t{1767323045} * 1000000000 + 5999,       // 03:04:05.000005
      std::int64_t{1767323045} * 1000000000 + 999999999,  // 03:04:05.999999
      std::int64_t{1767323046} * 1000000000,              // 03:04:06.000000
      std::int64_t{1767323099} * 1000000000 + 999999000,  // 03:04:59.999999
      std::int64_t{1767323100} * 1000000000 + 10000,      // 03:05:00.000010
      std::int64_t{-1},                                   // 1969-12-31T23:59:59.999999
  };
  static std::size_t next = 0;
  next = 0;
  fmt_options o;
  o.clock = []() noexcept -> std::int64_t { return k_times[next++ % std::size(k_times)]; };
  o.ansi = ansi_mode::never;
  reg = std::make_shared<registry>();
  reg->with(std::make_shared<fmt_layer>(out, o));
  guard = std::make_unique<scoped_default>(reg);
  for (int i = 0; i < 6; ++i)
    LUCID_INFO_F(("i", i))("t");
  EXPECT_EQ(out->take(),
            "2026-01-02T03:04:05.000005Z  INFO tests.fmt: t i=0\n"
            "2026-01-02T03:04:05.999999Z  INFO tests.fmt: t i=1\n"
            "2026-01-02T03:04:06.000000Z  INFO tests.fmt: t i=2\n"
            "2026-01-02T03:04:59.999999Z  INFO tests.fmt: t i=3\n"
            "2026-01-02T03:05:00.000010Z  INFO tests.fmt: t i=4\n"
            "1969-12-31T23:59:59.999999Z  INFO tests.fmt: t i=5\n");
}

TEST_F(FmtLayer, ControlCharactersAreFoundAtEveryPositionAndLength) {
  // The message is checked for characters to escape 16 (or 8, 4) bytes at a
  // time: a control character must be found wherever it is, in messages with
  // and without arguments, in text and JSON.
  install(log_format::full);
  for (std::size_t len = 1; len <= 40; ++len) {
    for (std::size_t pos = 0; pos < len; ++pos) {
      std::string msg(len, 'a');
      msg[pos] = '\x01';
      std::string want = std::string(pos, 'a') + "\\u{1}" + std::string(len - pos - 1, 'a');
      LUCID_INFO(fmt::runtime(msg));
      EXPECT_EQ(out->take(), "2026-01-02T03:04:05.123456Z  INFO tests.fmt: " + want + "\n")
          << "no arguments, length " << len << ", position " << pos;
      LUCID_INFO("{}", msg);
      EXPECT_EQ(out->take(), "2026-01-02T03:04:05.123456Z  INFO tests.fmt: " + want + "\n")
          << "with an argument, length " << len << ", position " << pos;
      msg[pos] = '{';
      std::string braces = msg;
      braces.insert(pos, "{");  // "{{" prints one brace
      LUCID_INFO(fmt::runtime(braces));
      EXPECT_EQ(out->take(), "2026-01-02T03:04:05.123456Z  INFO tests.fmt: " + msg + "\n")
          << "brace, length " << len << ", position " << pos;
    }
  }
}

TEST_F(FmtLayer, JsonQuotesAreFoundAtEveryPositionAndLength) {
  install(log_format::json);
  for (std::size_t len = 1; len <= 40; ++len) {
    for (std::size_t pos = 0; pos < len; ++pos) {
      std::string msg(len, 'a');
      msg[pos] = '"';
      std::string want = std::string(pos, 'a') + "\\\"" + std::string(len - pos - 1, 'a');
      LUCID_INFO("{}", msg);
      EXPECT_EQ(
          out->take(),
          R"({"timestamp":"2026-01-02T03:04:05.123456Z","level":"INFO","fields":{"message":")" +
              want + R"("},"target":"tests.fmt"})" + "\n")
          << "length " << len << ", position " << pos;
    }
  }
}

TEST_F(FmtLayer, LinesLongerThanTheInlineBuffer) {
  // The line buffer keeps 500 bytes inline and grows when a line is longer,
  // both while fmt formats the message and while fields are appended.
  install(log_format::full);
  std::string text;
  for (int i = 0; i < 300; ++i)
    text += fmt::format("{:x}", i % 16);
  std::string value(3000, 'v');
  LUCID_INFO_F(("long", value), ("after", 1))("{} and {}", text, text);
  EXPECT_EQ(out->take(), "2026-01-02T03:04:05.123456Z  INFO tests.fmt: " + text + " and " + text +
                             " long=\"" + value + "\" after=1\n");
  LUCID_INFO("short");  // the grown buffer is reused from the start
  EXPECT_EQ(out->take(), "2026-01-02T03:04:05.123456Z  INFO tests.fmt: short\n");
}

TEST_F(FmtLayer, IntegersOfEveryNumberOfDigits) {
  install(log_format::full);
  std::vector<std::uint64_t> unsigned_values = {0, std::numeric_limits<std::uint64_t>::max()};
  for (std::uint64_t p = 1; p <= 1000000000000000000u; p *= 10) {
    unsigned_values.push_back(p - 1);
    unsigned_values.push_back(p);
    unsigned_values.push_back(p * 10 - 1);
  }
  for (std::uint64_t u : unsigned_values) {
    LUCID_INFO_F(("u", u))("n");
    EXPECT_EQ(out->take(),
              "2026-01-02T03:04:05.123456Z  INFO tests.fmt: n u=" + std::to_string(u) + "\n");
  }
  for (std::int64_t i : {std::int64_t{0}, std::int64_t{-1}, std::int64_t{-10}, std::int64_t{-99},
                         std::int64_t{-1000000007}, std::numeric_limits<std::int64_t>::min(),
                         std::numeric_limits<std::int64_t>::max()}) {
    LUCID_INFO_F(("i", i))("n");
    EXPECT_EQ(out->take(),
              "2026-01-02T03:04:05.123456Z  INFO tests.fmt: n i=" + std::to_string(i) + "\n");
  }
}

}  // namespace
}  // namespace lucid::trace
