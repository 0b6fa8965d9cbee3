#include "lucid/base/result.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace {

TEST(Result, HoldsValue) {
  lucid::result<std::string> r{std::string("hi")};
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, "hi");
  EXPECT_EQ(r.error(), lucid::errc::ok);
}

TEST(Result, HoldsError) {
  lucid::result<int> r{lucid::errc::timed_out};
  EXPECT_FALSE(r);
  EXPECT_EQ(r.error(), lucid::errc::timed_out);
  EXPECT_EQ(r.error().message(), "operation timed out");
  EXPECT_EQ(r.value_or(7), 7);
}

TEST(Result, MoveOnlyValue) {
  lucid::result<std::unique_ptr<int>> r{std::make_unique<int>(5)};
  std::unique_ptr<int> p = *std::move(r);
  EXPECT_EQ(*p, 5);
}

TEST(Result, Void) {
  lucid::result<void> ok;
  EXPECT_TRUE(ok);
  lucid::result<void> bad{lucid::errc::closed};
  EXPECT_FALSE(bad);
  EXPECT_EQ(bad.error(), lucid::errc::closed);
}

TEST(ResultDeathTest, ValueOfErrorAborts) {
  lucid::result<int> r{lucid::errc::closed};
  EXPECT_DEATH((void)r.value(), "value\\(\\) of an error result");
}

}  // namespace
