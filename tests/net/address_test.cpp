#include "lucid/net/address.hpp"

#include <gtest/gtest.h>

#include "lucid/rt/runtime.hpp"

namespace {

using lucid::errc;
using lucid::net::socket_address;

TEST(SocketAddress, ParsesV4AndV6Literals) {
  auto a = socket_address::parse("127.0.0.1:8080");
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->is_v4());
  EXPECT_EQ(a->port(), 8080);
  EXPECT_EQ(a->ip(), "127.0.0.1");
  EXPECT_EQ(a->to_string(), "127.0.0.1:8080");

  auto b = socket_address::parse("[::1]:443");
  ASSERT_TRUE(b);
  EXPECT_TRUE(b->is_v6());
  EXPECT_EQ(b->port(), 443);
  EXPECT_EQ(b->to_string(), "[::1]:443");
  EXPECT_EQ(socket_address::parse(b->to_string())->to_string(), "[::1]:443");
}

TEST(SocketAddress, RejectsMalformedText) {
  for (const char* bad : {"", "127.0.0.1", "127.0.0.1:", ":80", "127.0.0.1:65536", "127.0.0.1:-1",
                          "127.0.0.1:8o", "::1:80", "[::1]80", "[::1:80", "[]:80", "300.1.1.1:80",
                          "localhost:80", "1.2.3.4:123456"}) {
    auto r = socket_address::parse(bad);
    EXPECT_FALSE(r) << bad;
    if (!r) {
      EXPECT_EQ(r.error(), errc::invalid_input) << bad;
    }
  }
}

TEST(Resolve, LiteralNeedsNoLookup) {
  auto rt = lucid::runtime::current_thread();
  auto r = rt.block_on(lucid::net::resolve("10.1.2.3", 99));
  ASSERT_TRUE(r);
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].to_string(), "10.1.2.3:99");
}

TEST(Resolve, LocalhostOnTheBlockingPool) {
  auto rt = lucid::runtime::multi_thread(2);
  auto r = rt.block_on(lucid::net::resolve("localhost:5000"));
  ASSERT_TRUE(r) << r.error().describe();
  ASSERT_FALSE(r->empty());
  for (const auto& a : *r) {
    EXPECT_EQ(a.port(), 5000);
    EXPECT_TRUE(a.ip() == "127.0.0.1" || a.ip() == "::1") << a.ip();
  }
}

TEST(Resolve, MalformedHostPortIsAnError) {
  auto rt = lucid::runtime::current_thread();
  auto r = rt.block_on(lucid::net::resolve("localhost"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), errc::invalid_input);
}

TEST(Error, DescribeNamesTheSystemError) {
  lucid::error e{errc::system, ECONNREFUSED};
  EXPECT_NE(e.describe().find("Connection refused"), std::string::npos) << e.describe();
}

}  // namespace
