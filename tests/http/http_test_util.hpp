// Helpers of the lucid::http tests: a server running on its own
// multi-thread runtime (test_server), and a blocking loopback socket that
// writes raw bytes and reads parsed responses (raw_conn).
//
// Contract: test-only. raw_conn reads with a generous receive timeout (60 s)
// so that a broken server fails a test instead of hanging it; no test
// asserts on elapsed time.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "lucid/http/parser.hpp"
#include "lucid/http/response.hpp"
#include "lucid/http/server.hpp"
#include "lucid/rt/runtime.hpp"

namespace http_test {

/// A parsed response as owned strings.
struct reply {
  int status = 0;
  std::vector<lucid::http::header> headers;
  std::string body;
  bool keep_alive = true;
  std::string header(std::string_view name) const {
    for (const auto& h : headers) {
      if (lucid::http::iequals(h.name, name)) return h.value;
    }
    return "<none>";
  }
  bool has(std::string_view name) const { return header(name) != "<none>"; }
};

/// A blocking client socket on loopback.
class raw_conn {
 public:
  explicit raw_conn(const lucid::net::socket_address& a) {
    fd_ = ::socket(a.family(), SOCK_STREAM | SOCK_CLOEXEC, 0);
    timeval tv{60, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    connected_ = ::connect(fd_, a.data(), a.size()) == 0;
  }
  raw_conn(const raw_conn&) = delete;
  raw_conn& operator=(const raw_conn&) = delete;
  ~raw_conn() { close(); }

  bool connected() const { return connected_; }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  /// Writes all of s; false on an error (e.g. the server closed).
  bool send(std::string_view s) {
    while (!s.empty()) {
      ssize_t n = ::send(fd_, s.data(), s.size(), MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      s.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  /// The next response; nullopt at end of stream (or a reset or a timeout)
  /// before a complete one. `head`: the request was HEAD.
  std::optional<reply> next(bool head = false) {
    for (;;) {
      if (!buf_.empty()) {
        lucid::http::response_parser p;
        auto r = p.parse(buf_, head);
        if (r.status == lucid::http::parse_status::error) {
          ADD_FAILURE() << "malformed response: " << r.reason << "\n" << buf_;
          return std::nullopt;
        }
        if (r.status == lucid::http::parse_status::complete) {
          reply out = to_reply(p.get());
          buf_.erase(0, r.consumed);
          return out;
        }
      }
      char tmp[16384];
      ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        eof_ = true;
        return std::nullopt;
      }
      buf_.append(tmp, static_cast<std::size_t>(n));
    }
  }

  /// True when the server closed the connection with nothing more to read.
  bool closed_by_peer() {
    if (!buf_.empty()) return false;
    if (eof_) return true;
    char c;
    ssize_t n;
    do {
      n = ::recv(fd_, &c, 1, 0);
    } while (n < 0 && errno == EINTR);
    if (n > 0) buf_.push_back(c);
    return n == 0 || (n < 0 && errno == ECONNRESET);
  }

  /// Bytes received but not parsed yet.
  const std::string& pending() const { return buf_; }
  int fd() const { return fd_; }

 private:
  static reply to_reply(const lucid::http::response_view& v) {
    reply r;
    r.status = v.status;
    for (const auto& h : v.headers)
      r.headers.push_back({std::string(h.name), std::string(h.value)});
    r.body.assign(v.body);
    r.keep_alive = v.keep_alive;
    return r;
  }

  int fd_ = -1;
  bool connected_ = false;
  bool eof_ = false;
  std::string buf_;
};

/// A server on its own 2-worker runtime, serving from construction until
/// stop() (or destruction).
class test_server {
 public:
  explicit test_server(const std::function<void(lucid::http::server&)>& setup,
                       lucid::http::server_options opts = {}, unsigned workers = 2)
      : rt_(lucid::runtime::multi_thread(workers)), srv_(opts) {
    setup(srv_);
    auto a = srv_.bind("127.0.0.1:0");
    EXPECT_TRUE(a) << a.error().describe();
    addr_ = *a;
    serving_.emplace(rt_.spawn("serve", srv_.serve()));
  }
  test_server(const test_server&) = delete;
  test_server& operator=(const test_server&) = delete;
  ~test_server() { stop(); }

  /// Graceful shutdown; waits for serve() to return.
  void stop() {
    if (!serving_) return;
    srv_.shutdown();
    auto r = rt_.block_on(
        [](lucid::join_handle<lucid::result<void>>& h) -> lucid::task<lucid::result<void>> {
          co_return co_await h;
        }(*serving_));
    EXPECT_TRUE(r) << r.error().describe();
    serving_.reset();
  }
  /// Starts the shutdown without waiting.
  void begin_shutdown() { srv_.shutdown(); }
  /// Waits until serve() returned (after begin_shutdown).
  void wait_stopped() { stop(); }

  const lucid::net::socket_address& addr() const { return addr_; }
  lucid::http::server& server() { return srv_; }
  lucid::runtime& runtime() { return rt_; }

 private:
  lucid::runtime rt_;
  lucid::http::server srv_;
  lucid::net::socket_address addr_;
  std::optional<lucid::join_handle<lucid::result<void>>> serving_;
};

/// "GET <target> HTTP/1.1" with a Host header and `extra` header lines.
inline std::string get_request(std::string_view target, std::string_view extra = {}) {
  std::string r = "GET ";
  r += target;
  r += " HTTP/1.1\r\nHost: test\r\n";
  r += extra;
  r += "\r\n";
  return r;
}

/// Raises the soft RLIMIT_NOFILE to the hard limit; returns the soft limit.
inline rlim_t raise_fd_limit() {
  rlimit rl{};
  ::getrlimit(RLIMIT_NOFILE, &rl);
  if (rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &rl);
    ::getrlimit(RLIMIT_NOFILE, &rl);
  }
  return rl.rlim_cur;
}

}  // namespace http_test
