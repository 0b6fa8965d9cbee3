// JSON text written straight into a string (see json_text.hpp).
#include "json_text.hpp"

#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>

#include "lucid/base/utf8.hpp"

namespace lucid::console::wire::detail {

void append_json_string(std::string& out, std::string_view s) {
  static constexpr char k_hex[] = "0123456789abcdef";
  out += '"';
  std::size_t i = 0;
  while (i < s.size()) {
    // The run of bytes that need nothing.
    std::size_t j = i;
    while (j < s.size()) {
      const auto c = static_cast<unsigned char>(s[j]);
      if (c < 0x20 || c == '"' || c == '\\' || c >= 0x80) break;
      ++j;
    }
    out.append(s.data() + i, j - i);
    i = j;
    if (i == s.size()) break;
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      if (std::size_t n = lucid::detail::utf8_sequence(s, i)) {
        out.append(s.data() + i, n);
        i += n;
      } else {
        out += lucid::detail::kReplacementCharacter;  // a byte that starts no valid sequence
        ++i;
      }
      continue;
    }
    switch (c) {
      case '\b':
        out += "\\b";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\r':
        out += "\\r";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      default:
        out += "\\u00";
        out += k_hex[c >> 4];
        out += k_hex[c & 0xF];
    }
    ++i;
  }
  out += '"';
}

json_text& json_text::value(std::string_view s) {
  comma();
  append_json_string(out_, s);
  return *this;
}

namespace {
template <class Int>
void append_integer(std::string& out, Int v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}
}  // namespace

json_text& json_text::value(std::uint64_t v) {
  comma();
  append_integer(out_, v);
  return *this;
}

json_text& json_text::value(std::int64_t v) {
  comma();
  append_integer(out_, v);
  return *this;
}

json_text& json_text::value(double v) {
  comma();
  if (!std::isfinite(v)) {
    out_ += "null";
    return *this;
  }
  // nlohmann's serializer writes doubles with this function: the same text.
  char buf[64];
  char* end = nlohmann::detail::to_chars(buf, buf + sizeof buf, v);
  out_.append(buf, end);
  return *this;
}

}  // namespace lucid::console::wire::detail
