// Streamed response bodies (response::streamed, body_writer) over loopback:
// pieces read one by one by the lucid client (get_stream), the exact chunked
// wire format, keep-alive after a stream, HTTP/1.0 bodies until close, HEAD
// without the producer, a client that stops reading dropped after
// write_timeout, graceful shutdown while a producer streams, and a producer
// that throws. Every wait is on an event (hang guards of 60 s aside).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

#include "http_test_util.hpp"
#include "lucid/http/client.hpp"
#include "lucid/http/server.hpp"
#include "lucid/rt/runtime.hpp"
#include "lucid/rt/select.hpp"
#include "lucid/sync/notify.hpp"
#include "lucid/time/sleep.hpp"

using namespace std::chrono_literals;
using http_test::get_request;
using http_test::raw_conn;
using http_test::test_server;
using lucid::task;
using lucid::http::body_writer;
using lucid::http::client;
using lucid::http::request;
using lucid::http::response;

namespace {

/// Reads from c's socket until `s` ends with `needle` (or the end of the
/// stream); appends to s. False at the end of the stream.
bool read_until(raw_conn& c, std::string& s, std::string_view needle) {
  while (s.size() < needle.size() || s.compare(s.size() - needle.size(), needle.size(), needle)) {
    char buf[4096];
    ssize_t n = ::recv(c.fd(), buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    s.append(buf, static_cast<std::size_t>(n));
  }
  return true;
}

/// Reads everything until the peer closes; appends to s.
void read_to_eof(raw_conn& c, std::string& s) {
  for (;;) {
    char buf[4096];
    ssize_t n = ::recv(c.fd(), buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    s.append(buf, static_cast<std::size_t>(n));
  }
}

/// The body of a raw response: what follows the head.
std::string after_head(const std::string& raw) {
  const std::size_t e = raw.find("\r\n\r\n");
  return e == std::string::npos ? std::string() : raw.substr(e + 4);
}
std::string head_of(const std::string& raw) {
  const std::size_t e = raw.find("\r\n\r\n");
  return e == std::string::npos ? raw : raw.substr(0, e + 4);
}

/// "/fixed": three writes, one of them empty; "/" answers plainly.
void fixed_routes(lucid::http::server& s, std::atomic<int>* calls) {
  s.get("/", [](request&) -> task<response> { co_return response(200, "Hello World!"); });
  s.get("/fixed", [calls](request&) -> task<response> {
    co_return response::streamed(200, [calls](body_writer& w) -> task<void> {
      calls->fetch_add(1);
      (void)co_await w.write("hello");
      (void)co_await w.write("");  // sends nothing (an empty chunk would end the body)
      (void)co_await w.write("world, 16 bytes!");
    });
  });
}

TEST(HttpStream, ClientReadsPiecesAsTheyAreWritten) {
  lucid::notify seen;  // the client saw the piece written last
  std::atomic<bool> producer_ok{true};
  test_server ts([&](lucid::http::server& s) {
    s.get("/", [](request&) -> task<response> { co_return response(200, "Hello World!"); });
    s.get("/events", [&](request&) -> task<response> {
      co_return response::streamed(200, [&](body_writer& w) -> task<void> {
        for (int i = 1; i <= 3; ++i) {
          auto r = co_await w.write("data: " + std::to_string(i) + "\n\n");
          if (!r) producer_ok = false;
          // The next piece only once this one arrived.
          auto got = co_await lucid::select(seen.notified(), lucid::sleep(60s));
          if (got.index() != 0) producer_ok = false;
        }
      }).with_header("content-type", "text/event-stream");
    });
  });
  auto rt = lucid::runtime::current_thread();
  client c(ts.addr().to_string());
  std::vector<std::string> pieces;
  std::string so_far;
  std::string content_type;
  auto r = rt.block_on([&]() -> task<lucid::result<response>> {
    co_return co_await c.get_stream("/events", [&](const response& head, std::string_view piece) {
      content_type = head.header_value("content-type");
      so_far += piece;
      // A piece may arrive in parts: an event is whole at its blank line.
      if (so_far.size() >= 2 && so_far.ends_with("\n\n")) {
        pieces.push_back(so_far);
        so_far.clear();
        seen.notify_one();
      }
      return true;
    });
  }());
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->header_value("transfer-encoding"), "chunked");
  EXPECT_TRUE(r->body.empty());
  EXPECT_EQ(content_type, "text/event-stream");
  EXPECT_EQ(pieces, (std::vector<std::string>{"data: 1\n\n", "data: 2\n\n", "data: 3\n\n"}));
  EXPECT_TRUE(so_far.empty());
  EXPECT_TRUE(producer_ok);
  // Keep-alive after the stream: the same connection serves the next request.
  EXPECT_TRUE(c.connected());
  auto again =
      rt.block_on([&]() -> task<lucid::result<response>> { co_return co_await c.get("/"); }());
  ASSERT_TRUE(again) << again.error().describe();
  EXPECT_EQ(again->body, "Hello World!");
  EXPECT_EQ(ts.server().connections(), 1u);
}

TEST(HttpStream, ChunkedWireFormatThenKeepAlive) {
  std::atomic<int> calls{0};
  test_server ts([&](lucid::http::server& s) { fixed_routes(s, &calls); });
  raw_conn c(ts.addr());
  ASSERT_TRUE(c.send(get_request("/fixed")));
  std::string raw;
  ASSERT_TRUE(read_until(c, raw, "0\r\n\r\n")) << raw;
  const std::string head = head_of(raw);
  EXPECT_EQ(head.substr(0, 17), "HTTP/1.1 200 OK\r\n") << head;
  EXPECT_NE(head.find("\r\ntransfer-encoding: chunked\r\n"), std::string::npos) << head;
  EXPECT_EQ(head.find("content-length"), std::string::npos) << head;
  EXPECT_EQ(head.find("connection"), std::string::npos) << head;
  EXPECT_EQ(after_head(raw), "5\r\nhello\r\n10\r\nworld, 16 bytes!\r\n0\r\n\r\n");
  // The connection carries on.
  ASSERT_TRUE(c.send(get_request("/")));
  auto r = c.next();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "Hello World!");
  EXPECT_EQ(calls.load(), 1);
}

TEST(HttpStream, PipelinedRequestAfterAStream) {
  std::atomic<int> calls{0};
  test_server ts([&](lucid::http::server& s) { fixed_routes(s, &calls); });
  raw_conn c(ts.addr());
  ASSERT_TRUE(c.send(get_request("/fixed") + get_request("/") + get_request("/fixed")));
  for (const char* want : {"hello"
                           "world, 16 bytes!",
                           "Hello World!",
                           "hello"
                           "world, 16 bytes!"}) {
    auto r = c.next();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->body, want);
  }
}

