#include "lucid/base/intrusive_list.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace {

struct item : lucid::detail::list_node {
  int v;
  explicit item(int x) : v(x) {}
};

TEST(IntrusiveList, FifoAndUnlink) {
  lucid::detail::intrusive_list<item> l;
  item a{1}, b{2}, c{3};
  l.push_back(&a);
  l.push_back(&b);
  l.push_back(&c);
  EXPECT_EQ(l.size(), 3u);
  l.unlink(&b);
  EXPECT_FALSE(b.linked());
  std::vector<int> seen;
  l.for_each([&](item* i) { seen.push_back(i->v); });
  EXPECT_EQ(seen, (std::vector<int>{1, 3}));
  EXPECT_EQ(l.pop_front(), &a);
  EXPECT_EQ(l.pop_front(), &c);
  EXPECT_TRUE(l.empty());
  EXPECT_EQ(l.pop_front(), nullptr);
}

}  // namespace
