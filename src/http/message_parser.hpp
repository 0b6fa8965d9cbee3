// The machinery behind lucid::http::request_parser and response_parser
// (private to lucid_http; the fuzz target and parser tests see it through
// src/http on their include path):
//   body_decoder    decodes a message body framed by Content-Length, by
//                   chunked transfer-coding (extensions skipped, trailers
//                   checked and dropped) or by the end of the connection;
//   message_parser  scans and validates a head, parses its header fields
//                   and hands the body to a body_decoder; the start line is
//                   the subclass's (request or status line).
// Offsets are relative to the buffer passed in, whose bytes before the
// current position never change between calls (it may move).
//
// Streaming (response_parser::stream_body): the decoder appends every body
// byte it decodes to its own buffer whatever the framing, take() hands them
// out, and the caller then drops the consumed bytes from the front of its
// buffer (take() rebases the offsets); max_body_bytes bounds one take()'s
// worth, not the whole body.
//
// Thread safety: an object is used by one thread at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "lucid/http/parser.hpp"
#include "lucid/http/request.hpp"

namespace lucid::http::detail {

struct off_len {
  std::uint32_t off = 0;
  std::uint32_t len = 0;
};
struct header_offsets {
  off_len name;
  off_len value;
};

/// How a message's body is delimited.
enum class framing : std::uint8_t { none, length, chunked, until_close };

/// Decodes one body, incrementally: start() it where the head ends, then
/// call decode() with the whole buffer each time bytes arrive. Errors: 400
/// for bad chunk framing or trailers, 413 over limits.max_body_bytes, 431
/// for a trailer section over limits.max_head_bytes. Errors are sticky
/// until reset().
class body_decoder {
 public:
  explicit body_decoder(parser_limits limits) noexcept : limits_(limits) {}

  /// Begins a body of framing f at data[begin]; content_length for length.
  void start(framing f, std::size_t begin, std::uint64_t content_length) noexcept;
  /// need_more, complete (consumed: one past the body's last byte) or error.
  parse_result decode(std::string_view data);
  /// At end of stream: completes an until_close body at data.size();
  /// a body still short of its end is an error; otherwise as decode().
  parse_result finish(std::string_view data);
  /// True while a body framed by the end of the connection is being read.
  bool until_close() const noexcept { return state_ == state::until_close; }
  /// The decoded body (valid after complete: a view into data, or into this
  /// decoder for a chunked body).
  std::string_view body(std::string_view data) const noexcept;
  /// Forgets the body (keeps allocated capacity and the streaming mode).
  void reset() noexcept;

  /// Streaming mode (see the file contract); set before start().
  void set_streaming(bool on) noexcept { streaming_ = on; }
  bool streaming() const noexcept { return streaming_; }
  /// Streaming: appends the bytes decoded so far to `out`, and forgets the
  /// first consumed() bytes of the buffer (the caller drops them); answers
  /// that count.
  std::size_t take(std::string& out);

 private:
  enum class state : std::uint8_t {
    idle,
    length,
    chunk_size,
    chunk_data,
    chunk_crlf,
    trailer,
    until_close,
    done,
    error,
  };
  parse_result fail(int status, const char* reason) noexcept;

  parser_limits limits_;
  parse_result error_;
  state state_ = state::idle;
  framing framing_ = framing::none;
  std::size_t begin_ = 0;  // the body's first byte
  std::size_t pos_ = 0;    // next byte to consume
  std::uint64_t content_length_ = 0;
  std::uint64_t chunk_left_ = 0;
  std::uint64_t body_size_ = 0;    // decoded bytes so far (chunked)
  std::size_t trailer_bytes_ = 0;  // trailer section bytes so far
  std::string chunked_body_;       // also every decoded byte when streaming_
  bool streaming_ = false;
};

/// What both parsers share: head scanning, header fields, and the body
/// (through a body_decoder). Offsets are relative to the message's first byte.
class message_parser {
 public:
  explicit message_parser(parser_limits limits) noexcept : limits_(limits), body_(limits) {}
  virtual ~message_parser() = default;

  void reset() noexcept;
  const parser_limits& limits() const noexcept { return limits_; }
  /// True once the head is parsed (the body may still be incomplete), or
  /// after an error.
  bool head_complete() const noexcept { return phase_ != phase::head; }

 protected:
  enum class phase : std::uint8_t { head, body, error };

  /// Scans the head (validating every byte), has the subclass parse it once
  /// it is complete, then decodes the body.
  parse_result run(std::string_view data, bool skip_leading_crlf);
  /// Parses the start line and the fields of data[start_, head_end_); sets
  /// framing_ (and the subclass's own facts). False after fail().
  virtual bool parse_head(std::string_view data) = 0;

  /// Parses the header fields of the head from `pos` (after the start line).
  bool parse_fields(std::string_view data, std::size_t pos);
  /// Records an error answer; returns false.
  bool fail(int status, const char* reason) noexcept;

  /// Fills headers_ with views of `data` from offsets_.
  void materialize_headers(std::string_view data);

  parser_limits limits_;
  parse_result error_;  // the answer once phase_ is phase::error
  phase phase_ = phase::head;
  framing framing_ = framing::none;
  body_decoder body_;
  std::size_t start_ = 0;       // first byte of the message (after skipped empty lines)
  std::size_t scan_ = 0;        // head: next byte to scan
  std::size_t line_start_ = 0;  // head: start of the current line
  std::size_t head_end_ = 0;    // one past the head's final CRLF
  std::uint64_t content_length_ = 0;

  // Header facts gathered by parse_fields.
  bool seen_content_length_ = false;
  bool seen_transfer_encoding_ = false;
  int te_count_ = 0;              // transfer-codings listed, over all fields
  bool te_last_chunked_ = false;  // the last one listed is "chunked"
  bool conn_close_ = false;
  bool conn_keep_alive_ = false;
  bool expect_continue_ = false;
  int host_count_ = 0;
  bool host_invalid_ = false;  ///< a Host value that is not uri-host [":" port]

  std::vector<header_offsets> offsets_;
  std::vector<header_view> headers_;
};

}  // namespace lucid::http::detail