TEST(HttpStream, Http10GetsTheBodyUntilClose) {
  std::atomic<int> calls{0};
  test_server ts([&](lucid::http::server& s) { fixed_routes(s, &calls); });
  raw_conn c(ts.addr());
  ASSERT_TRUE(c.send("GET /fixed HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
  std::string raw;
  read_to_eof(c, raw);
  const std::string head = head_of(raw);
  EXPECT_EQ(head.find("transfer-encoding"), std::string::npos) << head;
  EXPECT_EQ(head.find("content-length"), std::string::npos) << head;
  EXPECT_NE(head.find("\r\nconnection: close\r\n"), std::string::npos) << head;
  EXPECT_EQ(after_head(raw), "helloworld, 16 bytes!");
}

TEST(HttpStream, HeadDoesNotCallTheProducer) {
  std::atomic<int> calls{0};
  test_server ts([&](lucid::http::server& s) { fixed_routes(s, &calls); });
  raw_conn c(ts.addr());
  ASSERT_TRUE(c.send("HEAD /fixed HTTP/1.1\r\nHost: t\r\n\r\n"));
  auto h = c.next(true);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->status, 200);
  EXPECT_EQ(h->header("transfer-encoding"), "chunked");
  EXPECT_TRUE(h->body.empty());
  // No body bytes followed: the next response parses; only its GET ran the producer.
  ASSERT_TRUE(c.send(get_request("/fixed")));
  auto g = c.next();
  ASSERT_TRUE(g);
  EXPECT_EQ(g->body, "helloworld, 16 bytes!");
  EXPECT_EQ(calls.load(), 1);
}

TEST(HttpStream, AClientThatStopsReadingIsDroppedAfterWriteTimeout) {
  auto failed = std::make_shared<std::promise<lucid::error>>();
  std::atomic<std::size_t> sent{0};
  lucid::http::server_options o;
  o.write_timeout = 200ms;
  test_server ts(
      [&](lucid::http::server& s) {
        s.get("/", [](request&) -> task<response> { co_return response(200, "Hello World!"); });
        s.get("/flood", [&, failed](request&) -> task<response> {
          co_return response::streamed(200, [&, failed](body_writer& w) -> task<void> {
            const std::string piece(64 * 1024, 'x');
            for (;;) {
              auto r = co_await w.write(piece);
              if (!r) {
                failed->set_value(r.error());
                co_return;
              }
              sent += piece.size();
            }
          });
        });
      },
      o);
  // A client with a tiny receive buffer that never reads.
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  int small = 4096;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  ASSERT_EQ(::connect(fd, ts.addr().data(), ts.addr().size()), 0);
  const std::string req = get_request("/flood");
  ASSERT_EQ(::send(fd, req.data(), req.size(), MSG_NOSIGNAL), static_cast<ssize_t>(req.size()));
  auto f = failed->get_future();
  ASSERT_EQ(f.wait_for(60s), std::future_status::ready);
  EXPECT_EQ(f.get().code, lucid::errc::timed_out);
  // The server goes on serving others.
  raw_conn other(ts.addr());
  ASSERT_TRUE(other.send(get_request("/")));
  auto r = other.next();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "Hello World!");
  ::close(fd);
}

