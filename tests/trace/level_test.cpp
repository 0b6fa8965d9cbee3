// Tests of lucid/trace/level.hpp.
#include "lucid/trace/level.hpp"

#include <gtest/gtest.h>

namespace lucid::trace {
namespace {

TEST(Level, OrderAndFilters) {
  EXPECT_TRUE(enabled_by(level::error, level_filter::info));
  EXPECT_TRUE(enabled_by(level::info, level_filter::info));
  EXPECT_FALSE(enabled_by(level::debug, level_filter::info));
  EXPECT_FALSE(enabled_by(level::error, level_filter::off));
  EXPECT_TRUE(enabled_by(level::trace, level_filter::trace));
  EXPECT_EQ(most_verbose(level_filter::warn, level_filter::debug), level_filter::debug);
  EXPECT_EQ(to_filter(level::warn), level_filter::warn);
}

TEST(Level, Names) {
  EXPECT_EQ(to_string(level::info), "INFO");
  EXPECT_EQ(to_string(level::error), "ERROR");
  EXPECT_EQ(to_string(level_filter::off), "off");
}

TEST(Level, Parse) {
  EXPECT_EQ(parse_level_filter("info"), level_filter::info);
  EXPECT_EQ(parse_level_filter("DEBUG"), level_filter::debug);
  EXPECT_EQ(parse_level_filter("Off"), level_filter::off);
  EXPECT_EQ(parse_level_filter("5"), level_filter::trace);
  EXPECT_EQ(parse_level_filter("0"), level_filter::off);
  EXPECT_FALSE(parse_level_filter("verbose"));
  EXPECT_FALSE(parse_level_filter(""));
  EXPECT_FALSE(parse_level_filter("6"));
  EXPECT_FALSE(parse_level_filter("information"));
}

}  // namespace
}  // namespace lucid::trace
