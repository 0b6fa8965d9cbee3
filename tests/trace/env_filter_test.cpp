// Tests of lucid/trace/subscriber/env_filter.hpp: the LUCID_LOG grammar,
// malformed input, target prefixes and span directives.
#include "lucid/trace/subscriber/env_filter.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "lucid/trace/subscriber/registry.hpp"
#include "lucid/trace/trace.hpp"

namespace lucid::trace {
namespace {

metadata meta(const char* target, level l, const char* name = "event") {
  return metadata{name, target, "f.cpp", 1, l, callsite_kind::event};
}

bool on(env_filter& f, const char* target, level l) {
  return f.enabled(meta(target, l), nullptr);
}

TEST(EnvFilter, DefaultLevel) {
  env_filter f("info");
  EXPECT_TRUE(on(f, "app", level::info));
  EXPECT_TRUE(on(f, "anything", level::error));
  EXPECT_FALSE(on(f, "app", level::debug));
  EXPECT_EQ(f.max_level_hint(), level_filter::info);
}

TEST(EnvFilter, TargetsByPrefixMostSpecificWins) {
  env_filter f("warn,net=debug,net.http=trace,db=off");
  EXPECT_TRUE(on(f, "net.http.client", level::trace));
  EXPECT_TRUE(on(f, "net.tcp", level::debug));
  EXPECT_FALSE(on(f, "net.tcp", level::trace));
  EXPECT_FALSE(on(f, "db.pool", level::error));
  EXPECT_TRUE(on(f, "app", level::warn));
  EXPECT_FALSE(on(f, "app", level::info));
  EXPECT_EQ(f.max_level_hint(), level_filter::trace);
}

TEST(EnvFilter, BareTargetEnablesEverythingAndNoDefaultMeansOff) {
  env_filter f("net");
  EXPECT_TRUE(on(f, "net", level::trace));
  EXPECT_FALSE(on(f, "app", level::error));
}

TEST(EnvFilter, LaterDirectiveWinsForTheSameTarget) {
  env_filter f("app=debug,app=warn");
  EXPECT_FALSE(on(f, "app", level::info));
}

TEST(EnvFilter, CaseAndNumbersAndSpaces) {
  env_filter f(" INFO , app = 4 ");
  EXPECT_TRUE(on(f, "app", level::debug));
  EXPECT_TRUE(on(f, "x", level::info));
}

TEST(EnvFilter, InterestPerCallsite) {
  env_filter f("info,[req]=trace");
  EXPECT_EQ(f.register_callsite(meta("app", level::info)), interest::always);
  EXPECT_EQ(f.register_callsite(meta("app", level::debug)), interest::sometimes);
  env_filter g("info");
  EXPECT_EQ(g.register_callsite(meta("app", level::debug)), interest::never);
}

TEST(EnvFilter, ParsesSpanDirectivesWithCommasInsideBraces) {
  std::vector<std::string> w;
  env_filter f("info,app[request{id=42,user=\"a,b\"}]=trace,[{flag}]=debug", &w);
  EXPECT_TRUE(w.empty());
  auto d = f.directives();
  ASSERT_EQ(d.size(), 3u);
  EXPECT_EQ(d[1].target, "app");
  ASSERT_TRUE(d[1].span.has_value());
  EXPECT_EQ(*d[1].span, "request");
  ASSERT_EQ(d[1].fields.size(), 2u);
  EXPECT_EQ(d[1].fields[0].name, "id");
  EXPECT_EQ(*d[1].fields[0].value, "42");
  EXPECT_EQ(*d[1].fields[1].value, "a,b");
  EXPECT_EQ(d[1].lvl, level_filter::trace);
  EXPECT_FALSE(d[2].span.has_value());
  EXPECT_EQ(d[2].fields[0].name, "flag");
  EXPECT_FALSE(d[2].fields[0].value.has_value());
}

TEST(EnvFilter, MalformedDirectivesWarnOnceEachAndTheRestApplies) {
  struct bad {
    const char* spec;
    const char* part;  // the warning must name it
  } cases[] = {
      {"app=loud", "\"loud\" is not a level"},
      {"=info", "missing target"},
      {"app[span", "unclosed '['"},
      {"app[span{id=1]=info", "unclosed '{'"},
      {"app[span]x", "unexpected \"x\" after ']'"},
      {"a b=info", "invalid character ' '"},
      {"app[s{=1}]=info", "missing field name"},
      {"app[s{id=}]", "missing value for field \"id\""},
      {"app=info=debug", "\"info=debug\" is not a level"},
      {"app[s}]", "invalid character '}' in span name"},
      {"app[{a=1}}]", "unexpected \"}\" after '}'"},
  };
  for (const auto& c : cases) {
    std::vector<std::string> w;
    std::string spec = std::string("debug,") + c.spec + ",net=trace";
    env_filter f(spec, &w);
    ASSERT_EQ(w.size(), 1u) << spec;
    EXPECT_NE(w[0].find(c.part), std::string::npos) << w[0];
    EXPECT_NE(w[0].find("LUCID_LOG"), std::string::npos) << w[0];
    EXPECT_TRUE(on(f, "app", level::debug)) << spec;  // the default still applies
    EXPECT_TRUE(on(f, "net", level::trace)) << spec;  // so does the directive after it
  }
}

TEST(EnvFilter, GarbageNeverCrashes) {
  const char* inputs[] = {
      "",         ",,,", "[",  "]",          "{",           "}",        "[[[]]]",
      "a[{{}}]=", "=",   "\"", "a[\"]=info", "a[b{c=\"d}]", "\x01\x02", "a[b{c,d,e}]=info,,"};
  for (const char* in : inputs) {
    std::vector<std::string> w;
    env_filter f(in, &w);
    (void)f.enabled(meta("a", level::info), nullptr);
    for (const auto& m : w)
      EXPECT_NE(m.find("LUCID_LOG"), std::string::npos) << in << ": " << m;
    // Between two good directives, the garbage loses only itself: the
    // default before it and the target directive after it still apply.
    std::vector<std::string> w2;
    std::string spec = std::string("warn,") + in + ",net=trace";
    env_filter g(spec, &w2);
    EXPECT_TRUE(on(g, "zz", level::warn)) << spec;
    EXPECT_FALSE(on(g, "zz", level::info)) << spec;
    EXPECT_TRUE(on(g, "net.tcp", level::trace)) << spec;
    for (const auto& m : w2)
      EXPECT_NE(m.find("LUCID_LOG"), std::string::npos) << spec << ": " << m;
  }
}

TEST(EnvFilter, WarningsGoToStderrWithoutAList) {
  ::testing::internal::CaptureStderr();
  env_filter f("info,app=nope");
  std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(err,
            "lucid: LUCID_LOG: ignoring directive \"app=nope\": \"nope\" is not a level (expected "
            "off, error, warn, info, debug, trace or 0-5)\n");
}

TEST(EnvFilter, FromEnvironment) {
  ::setenv("LUCID_TEST_LOG", "error", 1);
  auto f = env_filter::from_env("LUCID_TEST_LOG");
  EXPECT_FALSE(on(*f, "app", level::warn));
  ::setenv("LUCID_TEST_LOG", "", 1);
  auto g = env_filter::from_env("LUCID_TEST_LOG");
  EXPECT_TRUE(on(*g, "app", level::info));  // default "info"
  EXPECT_FALSE(on(*g, "app", level::debug));
  ::unsetenv("LUCID_TEST_LOG");
}

struct capture_layer : layer {
  std::vector<std::string> msgs;
  void on_event(const event& e, span_record*) override { msgs.push_back(e.message()); }
};

TEST(EnvFilter, SpanDirectiveEnablesEventsInsideMatchingSpans) {
  auto reg = std::make_shared<registry>();
  auto cap = std::make_shared<capture_layer>();
  auto f = std::make_shared<env_filter>("info,app[process_request{id=42}]=debug");
  reg->with_filter(f).with(cap);
  scoped_default g(reg);
  LUCID_DEBUG("outside");
  {
    auto s = LUCID_INFO_SPAN("process_request", ("id", 42));
    auto e = s.enter();
    LUCID_DEBUG("inside 42");
    auto inner = LUCID_INFO_SPAN("nested");
    auto ie = inner.enter();
    LUCID_DEBUG("nested in 42");
    LUCID_TRACE("too verbose");
  }
  {
    auto s = LUCID_INFO_SPAN("process_request", ("id", 7));
    auto e = s.enter();
    LUCID_DEBUG("inside 7");
  }
  {
    auto s = LUCID_INFO_SPAN("process_request", ("id", empty));
    auto e = s.enter();
    LUCID_DEBUG("before record");
    s.record("id", 42);
    LUCID_DEBUG("after record");
  }
  EXPECT_EQ(cap->msgs, (std::vector<std::string>{"inside 42", "nested in 42", "after record"}));
}

TEST(EnvFilter, ReloadRebuildsInterest) {
  auto reg = std::make_shared<registry>();
  auto cap = std::make_shared<capture_layer>();
  auto f = std::make_shared<env_filter>("warn");
  reg->with_filter(f).with(cap);
  scoped_default g(reg);
  auto log = [] { LUCID_INFO("info line"); };
  log();
  EXPECT_TRUE(f->reload("info,x=nope").size() == 1);
  log();
  EXPECT_EQ(cap->msgs, std::vector<std::string>{"info line"});
}

}  // namespace
}  // namespace lucid::trace
