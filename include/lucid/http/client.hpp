// lucid::http::client: a small HTTP/1.1 client for one host (tests, examples,
// tools): GET and POST, Content-Length, chunked and read-until-close
// responses, one keep-alive connection reused across requests.
//
//   lucid::http::client c("127.0.0.1:8080");
//   auto r = co_await c.get("/hello");
//   if (r) fmt::print("{} {}\n", r->status, r->body);
//
// Contract: requests are sent one at a time on one connection, opened on the
// first request and kept while the server keeps it alive. If a reused
// connection turns out to be closed before any byte of the response came
// back (the server's idle timeout), the request is sent once more on a new
// connection. Errors are results: errc::system/errc::not_found from connect
// and I/O, errc::eof when the server closed before a complete response,
// errc::invalid_input for a malformed response, errc::too_large for one over
// the limits. 1xx responses are skipped. The client adds `host` and, when
// there is a body (or the method is POST, PUT or PATCH), `content-length`.
// Thread safety: a client is used by one task at a time.
// Cancellation: cancelling a request closes the connection (the next request
// opens a new one), as its state is unknown.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "lucid/base/result.hpp"
#include "lucid/http/parser.hpp"
#include "lucid/http/request.hpp"
#include "lucid/http/response.hpp"
#include "lucid/net/tcp.hpp"
#include "lucid/rt/task.hpp"

namespace lucid::http {

/// Options of a client.
struct client_options {
  /// Limits on responses (the body limit applies to the decoded body).
  parser_limits limits{.max_head_bytes = std::size_t{64} * 1024,
                       .max_body_bytes = std::size_t{64} * 1024 * 1024,
                       .max_headers = 256};
  bool nodelay = true;
};

/// An HTTP/1.1 client for one "host:port"; see the file contract.
class client {
 public:
  explicit client(std::string host_and_port, client_options options = {});
  client(client&&) noexcept;
  client& operator=(client&&) noexcept;
  ~client();

  /// GET `target` ("/path?query").
  task<result<response>> get(std::string target, std::vector<header> headers = {});
  /// POST `body` to `target`.
  task<result<response>> post(std::string target, std::string body,
                              std::string content_type = "application/octet-stream",
                              std::vector<header> headers = {});
  /// Any method; `method_name` such as "PUT" or "DELETE".
  task<result<response>> send(std::string method_name, std::string target, std::string body = {},
                              std::vector<header> headers = {});

  /// True while a connection is open.
  bool connected() const noexcept { return stream_.is_open(); }
  /// Closes the connection (the next request opens a new one).
  void close() noexcept;

 private:
  task<result<response>> exchange(std::string wire, bool head);

  std::string host_;
  client_options opts_;
  net::tcp_stream stream_;
  std::string in_;  // received, not yet consumed
  response_parser parser_;
};

}  // namespace lucid::http
