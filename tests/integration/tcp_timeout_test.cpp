// TCP cancelled by time: a timeout cancels a pending read or accept, and the
// stream or listener stays usable. (Moved from tests/net/tcp_test.cpp: they
// exercise time as well, and test_net links only lucid_net.)
#include <gtest/gtest.h>

#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "lucid/net/tcp.hpp"
#include "lucid/rt/runtime.hpp"
#include "lucid/rt/spawn.hpp"
#include "lucid/time/sleep.hpp"
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

/// Makes `l` register with `rt` (an accept that times out), then destroys rt.
void accept_once_in_a_runtime_that_ends(tcp_listener& l, lucid::runtime rt) {
  auto r = rt.block_on([](tcp_listener& l) -> task<result<result<tcp_stream>>> {
    co_return co_await lucid::timeout(5ms, l.accept());
  }(l));
  EXPECT_FALSE(r) << "nobody connected, yet the accept did not time out";
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
  accept_once_in_a_runtime_that_ends(l, lucid::runtime::current_thread());
  EXPECT_TRUE(l.is_open());
  l.close();
  EXPECT_FALSE(l.is_open());
  // The port was really released: it can be bound again.
  auto again = tcp_listener::bind(addr);
  EXPECT_TRUE(again) << again.error().describe();
}

TEST(Tcp, AListenerKeepsAcceptingInTheNextRuntime) {
  // Registered with a runtime that was then destroyed, the listener used to
  // wait on that runtime's epoll (no longer polled) and accepted nothing;
  // now its next wait registers it with the runtime that waits.
  auto l = listen_v4();
  auto addr = *l.local_addr();
  accept_once_in_a_runtime_that_ends(l, lucid::runtime::multi_thread(2));
  for (int round = 0; round < 2; ++round) {
    auto rt = lucid::runtime::current_thread();
    auto got =
        rt.block_on([](tcp_listener& l, lucid::net::socket_address addr) -> task<std::string> {
          auto server = lucid::spawn(tcp_test::echo_server(l, 1));
          co_await lucid::sleep(20ms);  // the accept finds no connection and waits
          auto echoed = co_await lucid::timeout(10s, tcp_test::echo_client(addr, "next runtime"));
          if (!echoed) co_return "timed out: the listener accepted nothing";
          co_await server;
          co_return *echoed;
        }(l, addr));
    EXPECT_EQ(got, "next runtime") << "round " << round;
  }
}

TEST(Tcp, SeveralAcceptorsMoveToTheNextRuntimeTogether) {
  // Eight tasks on two workers wait to accept on a listener whose runtime is
  // gone: they race to register it with theirs, which must happen once (a
  // second EPOLL_CTL_ADD of the fd would fail), and every one accepts.
  auto l = listen_v4();
  auto addr = *l.local_addr();
  accept_once_in_a_runtime_that_ends(l, lucid::runtime::current_thread());
  constexpr int kAcceptors = 8;
  auto rt = lucid::runtime::multi_thread(2);
  int accepted = rt.block_on([](tcp_listener& l, lucid::net::socket_address addr) -> task<int> {
    std::vector<lucid::join_handle<bool>> acceptors;
    for (int i = 0; i < kAcceptors; ++i) {
      acceptors.push_back(lucid::spawn([](tcp_listener& l) -> task<bool> {
        auto s = co_await lucid::timeout(10s, l.accept());
        co_return s&&* s;
      }(l)));
    }
    co_await lucid::sleep(20ms);  // every acceptor waits
    std::vector<tcp_stream> clients;
    for (int i = 0; i < kAcceptors; ++i) {
      auto c = co_await tcp_stream::connect(addr);
      if (c) clients.push_back(std::move(*c));
    }
    int n = 0;
    for (auto& h : acceptors)
      n += (co_await h) ? 1 : 0;
    co_return n;
  }(l, addr));
  EXPECT_EQ(accepted, kAcceptors);
}

TEST(Tcp, AWaitOnASocketOfADestroyedRuntimeMovesToTheWaitersRuntime) {
  // A task of runtime B waits to read a stream that registered with runtime
  // A; A is destroyed meanwhile. The read must still see the bytes sent
  // afterwards (B's reactor takes the socket over), not wait forever on A's.
  auto l = listen_v4();
  auto addr = *l.local_addr();
  auto a = std::make_unique<lucid::runtime>(lucid::runtime_options::multi_thread(1));
  auto pair =
      a->block_on([](tcp_listener& l,
                     lucid::net::socket_address addr) -> task<std::pair<tcp_stream, tcp_stream>> {
        auto client = co_await tcp_stream::connect(addr);
        auto server = co_await l.accept();
        char buf[8];
        // A wait, so the server side registers with runtime A.
        auto r = co_await lucid::timeout(5ms, server->read_some(buf, sizeof buf));
        EXPECT_FALSE(r);
        co_return std::pair{std::move(*client), std::move(*server)};
      }(l, addr));
  tcp_stream client = std::move(pair.first);
  tcp_stream server = std::move(pair.second);

  auto b = lucid::runtime::multi_thread(1);
  std::atomic<bool> waiting{false};
  auto reader = b.spawn([](tcp_stream& s, std::atomic<bool>& waiting) -> task<std::string> {
    char buf[16];
    waiting.store(true);
    auto n = co_await lucid::timeout(10s, s.read_some(buf, sizeof buf));
    if (!n) co_return "timed out: the read waited on the destroyed runtime's reactor";
    if (!*n) co_return "read failed: " + n->error().describe();
    co_return std::string(buf, **n);
  }(server, waiting));
  while (!waiting.load())
    std::this_thread::sleep_for(1ms);
  std::this_thread::sleep_for(20ms);  // the read is parked on A's registration
  a.reset();
  std::string msg = "after A";
  ASSERT_EQ(::send(client.native_handle(), msg.data(), msg.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(msg.size()));
  EXPECT_EQ(b.block_on([](lucid::join_handle<std::string> h) -> task<std::string> {
    co_return co_await h;
  }(std::move(reader))),
            "after A");
}

}  // namespace tcp_cases
