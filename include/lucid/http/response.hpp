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
// Thread safety: a plain value; no synchronisation.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lucid::http {

/// One owned header field.
struct header {
  std::string name;
  std::string value;
};

/// The standard reason phrase of a status code ("OK", "Not Found"), or
/// "Unknown" for codes it does not know.
std::string_view reason_phrase(int status) noexcept;

/// A response: status, headers, body.
///
/// Example:
///   co_return lucid::http::response::text(404, "no such user\n");
///   co_return lucid::http::response(201).with_header("location", "/users/7");
struct response {
  int status = 200;
  std::vector<header> headers;
  std::string body;

  response() = default;
  explicit response(int status_code, std::string body_text = {})
      : status(status_code), body(std::move(body_text)) {}

  /// A text/plain (UTF-8) response.
  static response text(int status_code, std::string body_text);

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
