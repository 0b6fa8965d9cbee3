// A minimal protobuf wire-format writer, enough for the OTLP trace messages
// (opentelemetry/proto/trace/v1/trace.proto): varints, fixed64, fixed32,
// doubles and length-delimited fields (strings, bytes, nested messages).
// Nested messages are written into their own buffer and then appended with
// their length. Thread safety: a plain value.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace lucid::exporters::detail {

class pb_writer {
 public:
  std::string& bytes() noexcept { return out_; }
  const std::string& bytes() const noexcept { return out_; }

  void varint_field(unsigned field, std::uint64_t v) {
    tag(field, 0);
    varint(v);
  }
  void int64_field(unsigned field, std::int64_t v) {
    varint_field(field, static_cast<std::uint64_t>(v));
  }
  void bool_field(unsigned field, bool v) { varint_field(field, v ? 1 : 0); }
  void fixed64_field(unsigned field, std::uint64_t v) {
    tag(field, 1);
    char b[8];
    for (int i = 0; i < 8; ++i)
      b[i] = static_cast<char>((v >> (8 * i)) & 0xff);
    out_.append(b, 8);
  }
  void double_field(unsigned field, double d) {
    std::uint64_t v;
    std::memcpy(&v, &d, 8);
    fixed64_field(field, v);
  }
  void fixed32_field(unsigned field, std::uint32_t v) {
    tag(field, 5);
    char b[4];
    for (int i = 0; i < 4; ++i)
      b[i] = static_cast<char>((v >> (8 * i)) & 0xff);
    out_.append(b, 4);
  }
  /// A string, bytes or an already encoded message.
  void bytes_field(unsigned field, std::string_view s) {
    tag(field, 2);
    varint(s.size());
    out_.append(s);
  }

 private:
  void tag(unsigned field, unsigned wire) { varint((std::uint64_t{field} << 3) | wire); }
  void varint(std::uint64_t v) {
    while (v >= 0x80) {
      out_.push_back(static_cast<char>((v & 0x7f) | 0x80));
      v >>= 7;
    }
    out_.push_back(static_cast<char>(v));
  }
  std::string out_;
};

}  // namespace lucid::exporters::detail
