// JSON text helpers shared by the exporters: string escaping and trace field
// values. Thread safety: pure functions.
#pragma once

#include <fmt/format.h>

#include <cmath>
#include <string_view>

#include "lucid/trace/field.hpp"

namespace lucid::exporters::detail {

/// Appends s as a JSON string literal (quoted, escaped; bytes >= 0x80 copied).
inline void json_string(fmt::memory_buffer& out, std::string_view s) {
  out.push_back('"');
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        out.append(std::string_view("\\\""));
        break;
      case '\\':
        out.append(std::string_view("\\\\"));
        break;
      case '\n':
        out.append(std::string_view("\\n"));
        break;
      case '\r':
        out.append(std::string_view("\\r"));
        break;
      case '\t':
        out.append(std::string_view("\\t"));
        break;
      default:
        if (c < 0x20) {
          fmt::format_to(fmt::appender(out), "\\u{:04x}", c);
        } else {
          out.push_back(ch);
        }
    }
  }
  out.push_back('"');
}

/// Appends a field value as JSON (numbers, booleans, strings; none is null).
inline void json_value(fmt::memory_buffer& out, const trace::value& v) {
  switch (v.kind) {
    case trace::value_kind::none:
      out.append(std::string_view("null"));
      break;
    case trace::value_kind::i64:
      fmt::format_to(fmt::appender(out), "{}", v.i);
      break;
    case trace::value_kind::u64:
      fmt::format_to(fmt::appender(out), "{}", v.u);
      break;
    case trace::value_kind::f64:
      if (std::isfinite(v.f)) {
        fmt::format_to(fmt::appender(out), "{}", v.f);
      } else {
        json_string(out, fmt::format("{}", v.f));
      }
      break;
    case trace::value_kind::boolean:
      out.append(std::string_view(v.b ? "true" : "false"));
      break;
    case trace::value_kind::str:
    case trace::value_kind::display:
      json_string(out, v.str());
      break;
    case trace::value_kind::erased: {
      fmt::memory_buffer tmp;
      v.format_to(fmt::appender(tmp));
      json_string(out, std::string_view(tmp.data(), tmp.size()));
      break;
    }
  }
}

}  // namespace lucid::exporters::detail
