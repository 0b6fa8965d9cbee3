// Tests of lucid/base/source_path.hpp: paths under the source root are shown
// relative to it, others unchanged; the result is a suffix of the argument.
#include "lucid/base/source_path.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

namespace {

TEST(SourcePath, RelativeToTheSourceRoot) {
  const std::string root(lucid::source_root());
  ASSERT_FALSE(root.empty());
  EXPECT_EQ(root, LUCID_TEST_SOURCE_DIR);
  EXPECT_EQ(lucid::source_path(root + "/examples/panic_backtrace.cpp"),
            "examples/panic_backtrace.cpp");
  EXPECT_EQ(lucid::source_path(__FILE__), std::string_view("tests/base/source_path_test.cpp"));
}

TEST(SourcePath, OtherPathsAreUnchanged) {
  EXPECT_EQ(lucid::source_path("/usr/include/c++/12/bits/invoke.h"),
            "/usr/include/c++/12/bits/invoke.h");
  EXPECT_EQ(lucid::source_path("relative/file.cpp"), "relative/file.cpp");
  EXPECT_EQ(lucid::source_path(std::string_view()), "");
  // A sibling directory whose name starts with the root's is not under it.
  const std::string sibling = std::string(lucid::source_root()) + "-other/x.cpp";
  EXPECT_EQ(lucid::source_path(sibling), sibling);
  // The root itself is not a file under it.
  EXPECT_EQ(lucid::source_path(lucid::source_root()), lucid::source_root());
}

TEST(SourcePath, CStringsGiveASuffixAndKeepNull) {
  const char* file = __FILE__;
  const char* shown = lucid::source_path(file);
  EXPECT_STREQ(shown, "tests/base/source_path_test.cpp");
  EXPECT_EQ(shown, file + (std::char_traits<char>::length(file) - std::strlen(shown)));
  EXPECT_EQ(lucid::source_path(static_cast<const char*>(nullptr)), nullptr);
}

}  // namespace
