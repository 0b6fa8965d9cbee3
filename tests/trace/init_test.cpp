// Tests of lucid/trace/init.hpp.
#define LUCID_TRACE_TARGET "tests.init"
#include "lucid/trace/init.hpp"

#include <gtest/gtest.h>

#include <cstdlib>

#include "lucid/trace/trace.hpp"

namespace lucid::trace {
namespace {

TEST(Init, InstallsTheFilterAndFormat) {
  ::setenv("LUCID_LOG", "warn,tests.init=debug,oops=loud", 1);
  ::setenv("LUCID_LOG_FORMAT", "json", 1);
  auto out = std::make_shared<string_writer>();
  init_options o;
  o.output = out;
  ::testing::internal::CaptureStderr();
  auto reg = init(o);
  std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("ignoring directive \"oops=loud\""), std::string::npos) << err;
  EXPECT_EQ(global_default(), reg.get());
  LUCID_DEBUG("shown");
  LUCID_TRACE("hidden");
  lucid::trace::flush();
  std::string s = out->str();
  EXPECT_NE(s.find("\"message\":\"shown\""), std::string::npos) << s;
  EXPECT_EQ(s.find("hidden"), std::string::npos) << s;
  ::unsetenv("LUCID_LOG");
  ::unsetenv("LUCID_LOG_FORMAT");
}

TEST(Init, DefaultIsInfoAndUnknownFormatWarns) {
  ::unsetenv("LUCID_LOG");
  ::setenv("LUCID_LOG_FORMAT", "xml", 1);
  auto out = std::make_shared<string_writer>();
  init_options o;
  o.output = out;
  o.non_blocking = false;
  ::testing::internal::CaptureStderr();
  init(o);
  std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("LUCID_LOG_FORMAT"), std::string::npos);
  LUCID_INFO("info shown");
  LUCID_DEBUG("debug hidden");
  std::string s = out->str();
  EXPECT_NE(s.find(" INFO tests.init: info shown\n"), std::string::npos) << s;
  EXPECT_EQ(s.find("debug hidden"), std::string::npos);
  ::unsetenv("LUCID_LOG_FORMAT");
}

}  // namespace
}  // namespace lucid::trace
