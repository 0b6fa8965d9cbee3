// TCP cancelled by time: a timeout cancels a pending read or accept, and the
// stream or listener stays usable. (Moved from tests/net/tcp_test.cpp: they
// exercise time as well, and test_net links only lucid_net.)
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>

#include "lucid/net/tcp.hpp"
#include "lucid/rt/runtime.hpp"
#include "lucid/rt/spawn.hpp"
#include "lucid/time/timeout.hpp"
#include "tcp_test_helpers.hpp"

using namespace std::chrono_literals;

// ---- from tests/net/tcp_test.cpp ----
namespace tcp_cases {
using lucid::errc;
using lucid::result;
using lucid::task;
using lucid::net::tcp_listener;
using lucid::net::tcp_stream;

using tcp_test::listen_v4;

TEST(Tcp, CancelledReadLeavesTheStreamUsable) {
  // A timeout cancels the pending read (its reactor registration goes with
  // its frame); the bytes sent afterwards are read by the next read.
  auto rt = lucid::runtime::current_thread();
  auto l = listen_v4();
  auto addr = *l.local_addr();
  rt.block_on([](tcp_listener& l, lucid::net::socket_address addr) -> task<> {
    auto client = co_await tcp_stream::connect(addr);
    auto server = co_await l.accept();
    char buf[16];
    auto r = co_await lucid::timeout(20ms, server->read_some(buf, sizeof buf));
    EXPECT_FALSE(r);
    EXPECT_EQ(r.error(), errc::timed_out);
    EXPECT_TRUE(co_await client->write_all("late"));
    auto n = co_await server->read_some(buf, sizeof buf);
    EXPECT_TRUE(n && *n == 4);
    EXPECT_EQ(std::string(buf, 4), "late");
  }(l, addr));
}

TEST(Tcp, SocketsMayOutliveTheirRuntime) {
  // The listener registered with a runtime that is destroyed first; closing
  // it afterwards must not touch freed memory (ASan checks this).
  auto l = listen_v4();
  auto addr = *l.local_addr();
  {
    auto rt = lucid::runtime::current_thread();
    auto r = rt.block_on([](tcp_listener& l) -> task<result<result<tcp_stream>>> {
      co_return co_await lucid::timeout(5ms, l.accept());
    }(l));
    EXPECT_FALSE(r);
  }
  EXPECT_TRUE(l.is_open());
  l.close();
  EXPECT_FALSE(l.is_open());
  // The port was really released: it can be bound again.
  auto again = tcp_listener::bind(addr);
  EXPECT_TRUE(again) << again.error().describe();
}

}  // namespace tcp_cases
