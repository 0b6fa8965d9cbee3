// TCP cancelled by time: a timeout cancels a pending read or accept, and the
// stream or listener stays usable. (Moved from tests/net/tcp_test.cpp: they
// exercise time as well, and test_net links only lucid_net.)
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <vector>

#include "lucid/net/tcp.hpp"
#include "lucid/rt/runtime.hpp"
#include "lucid/rt/spawn.hpp"
#include "lucid/time/timeout.hpp"

using namespace std::chrono_literals;

// ---- from tests/net/tcp_test.cpp ----
namespace tcp_cases {
using lucid::errc;
using lucid::result;
using lucid::task;
using lucid::net::tcp_listener;
using lucid::net::tcp_stream;

std::span<std::byte> bytes(std::string& s) {
  return {reinterpret_cast<std::byte*>(s.data()), s.size()};
}

tcp_listener listen_v4() {
  auto l = tcp_listener::bind("127.0.0.1:0");
  EXPECT_TRUE(l) << l.error().describe();
  return std::move(*l);
}

/// Echoes everything on one connection until the peer closes.
task<> echo_conn(tcp_stream s) {
  char buf[4096];
  for (;;) {
    auto n = co_await s.read_some(buf, sizeof buf);
    if (!n || *n == 0) co_return;
    auto w = co_await s.write_all(std::string_view(buf, *n));
    if (!w) co_return;
  }
}

task<> echo_server(tcp_listener& l, int connections) {
  std::vector<lucid::join_handle<void>> conns;
  for (int i = 0; i < connections; ++i) {
    auto s = co_await l.accept();
    if (!s) co_return;
    conns.push_back(lucid::spawn("echo", echo_conn(std::move(*s))));
  }
  for (auto& c : conns)
    co_await c;
}

/// Connects, sends `msg`, reads the echo back.
task<std::string> echo_client(lucid::net::socket_address addr, std::string msg) {
  auto s = co_await tcp_stream::connect(addr);
  if (!s) co_return "connect: " + s.error().describe();
  auto nd = s->set_nodelay(true);
  if (!nd) co_return "nodelay failed";
  if (!co_await s->write_all(msg)) co_return "write failed";
  std::string got(msg.size(), '\0');
  auto r = co_await s->read_exact(bytes(got));
  if (!r) co_return "read: " + r.error().describe();
  co_return got;
}

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
