#include "lucid/net/tcp.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <string>
#include <vector>

#include "lucid/rt/observer.hpp"
#include "lucid/rt/runtime.hpp"
#include "lucid/rt/spawn.hpp"
#include "lucid/rt/when_all.hpp"
#include "tcp_test_helpers.hpp"

using namespace std::chrono_literals;
using lucid::errc;
using lucid::result;
using lucid::task;
using lucid::net::tcp_listener;
using lucid::net::tcp_stream;

namespace {

using tcp_test::bytes;
using tcp_test::echo_client;
using tcp_test::echo_server;
using tcp_test::listen_v4;

void echo_round_trip(lucid::runtime& rt, tcp_listener& l) {
  auto addr = *l.local_addr();
  auto got = rt.block_on([](tcp_listener& l, lucid::net::socket_address addr) -> task<std::string> {
    auto server = lucid::spawn(echo_server(l, 1));
    std::string r = co_await echo_client(addr, "hello, lucid");
    co_await server;
    co_return r;
  }(l, addr));
  EXPECT_EQ(got, "hello, lucid");
}

TEST(Tcp, EchoOnCurrentThread) {
  auto rt = lucid::runtime::current_thread();
  auto l = listen_v4();
  echo_round_trip(rt, l);
}

TEST(Tcp, EchoOnMultiThread) {
  auto rt = lucid::runtime::multi_thread(2);
  auto l = listen_v4();
  echo_round_trip(rt, l);
}

TEST(Tcp, EchoOverIpv6) {
  auto l = tcp_listener::bind("[::1]:0");
  if (!l) GTEST_SKIP() << "no IPv6 loopback here: " << l.error().describe();
  EXPECT_TRUE(l->local_addr()->is_v6());
  auto rt = lucid::runtime::current_thread();
  echo_round_trip(rt, *l);
}

TEST(Tcp, ConnectByNameResolvesOnTheBlockingPool) {
  auto rt = lucid::runtime::multi_thread(2);
  auto l = listen_v4();
  std::string port = std::to_string(l.local_addr()->port());
  auto got = rt.block_on([](tcp_listener& l, std::string port) -> task<std::string> {
    auto server = lucid::spawn(echo_server(l, 1));
    auto s = co_await tcp_stream::connect("localhost:" + port);
    if (!s) co_return s.error().describe();
    EXPECT_TRUE(co_await s->write_all("ping"));
    std::string got(4, '\0');
    EXPECT_TRUE(co_await s->read_exact(bytes(got)));
    s->close();
    co_await server;
    co_return got;
  }(l, port));
  // localhost may resolve to ::1 first; the listener is v4 only, so connect
  // must fall through to 127.0.0.1.
  EXPECT_EQ(got, "ping");
}

TEST(Tcp, ConnectionRefusedIsASystemError) {
  auto rt = lucid::runtime::current_thread();
  // Bind then close a listener to find a port nobody listens on.
  auto l = listen_v4();
  auto addr = *l.local_addr();
  l.close();
  auto r = rt.block_on(tcp_stream::connect(addr));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::system);
  EXPECT_EQ(r.error().sys, ECONNREFUSED);
}

TEST(Tcp, BindErrorsAreResults) {
  auto a = listen_v4();
  auto b = tcp_listener::bind(a.local_addr()->to_string());
  ASSERT_FALSE(b);
  EXPECT_EQ(b.error().code, errc::system);
  EXPECT_EQ(b.error().sys, EADDRINUSE);
  auto c = tcp_listener::bind("not an address");
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error(), errc::invalid_input);
}

TEST(Tcp, PeerCloseIsEndOfStream) {
  auto rt = lucid::runtime::current_thread();
  auto l = listen_v4();
  auto addr = *l.local_addr();
  rt.block_on([](tcp_listener& l, lucid::net::socket_address addr) -> task<> {
    auto client = co_await tcp_stream::connect(addr);
    EXPECT_TRUE(client);
    auto server = co_await l.accept();
    EXPECT_TRUE(server);
    EXPECT_TRUE(co_await client->write_all("abc"));
    client->close();
    char buf[16];
    auto n = co_await server->read_some(buf, sizeof buf);
    EXPECT_TRUE(n && *n == 3);
    n = co_await server->read_some(buf, sizeof buf);
    EXPECT_TRUE(n && *n == 0) << "expected end of stream";
    std::string more(4, '\0');
    auto r = co_await server->read_exact(bytes(more));
    EXPECT_FALSE(r);
    EXPECT_EQ(r.error(), errc::eof);
  }(l, addr));
}

TEST(Tcp, ShutdownWriteSignalsEndOfStreamButKeepsReading) {
  auto rt = lucid::runtime::current_thread();
  auto l = listen_v4();
  auto addr = *l.local_addr();
  rt.block_on([](tcp_listener& l, lucid::net::socket_address addr) -> task<> {
    auto client = co_await tcp_stream::connect(addr);
    auto server = co_await l.accept();
    EXPECT_TRUE(client->shutdown(lucid::net::shutdown_how::write));
    char buf[8];
    auto n = co_await server->read_some(buf, sizeof buf);
    EXPECT_TRUE(n && *n == 0);
    EXPECT_TRUE(co_await server->write_all("ok"));
    n = co_await client->read_some(buf, sizeof buf);
    EXPECT_TRUE(n && *n == 2);
    EXPECT_EQ(client->peer_addr()->port(), addr.port());
    EXPECT_EQ(server->local_addr()->port(), addr.port());
  }(l, addr));
}

