// JSON text written straight into a string, for the console server's
// per-update encoding (stream.cpp): a snapshot of a few hundred tasks is
// written every interval, and building an nlohmann::json tree of it first
// (a std::map node and a string per key) cost the server's thread
// milliseconds per update, taken from the program's cores.
//
// Contract: the text is byte for byte what nlohmann::json::dump() writes
// for the same values, so that a client that parses an event and dumps it
// again (the replica, and every test that compares the two ends) gets the
// same text:
//   - keys must be written in ascending byte order (nlohmann's std::map);
//     the writers in codec.cpp do, and tests/console/wire_test.cpp checks
//     every writer against encode(...).dump() on generated values;
//   - strings are escaped as dump_escaped does without ensure_ascii
//     (\b \t \n \f \r \" \\, other bytes below 0x20 as \u00xx, the rest
//     as is); bytes that are not valid UTF-8 become U+FFFD, so the text is
//     always valid JSON (nlohmann's dump() would throw on them);
//   - doubles go through nlohmann's own to_chars (the shortest form that
//     reads back exactly, "1.0" for whole numbers); a non-finite one is null.
// Plain functions of their arguments; no I/O.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace lucid::console::wire::detail {

class json_text {
 public:
  explicit json_text(std::string& out) noexcept : out_(out) {}

  json_text& begin_object() {
    comma();
    out_ += '{';
    first_ = true;
    return *this;
  }
  json_text& end_object() {
    out_ += '}';
    first_ = false;
    return *this;
  }
  json_text& begin_array() {
    comma();
    out_ += '[';
    first_ = true;
    return *this;
  }
  json_text& end_array() {
    out_ += ']';
    first_ = false;
    return *this;
  }
  /// `"key":` (after a comma unless first in its object). Keys are plain
  /// ASCII literals: they are not escaped.
  json_text& key(std::string_view k) {
    comma();
    out_ += '"';
    out_ += k;
    out_ += "\":";
    first_ = true;  // the value that follows takes no comma
    return *this;
  }
  json_text& value(std::string_view s);
  json_text& value(const char* s) { return value(std::string_view(s)); }
  json_text& value(std::uint64_t v);
  json_text& value(std::int64_t v);
  json_text& value(unsigned v) { return value(std::uint64_t{v}); }
  json_text& value(int v) { return value(std::int64_t{v}); }
  json_text& value(double v);
  json_text& value(bool v) {
    comma();
    out_ += v ? "true" : "false";
    first_ = false;
    return *this;
  }
  json_text& null() {
    comma();
    out_ += "null";
    first_ = false;
    return *this;
  }
  /// Text that is already one JSON value.
  json_text& raw(std::string_view json) {
    comma();
    out_ += json;
    first_ = false;
    return *this;
  }

 private:
  /// The comma before a value or key, unless it is the first in its
  /// object or array (or the value right after a key).
  void comma() {
    if (!first_) out_ += ',';
    first_ = false;
  }

  std::string& out_;
  bool first_ = true;
};

/// s as a JSON string (quotes included), escaped as described above.
void append_json_string(std::string& out, std::string_view s);

}  // namespace lucid::console::wire::detail
