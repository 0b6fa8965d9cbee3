// lucid::http::request: a parsed HTTP/1.1 request, as a set of views into the
// connection's receive buffer; lucid::http::method and header lookup.
//
// Contract: a request borrows everything it shows. method_name, target,
// raw_path, query, the header names and values, and (for Content-Length
// bodies) body point into the buffer the request was parsed from; a chunked
// body, and a path that had escapes to decode, point into the parser's own
// storage. They stay valid while the server runs the
// handler for this request (until the handler's task completes), and not
// after: copy what you keep. Header names are compared ASCII
// case-insensitively and looked up without allocating.
// Thread safety: a plain value; no synchronisation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace lucid::http {

/// The request methods lucid knows by name; anything else is `other` (see
/// request::method_name for its text).
enum class method : std::uint8_t {
  get,
  head,
  post,
  put,
  delete_,
  connect,
  options,
  trace,
  patch,
  other
};

/// "GET", "HEAD", ...; "" for method::other.
std::string_view to_string(method m) noexcept;
/// The method named `name` (case-sensitive, as RFC 9110 says), or method::other.
method method_from(std::string_view name) noexcept;

/// True if a and b are equal ignoring ASCII case.
bool iequals(std::string_view a, std::string_view b) noexcept;

/// One header field as received: the name as sent, and the value without
/// leading and trailing whitespace.
struct header_view {
  std::string_view name;
  std::string_view value;
};

/// A received request (views; see the file contract).
///
/// Example:
///   lucid::task<lucid::http::response> hello(lucid::http::request& req) {
///     auto ua = req.header("user-agent");
///     co_return lucid::http::response::text(200, "hi " + std::string(ua) + "\n");
///   }
struct request {
  http::method method = http::method::get;
  std::string_view method_name;  ///< the method as sent ("GET", "PURGE", ...)
  std::string_view target;       ///< the request-target as sent ("/a/b?x=1")
  /// The target's path, percent-decoded ("/a b" for "/a%20b"; "*" for
  /// OPTIONS *). Routes match it. A malformed escape ("%zz", "%4") or an
  /// encoded NUL answers 400 before any handler runs.
  std::string_view path;
  std::string_view raw_path;       ///< the path as sent, not decoded ("/a%20b")
  std::string_view query;          ///< after '?', without it ("x=1"); empty if none
  std::uint8_t version_minor = 1;  ///< HTTP/1.<version_minor>: 0 or 1
  std::span<const header_view> headers;
  std::string_view body;         ///< the whole body (Content-Length or de-chunked)
  bool keep_alive = true;        ///< whether the connection may carry another request
  bool expect_continue = false;  ///< "Expect: 100-continue" was sent
  bool chunked = false;          ///< the body came with Transfer-Encoding: chunked

  /// The first header named `name` (any case), or nullptr.
  const header_view* find_header(std::string_view name) const noexcept;
  /// The value of the first header named `name`, or `fallback` if there is none.
  std::string_view header(std::string_view name, std::string_view fallback = {}) const noexcept {
    const header_view* h = find_header(name);
    return h != nullptr ? h->value : fallback;
  }
};

}  // namespace lucid::http
