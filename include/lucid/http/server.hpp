// lucid::http::server: an HTTP/1.1 server on lucid::net, with keep-alive,
// pipelining, limits, timeouts, graceful shutdown and a tracing span per
// request.
//
//   lucid::http::server srv;
//   srv.get("/", [](lucid::http::request&) -> lucid::task<lucid::http::response> {
//     co_return lucid::http::response(200, "Hello World!");
//   });
//   auto addr = srv.bind("127.0.0.1:8080");
//   co_await srv.serve();                  // until srv.shutdown()
//
// Connections. Each accepted connection runs in its own task ("http.conn").
// Requests on a connection are handled one after another: every request
// already buffered (a pipelined burst) is parsed and handled in order, and
// their responses go out in one write. A handler's request views stay valid
// until its task completes (see request.hpp).
//
// Routing. A route is a method and an exact path (the target without its
// query). A path with routes but none for the method answers 405 with an
// Allow header; HEAD falls back to the GET route (the body is not sent); a
// path without routes goes to the fallback handler (default: 404).
//
// Errors. A malformed request answers 400, a head over max_header_bytes 431,
// a body over max_body_bytes 413, an unsupported version 505, a head not
// complete within header_read_timeout 408 (also a body that stalls for
// body_read_timeout) - each with `connection: close`, after which that
// connection is closed; all other connections carry on. A handler that
// throws answers 500 (the exception is logged as an error event in the
// request's span) and the connection keeps working. A connection waiting for
// its next request longer than idle_timeout is closed without a response; so
// is a response write that makes no progress for write_timeout. Timeouts are
// checked by the serve() task every tick (a few times per the shortest
// timeout, at most once a second), so one fires up to a tick late.
//
// Streamed responses (response::streamed, see response.hpp). The head is
// written before the producer runs; each body_writer::write() is sent at
// once, as one chunk (`transfer-encoding: chunked`) to HTTP/1.1, as raw bytes
// to HTTP/1.0 (the connection then closes to end the body). When the
// producer returns, the final chunk follows and keep-alive goes on as usual.
// A piece whose write takes longer than write_timeout drops the connection
// (the write answers errc::timed_out), so a client that stops reading holds
// at most one piece; the time between writes is not timed. A producer that
// throws is logged like a handler exception and its connection closed (the
// head is gone, so no 500; the chunked body stays unterminated). HEAD, 1xx,
// 204 and 304 get the head only; the producer is not called.
//
// Tracing. Each request runs in an info span `http.request` (target
// "lucid.http") with fields method, path and status (recorded when the
// response is ready). A valid W3C `traceparent` header adds trace_id and
// parent_span_id (see lucid/trace/remote_parent.hpp); an invalid one is
// ignored. With no subscriber, the span costs one load and one compare.
//
// Shutdown. shutdown() (from any thread, also before serve()) makes serve()
// stop accepting and close the listener, close idle keep-alive connections,
// let every request in progress finish and write its response (with
// `connection: close`), and return once no connection is left. A streamed
// response in progress ends at its producer's next write, which fails with
// errc::cancelled: the body is terminated (a final chunk) and the connection
// closed. A producer that never writes again holds serve() until it returns.
//
// Thread safety: configure (route, fallback, bind) before serve(); serve()
// runs once at a time; shutdown() and connections() may be called from any
// thread. Handlers run concurrently on the runtime's workers.
// Cancellation: cancelling serve() closes the listener and stops the
// timeout checks; connections already accepted keep running until they end.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <stop_token>
#include <string>
#include <string_view>

#include "lucid/base/result.hpp"
#include "lucid/http/request.hpp"
#include "lucid/http/response.hpp"
#include "lucid/net/address.hpp"
#include "lucid/net/tcp.hpp"
#include "lucid/rt/task.hpp"

namespace lucid::http {

/// A request handler: a task that produces the response for a request. It
/// may throw (the client gets 500). The request's views are valid until the
/// task completes.
using handler = std::function<task<response>(request&)>;

/// Limits and timeouts of a server.
struct server_options {
  std::size_t max_header_bytes = std::size_t{16} * 1024;  ///< request line + headers (431)
  std::size_t max_body_bytes = std::size_t{1024} * 1024;  ///< decoded body (413)
  std::size_t max_headers = 128;                          ///< header fields (431)
  /// From a request's first byte (or a new connection) until its head is
  /// complete (408 and close; a new connection that sends nothing is closed
  /// silently).
  std::chrono::nanoseconds header_read_timeout = std::chrono::seconds(30);
  /// The longest a request body may stall between two reads (408 and close).
  std::chrono::nanoseconds body_read_timeout = std::chrono::seconds(30);
  /// How long a keep-alive connection may wait for its next request (closed
  /// without a response).
  std::chrono::nanoseconds idle_timeout = std::chrono::seconds(60);
  /// The longest one write of responses, or of one piece of a streamed
  /// body, may take (the connection is closed).
  std::chrono::nanoseconds write_timeout = std::chrono::seconds(60);
  /// TCP_NODELAY on accepted connections.
  bool nodelay = true;
  /// SO_SNDBUF of accepted connections in bytes (the kernel doubles it); 0
  /// keeps the kernel's autotuning (up to net.ipv4.tcp_wmem's maximum, 4 MiB
  /// by default). A bound on what one client that stops reading can hold.
  std::size_t send_buffer = 0;
};

namespace detail {
struct server_state;
}  // namespace detail

/// An HTTP/1.1 server; see the file contract.
class server {
 public:
  explicit server(server_options options = {});
  ~server();
  server(server&&) noexcept;
  server& operator=(server&&) noexcept;
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  /// Routes requests with method `m` and path `path` (exact) to `h`.
  /// A second route for the same method and path replaces the first.
  server& route(method m, std::string path, handler h);
  server& get(std::string path, handler h) {
    return route(method::get, std::move(path), std::move(h));
  }
  server& post(std::string path, handler h) {
    return route(method::post, std::move(path), std::move(h));
  }
  /// Handles requests whose path has no route (default: a 404 response).
  server& fallback(handler h);

  /// Binds and listens on "ip:port" or "[v6]:port" (port 0 picks a free one);
  /// returns the address it listens on.
  result<net::socket_address> bind(std::string_view address);
  /// Serves on an already bound listener.
  void listen(net::tcp_listener listener);
  /// The address the server listens on.
  result<net::socket_address> local_addr() const;

  /// Accepts and serves connections until shutdown() and the drain that
  /// follows are done. errc::invalid_input if nothing is bound.
  task<result<void>> serve();
  /// serve(), also shut down when `stop` is requested.
  task<result<void>> serve(std::stop_token stop);
  /// Starts the graceful shutdown (see the file contract). Any thread;
  /// idempotent; a later serve() returns at once.
  void shutdown() noexcept;

  /// Connections open now.
  std::size_t connections() const noexcept;
  const server_options& options() const noexcept;

 private:
  std::shared_ptr<detail::server_state> st_;
};

}  // namespace lucid::http
