// Tests of lucid/trace/subscriber/writer.hpp.
#include "lucid/trace/subscriber/writer.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <string>
#include <thread>
#include <vector>

namespace lucid::trace {
namespace {

TEST(Writer, StringWriterKeepsLinesWhole) {
  string_writer w;
  std::vector<std::thread> ts;
  for (int t = 0; t < 2; ++t) {
    ts.emplace_back([&w, t] {
      for (int i = 0; i < 200; ++i)
        w.write(t == 0 ? "aaaa\n" : "bbbb\n");
    });
  }
  for (auto& t : ts)
    t.join();
  std::string s = w.take();
  EXPECT_EQ(s.size(), 2000u);
  for (std::size_t i = 0; i < s.size(); i += 5) {
    EXPECT_TRUE(s.compare(i, 5, "aaaa\n") == 0 || s.compare(i, 5, "bbbb\n") == 0);
  }
  EXPECT_TRUE(w.take().empty());
}

TEST(Writer, FdWriterWritesToAPipe) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  fd_writer w(fds[1]);
  EXPECT_FALSE(w.is_terminal());
  w.write("hello\n");
  char buf[16] = {};
  EXPECT_EQ(::read(fds[0], buf, sizeof buf), 6);
  EXPECT_STREQ(buf, "hello\n");
  ::close(fds[0]);
  ::close(fds[1]);
}

TEST(Writer, DiscardWriter) {
  discard_writer w;
  w.write("gone\n");
  w.flush();
  EXPECT_FALSE(w.is_terminal());
}

}  // namespace
}  // namespace lucid::trace
