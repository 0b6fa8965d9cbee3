// lucid::http::request helpers: method names, header lookup (see
// include/lucid/http/request.hpp). Standard library only (the fuzz target
// compiles this file with the parser).
#include "lucid/http/request.hpp"

#include <array>

namespace lucid::http {

namespace {

constexpr std::array<std::string_view, 9> k_methods = {
    "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"};

inline char lower(char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + ('a' - 'A')) : c;
}

}  // namespace

std::string_view to_string(method m) noexcept {
  const auto i = static_cast<std::size_t>(m);
  return i < k_methods.size() ? k_methods[i] : std::string_view();
}

method method_from(std::string_view name) noexcept {
  if (name == "GET") return method::get;  // the common case first
  for (std::size_t i = 1; i < k_methods.size(); ++i) {
    if (name == k_methods[i]) return static_cast<method>(i);
  }
  return method::other;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

const header_view* request::find_header(std::string_view name) const noexcept {
  for (const header_view& h : headers) {
    if (iequals(h.name, name)) return &h;
  }
  return nullptr;
}

}  // namespace lucid::http
