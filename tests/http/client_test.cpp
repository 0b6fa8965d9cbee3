// lucid::http::client against the lucid server and against hand-written
// responders: GET/POST, keep-alive reuse, chunked and read-until-close
// responses, 1xx skipped, reconnecting after the server closed an idle
// connection, and errors as results.
#include "lucid/http/client.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "http_test_util.hpp"
#include "lucid/net/tcp.hpp"
#include "lucid/rt/runtime.hpp"
#include "lucid/rt/spawn.hpp"
#include "lucid/time/sleep.hpp"

using namespace std::chrono_literals;
using http_test::test_server;
using lucid::result;
using lucid::task;
using lucid::http::client;
using lucid::http::request;
using lucid::http::response;

namespace {

void routes(lucid::http::server& s) {
  s.get("/", [](request&) -> task<response> { co_return response(200, "Hello World!"); });
  s.post("/echo", [](request& r) -> task<response> {
    co_return response(200, std::string(r.header("content-type")) + ":" + std::string(r.body));
  });
  s.get("/agent", [](request& r) -> task<response> {
    co_return response(200, std::string(r.header("x-agent")));
  });
}

TEST(HttpClient, GetPostAndKeepAlive) {
  test_server ts(routes);
  auto rt = lucid::runtime::current_thread();
  client c(ts.addr().to_string());
  EXPECT_FALSE(c.connected());
  auto results = rt.block_on([](client& c) -> task<std::vector<std::string>> {
    std::vector<std::string> out;
    for (int i = 0; i < 3; ++i) {
      auto r = co_await c.get("/");
      out.push_back(r ? std::to_string(r->status) + " " + r->body : r.error().describe());
    }
    auto p = co_await c.post("/echo", "payload", "text/plain");
    out.push_back(p ? p->body : p.error().describe());
    std::vector<lucid::http::header> hs;
    hs.push_back({"X-Agent", "lucid-test"});
    auto a = co_await c.get("/agent", std::move(hs));
    out.push_back(a ? a->body : a.error().describe());
    co_return out;
  }(c));
  EXPECT_EQ(results,
            (std::vector<std::string>{"200 Hello World!", "200 Hello World!", "200 Hello World!",
                                      "text/plain:payload", "lucid-test"}));
  EXPECT_TRUE(c.connected());
  EXPECT_EQ(ts.server().connections(), 1u);  // one connection carried every request
}

TEST(HttpClient, ReconnectsAfterTheServerClosedAnIdleConnection) {
  lucid::http::server_options o;
  o.idle_timeout = 500ms;  // long enough that the new connection is still open when checked
  test_server ts(routes, o);
  auto rt = lucid::runtime::current_thread();
  client c(ts.addr().to_string());
  auto steps =
      rt.block_on([](client& c, lucid::http::server& srv) -> task<std::vector<std::string>> {
        std::vector<std::string> out;
        auto a = co_await c.get("/");
        out.push_back(a ? a->body : a.error().describe());
        out.push_back("open " + std::to_string(srv.connections()));
        // Wait until the server has closed the idle connection (bounded: 60 s).
        for (int i = 0; i < 6000 && srv.connections() != 0; ++i)
          co_await lucid::sleep(10ms);
        out.push_back("open " + std::to_string(srv.connections()));
        // The client still holds its end of the closed connection; the request
        // must go out on a new one.
        auto b = co_await c.get("/");
        out.push_back(b ? b->body : b.error().describe());
        out.push_back("open " + std::to_string(srv.connections()));
        co_return out;
      }(c, ts.server()));
  EXPECT_EQ(steps, (std::vector<std::string>{"Hello World!", "open 1", "open 0", "Hello World!",
                                             "open 1"}));
  EXPECT_TRUE(c.connected());
}

/// Accepts one connection, reads one request head, writes `reply`, and
/// closes if `close_after`.
task<void> canned_server(lucid::net::tcp_listener& l, std::string reply, bool close_after) {
  auto s = co_await l.accept();
  if (!s) co_return;
  std::string got;
  char buf[4096];
  while (got.find("\r\n\r\n") == std::string::npos) {
    auto n = co_await s->read_some(buf, sizeof buf);
    if (!n || *n == 0) co_return;
    got.append(buf, *n);
  }
  (void)co_await s->write_all(reply);
  if (close_after) {
    s->close();
  } else {
    (void)co_await s->read_some(buf, sizeof buf);  // until the client closes
  }
}

result<response> fetch_from(std::string reply, bool close_after, bool head = false) {
  auto rt = lucid::runtime::current_thread();
  auto l = lucid::net::tcp_listener::bind("127.0.0.1:0");
  EXPECT_TRUE(l);
  auto addr = l->local_addr()->to_string();
  return rt.block_on([](lucid::net::tcp_listener& l, std::string addr, std::string reply,
                        bool close_after, bool head) -> task<result<response>> {
    auto srv = lucid::spawn(canned_server(l, std::move(reply), close_after));
    client c(addr);
    result<response> r = lucid::errc::invalid_input;
    if (head) {
      r = co_await c.send("HEAD", "/");
    } else {
      r = co_await c.get("/");
    }
    c.close();
    co_await srv;
    co_return r;
  }(*l, addr, std::move(reply), close_after, head));
}

TEST(HttpClient, ChunkedResponse) {
  auto r = fetch_from(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nWiki\r\n5;x=y\r\npedia\r\n"
      "0\r\nTrailer: t\r\n\r\n",
      false);
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "Wikipedia");
}

TEST(HttpClient, ReadUntilCloseResponse) {
  auto r =
      fetch_from("HTTP/1.0 200 OK\r\nServer: old\r\n\r\nthe body ends with the connection", true);
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_EQ(r->body, "the body ends with the connection");
  EXPECT_EQ(r->header_value("server"), "old");
}

TEST(HttpClient, InterimResponsesAreSkipped) {
  auto r = fetch_from(
      "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok", false);
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_EQ(r->status, 201);
  EXPECT_EQ(r->body, "ok");
}

TEST(HttpClient, HeadHasNoBody) {
  auto r = fetch_from("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", false, true);
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_EQ(r->header_value("content-length"), "100");
  EXPECT_TRUE(r->body.empty());
}

TEST(HttpClient, ErrorsAreResults) {
  auto cut = fetch_from("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this", true);
  ASSERT_FALSE(cut);
  EXPECT_EQ(cut.error(), lucid::errc::eof);
  auto bad = fetch_from("HTTP/1.1 2OO OK\r\n\r\n", true);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error(), lucid::errc::invalid_input);
  auto nothing = fetch_from("", true);
  ASSERT_FALSE(nothing);
  EXPECT_EQ(nothing.error(), lucid::errc::eof);

  // Nobody listens: a system error (ECONNREFUSED), not a crash.
  auto rt = lucid::runtime::current_thread();
  std::string addr;
  {
    auto l = lucid::net::tcp_listener::bind("127.0.0.1:0");
    ASSERT_TRUE(l);
    addr = l->local_addr()->to_string();
  }
  client c(addr);
  auto refused = rt.block_on(c.get("/"));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, lucid::errc::system);
}

}  // namespace
