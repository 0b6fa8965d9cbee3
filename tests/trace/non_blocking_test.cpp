// Tests of lucid/trace/subscriber/non_blocking.hpp: order, bounded queue and
// drop counting, flush, destruction drains.
#include "lucid/trace/subscriber/non_blocking.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "lucid/trace/subscriber/fmt_layer.hpp"
#include "lucid/trace/subscriber/registry.hpp"
#include "lucid/trace/trace.hpp"

namespace lucid::trace {
namespace {

// A writer that blocks until released (a slow terminal).
struct gated_writer : writer {
  std::mutex mu;
  std::condition_variable cv;
  bool open = false;
  std::string out;
  void write(std::string_view s) override {
    std::unique_lock<std::mutex> l(mu);
    cv.wait(l, [&] { return open; });
    out.append(s);
  }
  void release() {
    {
      std::lock_guard<std::mutex> l(mu);
      open = true;
    }
    cv.notify_all();
  }
  std::string str() {
    std::lock_guard<std::mutex> l(mu);
    return out;
  }
};

TEST(NonBlocking, WritesInOrderAndFlushes) {
  auto inner = std::make_shared<string_writer>();
  non_blocking_writer w(inner, 64);
  std::string want;
  for (int i = 0; i < 50; ++i) {
    std::string line = "line " + std::to_string(i) + "\n";
    w.write(line);
    want += line;
  }
  EXPECT_TRUE(w.flush_for(std::chrono::seconds(5)));
  EXPECT_EQ(inner->str(), want);
  EXPECT_EQ(w.dropped(), 0u);
}

TEST(NonBlocking, FullQueueDropsAndCounts) {
  auto inner = std::make_shared<gated_writer>();
  {
    non_blocking_writer w(inner, 4);
    for (int i = 0; i < 20; ++i)
      w.write("x\n");
    // The thread may have taken a batch before blocking: at most 4 queued + 4 taken.
    EXPECT_GE(w.dropped(), 12u);
    std::uint64_t dropped = w.dropped();
    inner->release();
    EXPECT_TRUE(w.flush_for(std::chrono::seconds(5)));
    std::string s = inner->str();
    EXPECT_EQ(s.size(), (20 - dropped) * 2 + 0u + (s.size() - (20 - dropped) * 2));
    EXPECT_EQ(std::count(s.begin(), s.end(), 'x'), static_cast<long>(20 - dropped));
    w.write("after\n");
    EXPECT_TRUE(w.flush_for(std::chrono::seconds(5)));
    std::string all = inner->str();
    // Every drop is reported, in one notice or, when the writer thread took
    // a batch while the loop was still dropping, in one per batch.
    std::uint64_t reported = 0;
    const std::string notice = "non-blocking writer dropped ";
    for (std::size_t p = all.find(notice); p != std::string::npos; p = all.find(notice, p + 1))
      reported += std::stoull(all.substr(p + notice.size()));
    EXPECT_EQ(reported, dropped) << all;
    EXPECT_EQ(all.substr(all.size() - 6), "after\n");
  }
}

TEST(NonBlocking, DestructorDrains) {
  auto inner = std::make_shared<string_writer>();
  {
    non_blocking_writer w(inner);
    for (int i = 0; i < 100; ++i)
      w.write("y\n");
  }
  EXPECT_EQ(inner->str().size(), 200u);
}

TEST(NonBlocking, FlushTimesOutOnAStuckWriter) {
  auto inner = std::make_shared<gated_writer>();
  non_blocking_writer w(inner, 8);
  w.write("stuck\n");
  EXPECT_FALSE(w.flush_for(std::chrono::milliseconds(20)));
  inner->release();
  EXPECT_TRUE(w.flush_for(std::chrono::seconds(5)));
}

TEST(NonBlocking, TraceFlushReachesTheWriter) {
  auto inner = std::make_shared<string_writer>();
  auto nb = std::make_shared<non_blocking_writer>(inner);
  fmt_options o;
  o.with_timestamp = false;
  auto reg = std::make_shared<registry>();
  reg->with(std::make_shared<fmt_layer>(nb, o));
  scoped_default g(reg);
  for (int i = 0; i < 10; ++i)
    LUCID_INFO("event {}", i);
  lucid::trace::flush();
  std::string s = inner->str();
  EXPECT_NE(s.find("event 9\n"), std::string::npos) << s;
}

TEST(NonBlocking, ConcurrentWriters) {
  auto inner = std::make_shared<string_writer>();
  non_blocking_writer w(inner, 100000);
  std::vector<std::thread> ts;
  for (int t = 0; t < 2; ++t) {
    ts.emplace_back([&w] {
      for (int i = 0; i < 1000; ++i)
        w.write("zz\n");
    });
  }
  for (auto& t : ts)
    t.join();
  EXPECT_TRUE(w.flush_for(std::chrono::seconds(5)));
  EXPECT_EQ(inner->str().size(), 6000u);
}

}  // namespace
}  // namespace lucid::trace