TEST(HttpStream, ShutdownEndsAStreamAtItsNextWrite) {
  auto first = std::make_shared<std::promise<void>>();
  auto last = std::make_shared<std::promise<lucid::error>>();
  lucid::notify proceed;
  test_server ts([&](lucid::http::server& s) {
    s.get("/events", [&, first, last](request&) -> task<response> {
      co_return response::streamed(200, [&, first, last](body_writer& w) -> task<void> {
        (void)co_await w.write("data: 1\n\n");
        first->set_value();
        co_await proceed.notified();  // suspended elsewhere while shutdown() begins
        const bool was_stopping = w.stopping();
        auto r = co_await w.write("data: 2\n\n");
        last->set_value(was_stopping ? r.error() : lucid::error{lucid::errc::ok});
      });
    });
  });
  raw_conn c(ts.addr());
  ASSERT_TRUE(c.send(get_request("/events")));
  ASSERT_EQ(first->get_future().wait_for(60s), std::future_status::ready);
  ts.begin_shutdown();
  proceed.notify_one();
  auto f = last->get_future();
  ASSERT_EQ(f.wait_for(60s), std::future_status::ready);
  EXPECT_EQ(f.get().code, lucid::errc::cancelled);
  // The body ends properly and the connection closes.
  std::string raw;
  read_to_eof(c, raw);
  EXPECT_EQ(after_head(raw), "9\r\ndata: 1\n\n\r\n0\r\n\r\n");
  c.close();
  ts.wait_stopped();  // serve() returns
}

TEST(HttpStream, ShutdownStopsAProducerThatSleepsBetweenEvents) {
  auto first = std::make_shared<std::promise<void>>();
  auto last = std::make_shared<std::promise<lucid::error>>();
  test_server ts([&](lucid::http::server& s) {
    s.get("/events", [&, first, last](request&) -> task<response> {
      co_return response::streamed(200, [&, first, last](body_writer& w) -> task<void> {
        for (int i = 0;; ++i) {
          auto r = co_await w.write("data: tick\n\n");
          if (!r) {
            last->set_value(r.error());
            co_return;
          }
          if (i == 0) first->set_value();
          co_await lucid::sleep(20ms);
        }
      });
    });
  });
  raw_conn c(ts.addr());
  ASSERT_TRUE(c.send(get_request("/events")));
  ASSERT_EQ(first->get_future().wait_for(60s), std::future_status::ready);
  ts.begin_shutdown();
  auto f = last->get_future();
  ASSERT_EQ(f.wait_for(60s), std::future_status::ready);
  EXPECT_EQ(f.get().code, lucid::errc::cancelled);
  std::string raw;
  read_to_eof(c, raw);
  EXPECT_TRUE(raw.ends_with("\r\n0\r\n\r\n")) << raw;
  c.close();
  ts.wait_stopped();
  EXPECT_EQ(ts.server().connections(), 0u);
}

TEST(HttpStream, AProducerThatThrowsClosesItsConnectionOnly) {
  test_server ts([](lucid::http::server& s) {
    s.get("/", [](request&) -> task<response> { co_return response(200, "Hello World!"); });
    s.get("/throw", [](request&) -> task<response> {
      co_return response::streamed(200, [](body_writer& w) -> task<void> {
        (void)co_await w.write("partial");
        throw std::runtime_error("producer failed on purpose");
      });
    });
  });
  {
    raw_conn c(ts.addr());
    ASSERT_TRUE(c.send(get_request("/throw")));
    std::string raw;
    read_to_eof(c, raw);
    EXPECT_EQ(head_of(raw).substr(0, 17), "HTTP/1.1 200 OK\r\n");
    EXPECT_EQ(after_head(raw), "7\r\npartial\r\n");  // unterminated: cut short
  }
  // The lucid client sees a body cut short, then carries on with a new connection.
  auto rt = lucid::runtime::current_thread();
  client cl(ts.addr().to_string());
  std::string got;
  auto r = rt.block_on([&]() -> task<lucid::result<response>> {
    co_return co_await cl.get_stream("/throw", [&](const response&, std::string_view piece) {
      got += piece;
      return true;
    });
  }());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, lucid::errc::eof);
  EXPECT_EQ(got, "partial");
  auto ok =
      rt.block_on([&]() -> task<lucid::result<response>> { co_return co_await cl.get("/"); }());
  ASSERT_TRUE(ok) << ok.error().describe();
  EXPECT_EQ(ok->body, "Hello World!");
}