TEST(Tcp, LargeWriteWaitsForWritability) {
  // 8 MiB is far over the socket buffers: write_all must suspend on EAGAIN and
  // resume when the reader drains, on two workers.
  auto rt = lucid::runtime::multi_thread(2);
  auto l = listen_v4();
  auto addr = *l.local_addr();
  const std::size_t size = 8u << 20;
  auto received = rt.block_on([](tcp_listener& l, lucid::net::socket_address addr,
                                 std::size_t size) -> task<std::size_t> {
    auto writer = lucid::spawn([](lucid::net::socket_address addr, std::size_t size) -> task<bool> {
      auto s = co_await tcp_stream::connect(addr);
      if (!s) co_return false;
      std::string data(size, 'x');
      for (std::size_t i = 0; i < size; ++i)
        data[i] = static_cast<char>('a' + i % 26);
      bool ok = static_cast<bool>(co_await s->write_all(data));
      EXPECT_TRUE(s->shutdown());
      co_return ok;
    }(addr, size));
    auto s = co_await l.accept();
    std::size_t total = 0;
    bool in_order = true;
    std::vector<char> buf(65536);
    for (;;) {
      auto n = co_await s->read_some(buf.data(), buf.size());
      if (!n || *n == 0) break;
      for (std::size_t i = 0; i < *n; ++i)
        in_order &= buf[i] == static_cast<char>('a' + (total + i) % 26);
      total += *n;
    }
    EXPECT_TRUE(co_await writer);
    EXPECT_TRUE(in_order);
    co_return total;
  }(l, addr, size));
  EXPECT_EQ(received, size);
}

TEST(Tcp, AbortedAcceptLosesNoConnection) {
  // current_thread: the spawned task runs until it suspends before this task
  // resumes from its yield, so once `reached` is set and the task has not
  // finished, it is parked in accept() (no connection is pending). The abort
  // therefore always hits the suspended accept.
  auto rt = lucid::runtime::current_thread();
  auto l = listen_v4();
  auto addr = *l.local_addr();
  auto got = rt.block_on([](tcp_listener& l, lucid::net::socket_address addr) -> task<std::string> {
    bool reached = false;
    auto first = lucid::spawn([](tcp_listener& l, bool& reached) -> task<bool> {
      reached = true;
      auto s = co_await l.accept();
      co_return static_cast<bool>(s);
    }(l, reached));
    while (!reached)
      co_await lucid::yield_now();
    EXPECT_FALSE(first.is_finished());
    first.abort();
    bool aborted = false;
    try {
      co_await first;
    } catch (const lucid::task_aborted&) {
      aborted = true;
    }
    EXPECT_TRUE(aborted);
    auto server = lucid::spawn(echo_server(l, 1));
    std::string echoed = co_await echo_client(addr, "after abort");
    co_await server;
    co_return echoed;
  }(l, addr));
  EXPECT_EQ(got, "after abort");
}

TEST(Tcp, ManyConcurrentConnections) {
  constexpr int kConns = 200;
  auto rt = lucid::runtime::multi_thread(2);
  auto l = listen_v4();
  auto addr = *l.local_addr();
  int ok = rt.block_on([](tcp_listener& l, lucid::net::socket_address addr) -> task<int> {
    auto server = lucid::spawn(echo_server(l, kConns));
    std::vector<lucid::join_handle<std::string>> clients;
    for (int i = 0; i < kConns; ++i)
      clients.push_back(lucid::spawn(echo_client(addr, "client " + std::to_string(i))));
    int good = 0;
    for (int i = 0; i < kConns; ++i)
      good += (co_await clients[i]) == "client " + std::to_string(i);
    co_await server;
    co_return good;
  }(l, addr));
  EXPECT_EQ(ok, kConns);
}

TEST(Tcp, IoProgressesWhileAnotherTaskKeepsTheWorkerBusy) {
  // current_thread: one task yields in a loop and never lets the worker park;
  // the reactor must still be polled, or the read never completes.
  auto rt = lucid::runtime::current_thread();
  auto l = listen_v4();
  auto addr = *l.local_addr();
  rt.block_on([](tcp_listener& l, lucid::net::socket_address addr) -> task<> {
    std::atomic<bool> done{false};
    auto client = co_await tcp_stream::connect(addr);
    auto server = co_await l.accept();
    auto reader = lucid::spawn([](tcp_stream& s, std::atomic<bool>& done) -> task<> {
      char buf[8];
      auto n = co_await s.read_some(buf, sizeof buf);
      EXPECT_TRUE(n && *n == 2);
      done = true;
    }(*server, done));
    auto spinner = lucid::spawn([](std::atomic<bool>& done) -> task<long> {
      long spins = 0;
      while (!done.load()) {
        co_await lucid::yield_now();
        ++spins;
      }
      co_return spins;
    }(done));
    co_await lucid::yield_now();
    EXPECT_TRUE(co_await client->write_all("hi"));
    co_await reader;
    EXPECT_GT(co_await spinner, 0);
  }(l, addr));
}

TEST(Tcp, ReadinessWaitsAreReportedAsWakerRegistrations) {
  struct recorder : lucid::observer {
    std::atomic<int> registered{0}, released{0};
    void on_waker_registered(lucid::task_id, const void*) noexcept override { ++registered; }
    void on_waker_released(lucid::task_id, const void*) noexcept override { ++released; }
  } rec;
  auto rt = lucid::runtime::current_thread();
  auto l = listen_v4();
  auto addr = *l.local_addr();
  lucid::add_observer(&rec);
  rt.block_on([](tcp_listener& l, lucid::net::socket_address addr) -> task<> {
    auto server = lucid::spawn(echo_server(l, 1));
    co_await echo_client(addr, "x");
    co_await server;
  }(l, addr));
  lucid::remove_observer(&rec);
  EXPECT_GT(rec.registered.load(), 0);
  EXPECT_EQ(rec.registered.load(), rec.released.load());
}

}  // namespace
