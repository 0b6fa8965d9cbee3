#include "lucid/rt/runtime.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "lucid/rt/spawn.hpp"

namespace {

lucid::task<int> add(int a, int b) {
  co_await lucid::yield_now{};
  co_return a + b;
}

lucid::task<int> spawn_and_join() {
  auto h = lucid::spawn(add(1, 2));
  co_return co_await h;
}

TEST(Runtime, SpawnAndJoinCurrentThread) {
  auto rt = lucid::runtime::current_thread();
  EXPECT_EQ(rt.block_on(spawn_and_join()), 3);
}

TEST(Runtime, SpawnAndJoinMultiThread) {
  auto rt = lucid::runtime::multi_thread(2);
  EXPECT_EQ(rt.block_on(spawn_and_join()), 3);
}

lucid::task<long> many(int n) {
  std::vector<lucid::join_handle<int>> hs;
  for (int i = 0; i < n; ++i) hs.push_back(lucid::spawn(add(i, 1)));
  long s = 0;
  for (auto& h : hs) s += co_await h;
  co_return s;
}

TEST(Runtime, ManyTasksMultiThread) {
  auto rt = lucid::runtime::multi_thread(2);
  EXPECT_EQ(rt.block_on(many(10'000)), 10'000L * 9'999 / 2 + 10'000);
}

}  // namespace
