// Helpers shared by the TCP tests (tests/net and tests/integration): a
// loopback listener, an echo server and client, and a string as bytes.
#pragma once

#include <gtest/gtest.h>

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lucid/net/tcp.hpp"
#include "lucid/rt/spawn.hpp"

namespace tcp_test {

inline std::span<std::byte> bytes(std::string& s) {
  return {reinterpret_cast<std::byte*>(s.data()), s.size()};
}

/// A listener on 127.0.0.1 at a port the system picks.
inline lucid::net::tcp_listener listen_v4() {
  auto l = lucid::net::tcp_listener::bind("127.0.0.1:0");
  EXPECT_TRUE(l) << l.error().describe();
  return std::move(*l);
}

/// Echoes everything on one connection until the peer closes.
inline lucid::task<> echo_conn(lucid::net::tcp_stream s) {
  char buf[4096];
  for (;;) {
    auto n = co_await s.read_some(buf, sizeof buf);
    if (!n || *n == 0) co_return;
    auto w = co_await s.write_all(std::string_view(buf, *n));
    if (!w) co_return;
  }
}

/// Accepts `connections` connections and echoes each until its peer closes.
inline lucid::task<> echo_server(lucid::net::tcp_listener& l, int connections) {
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
inline lucid::task<std::string> echo_client(lucid::net::socket_address addr, std::string msg) {
  auto s = co_await lucid::net::tcp_stream::connect(addr);
  if (!s) co_return "connect: " + s.error().describe();
  auto nd = s->set_nodelay(true);
  if (!nd) co_return "nodelay failed";
  if (!co_await s->write_all(msg)) co_return "write failed";
  std::string got(msg.size(), '\0');
  auto r = co_await s->read_exact(bytes(got));
  if (!r) co_return "read: " + r.error().describe();
  co_return got;
}

}  // namespace tcp_test