TEST(HttpStream, ClientStopsReadingWhenTheCallbackSaysSo) {
  test_server ts([](lucid::http::server& s) {
    s.get("/", [](request&) -> task<response> { co_return response(200, "Hello World!"); });
    s.get("/endless", [](request&) -> task<response> {
      co_return response::streamed(200, [](body_writer& w) -> task<void> {
        while (co_await w.write("data: x\n\n"))
          co_await lucid::sleep(1ms);
      });
    });
  });
  auto rt = lucid::runtime::current_thread();
  client cl(ts.addr().to_string());
  std::string got;
  auto r = rt.block_on([&]() -> task<lucid::result<response>> {
    co_return co_await cl.get_stream("/endless", [&](const response& head, std::string_view piece) {
      EXPECT_EQ(head.status, 200);
      got += piece;
      return got.size() < 100;
    });
  }());
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_GE(got.size(), 100u);
  EXPECT_FALSE(cl.connected());  // stopping closes the connection
  auto ok =
      rt.block_on([&]() -> task<lucid::result<response>> { co_return co_await cl.get("/"); }());
  ASSERT_TRUE(ok) << ok.error().describe();
  EXPECT_EQ(ok->body, "Hello World!");
}

TEST(HttpStream, ClientStreamsAContentLengthBody) {
  test_server ts([](lucid::http::server& s) {
    s.get("/plain",
          [](request&) -> task<response> { co_return response(200, std::string(100000, 'p')); });
  });
  auto rt = lucid::runtime::current_thread();
  client cl(ts.addr().to_string());
  std::size_t total = 0;
  auto r = rt.block_on([&]() -> task<lucid::result<response>> {
    co_return co_await cl.get_stream("/plain", [&](const response&, std::string_view piece) {
      EXPECT_EQ(piece.find_first_not_of('p'), std::string_view::npos);
      total += piece.size();
      return true;
    });
  }());
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_EQ(r->header_value("content-length"), "100000");
  EXPECT_EQ(total, 100000u);
  EXPECT_TRUE(cl.connected());
}

}  // namespace

TEST(HttpStream, AWriteCancelledWhileTheSocketIsFullCutsTheBodyAndCloses) {
  // A producer that gives up on a write that waits for a full socket (a
  // select with a sleep): the piece it had lent is no longer sent from,
  // later writes fail with cancelled, and the connection closes with the
  // chunked body unterminated.
  auto outcome = std::make_shared<std::promise<lucid::error>>();
  lucid::http::server_options o;
  o.send_buffer = 4096;
  test_server ts(
      [&](lucid::http::server& s) {
        s.get("/flood", [outcome](request&) -> task<response> {
          co_return response::streamed(200, [outcome](body_writer& w) -> task<void> {
            for (int i = 0; i < 100000; ++i) {
              auto piece =
                  std::make_unique<std::string>(64 * 1024, static_cast<char>('a' + i % 26));
              auto r = co_await lucid::select(w.write(*piece), lucid::sleep(50ms));
              piece.reset();              // the lent piece is gone once the write is
              if (r.index() == 1) break;  // cancelled while the socket was full
            }
            auto after = co_await w.write("more");
            outcome->set_value(after ? lucid::error{} : after.error());
          });
        });
      },
      o);
  // A client with a small receive buffer that reads only at the end.
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  int small = 4096;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  timeval tv{60, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ASSERT_EQ(::connect(fd, ts.addr().data(), ts.addr().size()), 0);
  const std::string req = get_request("/flood");
  ASSERT_EQ(::send(fd, req.data(), req.size(), MSG_NOSIGNAL), static_cast<ssize_t>(req.size()));
  auto f = outcome->get_future();
  ASSERT_EQ(f.wait_for(60s), std::future_status::ready);
  EXPECT_EQ(f.get().code, lucid::errc::cancelled);
  std::string got;
  char buf[65536];
  for (;;) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) {
      EXPECT_EQ(n, 0) << "expected the server to close, errno " << errno;
      break;
    }
    got.append(buf, static_cast<std::size_t>(n));
  }
  EXPECT_EQ(got.rfind("HTTP/1.1 200 OK\r\n", 0), 0u);
  EXPECT_NE(got.substr(got.size() - 5), "0\r\n\r\n");  // never terminated
  ::close(fd);
}
