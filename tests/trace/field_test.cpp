// Tests of lucid/trace/field.hpp.
#include "lucid/trace/field.hpp"

#include <gtest/gtest.h>

#include <string>

#include <fmt/format.h>

namespace {

struct point {
  int x, y;
};

}  // namespace

template <>
struct fmt::formatter<point> : fmt::formatter<std::string_view> {
  auto format(const point& p, fmt::format_context& ctx) const {
    return fmt::format_to(ctx.out(), "({}, {})", p.x, p.y);
  }
};

namespace lucid::trace {
namespace {

std::string text(const value& v) {
  fmt::memory_buffer b;
  v.format_to(fmt::appender(b));
  return fmt::to_string(b);
}

TEST(Field, TypedValues) {
  EXPECT_EQ(to_value(-5).kind, value_kind::i64);
  EXPECT_EQ(to_value(-5).i, -5);
  EXPECT_EQ(to_value(7u).kind, value_kind::u64);
  EXPECT_EQ(to_value(std::uint64_t{1} << 63).u, std::uint64_t{1} << 63);
  EXPECT_EQ(to_value(short{3}).kind, value_kind::i64);
  EXPECT_EQ(to_value(2.5).kind, value_kind::f64);
  EXPECT_EQ(to_value(1.5f).f, 1.5);
  EXPECT_EQ(to_value(true).kind, value_kind::boolean);
  EXPECT_EQ(to_value(empty).kind, value_kind::none);
}

TEST(Field, Strings) {
  std::string s = "hello";
  std::string_view sv = "view";
  const char* cs = "cstr";
  const char* null = nullptr;
  EXPECT_EQ(to_value(s).kind, value_kind::str);
  EXPECT_EQ(to_value(s).str(), "hello");
  EXPECT_EQ(to_value(sv).str(), "view");
  EXPECT_EQ(to_value(cs).str(), "cstr");
  EXPECT_EQ(to_value("lit").str(), "lit");
  EXPECT_EQ(to_value(null).kind, value_kind::display);
  EXPECT_EQ(to_value(null).str(), "(null)");
}

TEST(Field, AnyFormattableType) {
  point p{1, 2};
  value v = to_value(p);
  EXPECT_EQ(v.kind, value_kind::erased);
  EXPECT_EQ(text(v), "(1, 2)");
  EXPECT_EQ(text(to_value('c')), "c");
}

TEST(Field, PlainText) {
  EXPECT_EQ(text(to_value(42)), "42");
  EXPECT_EQ(text(to_value(false)), "false");
  EXPECT_EQ(text(to_value("a b")), "a b");
  field_ref f = field("id", 42);
  EXPECT_STREQ(f.name, "id");
  EXPECT_EQ(f.val.i, 42);
}

TEST(Field, ConstexprConversion) {
  constexpr value v = to_value(3);
  static_assert(v.kind == value_kind::i64);
  constexpr field_ref f = field("n", true);
  static_assert(f.val.b);
  // The constexpr values are the ones a runtime conversion gives.
  value rv = to_value(3);
  EXPECT_EQ(v.kind, rv.kind);
  EXPECT_EQ(v.i, rv.i);
  EXPECT_EQ(text(v), "3");
  EXPECT_STREQ(f.name, "n");
  EXPECT_EQ(text(f.val), "true");
}

}  // namespace
}  // namespace lucid::trace
