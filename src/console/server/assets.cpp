// Serving the embedded web console (assets.hpp).
#include "assets.hpp"

#include <fmt/format.h>

#include <string>

#include "lucid/console/wire.hpp"

namespace lucid::console::detail {

namespace {

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

http::response with_page_headers(http::response r, std::string_view content_type) {
  return std::move(r)
      .with_header("content-type", std::string(content_type))
      .with_header("content-security-policy", std::string(k_web_csp))
      .with_header("x-content-type-options", "nosniff")
      .with_header("referrer-policy", "no-referrer")
      .with_header("x-frame-options", "DENY")
      .with_header("cache-control", "no-cache");
}

constexpr std::string_view k_not_built =
    "lucid console server, protocol v1 (docs/console-protocol.md):\n"
    "  /api/v1/snapshot  /api/v1/tasks/{id}  /api/v1/graph  /api/v1/dump  /api/v1/events\n"
    "\n"
    "The web console page was not built into this program: node and npm were not\n"
    "found when lucid was built. To build it: install them (scripts/setup.sh does,\n"
    "or apt-get install nodejs npm), then configure and build again\n"
    "(cmake --preset release && cmake --build --preset release); the page is then\n"
    "served here. lucid-console (the terminal client) works without it.\n";

}  // namespace

std::string_view web_content_type(std::string_view path) noexcept {
  if (ends_with(path, ".html")) return "text/html; charset=utf-8";
  if (ends_with(path, ".js")) return "text/javascript; charset=utf-8";
  if (ends_with(path, ".css")) return "text/css; charset=utf-8";
  if (ends_with(path, ".svg")) return "image/svg+xml";
  if (ends_with(path, ".png")) return "image/png";
  if (ends_with(path, ".json")) return "application/json";
  if (ends_with(path, ".map")) return "application/json";
  return "application/octet-stream";
}

std::optional<http::response> web_response(std::string_view path) {
  const bool page = path == "/" || path == "/index.html";
  if (!page && path.rfind("/assets/", 0) != 0) return std::nullopt;
  const std::string_view want = page ? std::string_view("/index.html") : path;
  for (const web_file& f : web_files()) {
    if (want == f.path) {
      return with_page_headers(
          http::response(200, std::string(reinterpret_cast<const char*>(f.data), f.size)),
          web_content_type(want));
    }
  }
  if (page) {
    return http::response::text(200, std::string(k_not_built))
        .with_header("cache-control", "no-store");
  }
  return http::response(404, wire::encode_error(404, fmt::format("no asset {}", path)))
      .with_header("content-type", "application/json")
      .with_header("cache-control", "no-store");
}

}  // namespace lucid::console::detail
