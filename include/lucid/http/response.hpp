// lucid::http::response: what a handler returns and what the client gets back.
//
// Contract: a response owns its status, headers and body. The server adds
// `content-length` (from the body) and `date` itself, and `connection` when
// the connection is to close or is an HTTP/1.0 keep-alive; a handler's own
// content-length or transfer-encoding headers are dropped (the server frames
// the body), a handler's own date header replaces the server's, and a
// handler's `connection: close` closes the connection after this response.
// Responses to HEAD, 1xx, 204 and 304 are sent without a body. In client
// results, headers are as received and body is de-chunked.
//
// Streamed bodies. A response with `stream` set has no `body`: after the head
// is sent, the server calls the producer with a body_writer, and each
// write() goes out at once - as one chunk of `transfer-encoding: chunked` to
// an HTTP/1.1 client (the final empty chunk follows when the producer
// returns), as raw bytes until the connection closes to an HTTP/1.0 one. The
// producer is not called for HEAD, 1xx, 204 and 304. See server.hpp for the
// timeouts and shutdown, and body_writer for what a write answers.
// Thread safety: a plain value; no synchronisation. A body_writer is used by
// its producer's task only.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lucid/base/result.hpp"
#include "lucid/rt/task.hpp"

namespace lucid::http {

/// One owned header field.
struct header {
  std::string name;
  std::string value;
};

/// The standard reason phrase of a status code ("OK", "Not Found"), or
/// "Unknown" for codes it does not know.
std::string_view reason_phrase(int status) noexcept;

/// Where a streamed body goes: handed by the server to a body_producer.
///
/// write() sends one piece of the body now (one chunk; an empty piece sends
/// nothing) and completes once the kernel took all of it. It fails - and the
/// producer should then return - when the peer is gone (errc::system), when
/// the piece was not all written within server_options::write_timeout
/// (errc::timed_out; the connection is dropped), or once the server's
/// shutdown began (errc::cancelled; checked before each write, so a producer
/// that sleeps between writes learns of it at its next one). After a failed
/// write every later write fails too.
/// Thread safety: used by the producer's task only.
/// Cancellation: a cancelled write may have sent part of a chunk; the
/// connection is closed.
class body_writer {
 public:
  /// Sends `piece` now; see the class comment.
  virtual task<result<void>> write(std::string_view piece) = 0;
  /// True once the server's shutdown began (writes fail from then on).
  virtual bool stopping() const noexcept = 0;

 protected:
  body_writer() = default;
  body_writer(const body_writer&) = default;
  body_writer& operator=(const body_writer&) = default;
  ~body_writer() = default;
};

/// Writes a streamed body; see body_writer. It may throw: the connection is
/// then closed (the head is already sent) and the exception logged.
using body_producer = std::function<task<void>(body_writer&)>;

/// A response: status, headers, body (or a body producer).
///
/// Example:
///   co_return lucid::http::response::text(404, "no such user\n");
///   co_return lucid::http::response(201).with_header("location", "/users/7");
///   co_return lucid::http::response::streamed(200, [](lucid::http::body_writer& w)
///       -> lucid::task<void> {
///     while (co_await w.write("data: tick\n\n")) co_await lucid::sleep(1s);
///   }).with_header("content-type", "text/event-stream");
struct response {
  int status = 200;
  std::vector<header> headers;
  std::string body;
  /// When set, `body` is ignored and the producer writes the body (see the
  /// file contract).
  body_producer stream;

  response() = default;
  explicit response(int status_code, std::string body_text = {})
      : status(status_code), body(std::move(body_text)) {}

  /// A text/plain (UTF-8) response.
  static response text(int status_code, std::string body_text);
  /// A response whose body `producer` writes as it goes (see the file
  /// contract).
  static response streamed(int status_code, body_producer producer);

  /// Appends a header field; returns *this for chaining.
  response& with_header(std::string name, std::string value) & {
    headers.push_back({std::move(name), std::move(value)});
    return *this;
  }
  response&& with_header(std::string name, std::string value) && {
    headers.push_back({std::move(name), std::move(value)});
    return std::move(*this);
  }

  /// The first header named `name` (any case), or nullptr.
  const header* find_header(std::string_view name) const noexcept;
  /// The value of the first header named `name`, or `fallback`.
  std::string_view header_value(std::string_view name,
                                std::string_view fallback = {}) const noexcept {
    const header* h = find_header(name);
    return h != nullptr ? std::string_view(h->value) : fallback;
  }
};

}  // namespace lucid::http
