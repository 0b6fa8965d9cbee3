// The web console's files (web/console), embedded in the console library at
// build time (cmake/web_console.cmake generates web_assets_data.cpp) and
// served by the console server at `/` and `/assets/...`.
//
// Thread safety: everything here is immutable data and pure functions.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string_view>

#include "lucid/http/response.hpp"

namespace lucid::console::detail {

/// One embedded file: its URL path (`/index.html`, `/assets/app.js`) and bytes.
struct web_file {
  const char* path;
  const unsigned char* data;
  std::size_t size;
};

/// The embedded files, from the generated source; empty when the page was not
/// built (no node/npm when lucid was built).
std::span<const web_file> web_files() noexcept;

/// The content type for a file name by its extension (`application/octet-stream`
/// for one not known).
std::string_view web_content_type(std::string_view path) noexcept;

/// The Content-Security-Policy of the page: everything from the console server
/// itself, no inline script or style, no request leaves the machine.
inline constexpr std::string_view k_web_csp =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'";

/// The answer for the page's paths (`/`, `/index.html`, `/assets/...`); nullopt
/// for any other path. When the page was not built, `/` answers a text that
/// says so and how to build it; an asset is then 404. These paths need no token:
/// the page has to load to ask for it (the API still requires it).
std::optional<http::response> web_response(std::string_view path);

}  // namespace lucid::console::detail
