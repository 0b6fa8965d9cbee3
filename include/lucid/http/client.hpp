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
//
// Streaming. get_stream() hands the body to a callback piece by piece as it
// is decoded (chunked, Content-Length or until-close framing; the parser's
// own decoder in its streaming mode), so an endless body such as Server-Sent
// Events is read as it comes and costs only what arrived since the last
// piece. Its result is the head (status and headers, body empty) once the
// body ended or the callback asked to stop; stopping closes the connection.
// max_body_bytes bounds one piece (one read's worth), not the body.
// Thread safety: a client is used by one task at a time.
// Cancellation: cancelling a request closes the connection (the next request
// opens a new one), as its state is unknown.
#pragma once

#include <functional>
#include <string>
#include <string_view>
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
  /// Receives a streamed body: called for each piece of decoded body as it
  /// arrives (never empty), with the response's head (its body empty);
  /// answers false to stop reading.
  using body_sink = std::function<bool(const response& head, std::string_view piece)>;

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
  /// GET `target`, streaming the body to `on_data` (see the file contract);
  /// answers the head once the body ended or on_data answered false.
  ///
  /// Example:
  ///   auto r = co_await c.get_stream("/api/v1/events",
  ///       [](const lucid::http::response& head, std::string_view piece) {
  ///         if (head.status != 200) return false;
  ///         fmt::print("{}", piece);
  ///         return true;
  ///       });
  task<result<response>> get_stream(std::string target, body_sink on_data,
                                    std::vector<header> headers = {});

  /// True while a connection is open.
  bool connected() const noexcept { return stream_.is_open(); }
  /// Closes the connection (the next request opens a new one).
  void close() noexcept;

 private:
  std::string request_wire(std::string_view method_name, std::string_view target,
                           std::string_view body, const std::vector<header>& headers) const;
  task<result<response>> exchange(std::string wire, bool head, const body_sink* sink);

  std::string host_;
  client_options opts_;
  net::tcp_stream stream_;
  std::string in_;  // received, not yet consumed
  response_parser parser_;
};

}  // namespace lucid::http
