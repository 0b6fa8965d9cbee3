// lucid::http::request_parser and response_parser: incremental HTTP/1.1
// message parsers (RFC 9112) over a buffer that grows as bytes arrive.
//
// Usage: call parse(data) with every byte of the current message received so
// far, starting at its first byte (the same bytes as before plus new ones; the
// buffer may have moved). It answers need_more, complete (with the number of
// bytes the message took: the next message starts there), or error (with the
// status to answer: 400, 413, 431, 505; and a static reason for logs). After
// complete, call reset() before parsing the next message. The parser
// remembers how far it got, so feeding a message in pieces costs about what
// feeding it at once does, and the answer never depends on how the bytes were
// split (the fuzz target checks this).
//
// What is rejected (400 unless said otherwise): a bare CR or LF, NUL or
// another control character in the request line, a header or a chunk line; a
// request line that is not `token SP target SP HTTP/d.d`; a version other
// than 1.x (505); a header without a colon, with whitespace before the colon
// or a name that is not a token, obs-fold continuation lines; a request line
// and headers over limits::max_head_bytes, or more than limits::max_headers
// fields (431); a missing or repeated Host in HTTP/1.1; Content-Length that is
// not digits, repeated (even with the same value) or a list;
// Content-Length with Transfer-Encoding; a transfer-coding other than exactly
// `chunked` (or any in HTTP/1.0); a chunk size that is not hex or overflows 64
// bits, a chunk line over 4 KiB, chunk data not followed by CRLF, bad trailer
// lines; a body over limits::max_body_bytes (413). Leading empty lines before
// a request line are skipped (RFC 9112 section 2.2). Chunk extensions are
// skipped; trailer fields are checked and dropped.
//
// A response_parser can also stream a body (stream_body(true)): it then keeps
// no body, take_body() hands out what was decoded so far and tells the caller
// how many bytes at the front of its buffer it may drop, so an endless body
// (Server-Sent Events) costs only what arrived since the last take.
//
// Both parsers keep their state behind a pointer (src/http/message_parser.hpp
// holds the machinery); a moved-from parser may only be assigned or destroyed.
//
// Thread safety: a parser is used by one thread at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "lucid/http/request.hpp"

namespace lucid::http {

/// The limits a parser enforces.
struct parser_limits {
  /// Start line and headers, with their CRLFs (431).
  std::size_t max_head_bytes = std::size_t{16} * 1024;
  /// A body's decoded size (413).
  std::size_t max_body_bytes = std::size_t{1024} * 1024;
  /// Header fields (431).
  std::size_t max_headers = 128;
};

/// The state of a parse.
enum class parse_status : std::uint8_t { need_more, complete, error };

/// What parse() answers.
struct parse_result {
  parse_status status = parse_status::need_more;
  std::size_t consumed = 0;  ///< complete: the bytes the message took
  int error_status = 0;      ///< error: the HTTP status to answer (400, 413, 431, 505)
  const char* reason = "";   ///< error: a short static description, for logs
};

namespace detail {
class request_parser_impl;
class response_parser_impl;
}  // namespace detail

/// Incremental request parser (server side); see the file contract.
///
/// Example:
///   lucid::http::request_parser p;
///   auto r = p.parse(buf);  // buf: the bytes received so far
///   if (r.status == lucid::http::parse_status::complete) use(p.get());
class request_parser {
 public:
  explicit request_parser(parser_limits limits = {});
  request_parser(request_parser&&) noexcept;
  request_parser& operator=(request_parser&&) noexcept;
  ~request_parser();

  /// Parses the request that starts at data[0]; see the file contract.
  parse_result parse(std::string_view data);
  /// The request; valid after parse() answered complete (views into the
  /// data passed to that call and into this parser) until reset() or the
  /// data changes. Once head_complete(), its method, version_minor,
  /// keep_alive and expect_continue are set while the body still arrives
  /// (its views are filled in at completion).
  const request& get() const noexcept;
  request& get() noexcept;
  /// Forgets the current request (keeps allocated capacity).
  void reset() noexcept;
  const parser_limits& limits() const noexcept;
  /// True once the head is parsed (the body may still be incomplete).
  bool head_complete() const noexcept;

 private:
  std::unique_ptr<detail::request_parser_impl> impl_;  // never null but when moved from
};

/// A parsed response (client side): views like request's.
struct response_view {
  int status = 0;
  std::string_view reason;
  std::uint8_t version_minor = 1;
  std::span<const header_view> headers;
  std::string_view body;
  bool keep_alive = true;  ///< false when the server closes after this response
};

/// Incremental response parser (client side). A body framed by the end of
/// the connection is complete only when finish() is called at end of stream.
class response_parser {
 public:
  explicit response_parser(parser_limits limits = {.max_head_bytes = std::size_t{64} * 1024,
                                                   .max_body_bytes = std::size_t{64} * 1024 * 1024,
                                                   .max_headers = 256});
  response_parser(response_parser&&) noexcept;
  response_parser& operator=(response_parser&&) noexcept;
  ~response_parser();

  /// Parses the response that starts at data[0]. `head_request`: the request
  /// was HEAD (no body follows whatever the headers say).
  parse_result parse(std::string_view data, bool head_request = false);
  /// At end of stream: completes a read-until-close body (data is everything
  /// received); other states give an error (a truncated message).
  parse_result finish(std::string_view data);
  const response_view& get() const noexcept;
  void reset() noexcept;
  const parser_limits& limits() const noexcept;
  /// True once the head is parsed (the body may still be incomplete).
  bool head_complete() const noexcept;

  /// Streaming mode, kept over reset(); set it before a message's first
  /// parse(). The body is not collected (get().body stays empty; get()'s
  /// head is filled in as soon as head_complete()), take_body() hands it out
  /// as it is decoded, and limits().max_body_bytes bounds what one
  /// take_body() hands out instead of the whole body.
  void stream_body(bool on) noexcept;
  /// Streaming, once head_complete(): appends the body bytes decoded so far
  /// to `out` and answers how many bytes at the front of the data the parser
  /// is done with. The caller must drop them before the next parse() or
  /// finish(), whose data then starts after them (the offsets in a later
  /// parse_result count from there); get()'s views into the dropped bytes
  /// end. Answers 0 before the head is complete.
  ///
  /// Example:
  ///   auto r = p.parse(buf);
  ///   if (p.head_complete()) buf.erase(0, p.take_body(body_so_far));
  std::size_t take_body(std::string& out);

 private:
  std::unique_ptr<detail::response_parser_impl> impl_;  // never null but when moved from
};

}  // namespace lucid::http
