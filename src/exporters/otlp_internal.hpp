// Private to the OTLP exporter: the span as the exporter keeps it (its
// OpenTelemetry ids, times, attributes, events and status), its OTLP protobuf
// encoding (otlp_encode.cpp), and the helpers that the exporter (otlp.cpp)
// and the options read from the environment (otlp_options.cpp) share.
// No state: plain values and functions of their arguments. Thread safety: a
// plain value.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "lucid/trace/field.hpp"

namespace lucid::exporters::detail {

// OTLP enums (trace.proto).
constexpr int kKindInternal = 1, kKindServer = 2, kKindClient = 3;
constexpr int kStatusError = 2;

struct attribute {
  std::string key;
  enum kind_t : std::uint8_t { str, i64, f64, boolean } kind = str;
  std::string s;
  std::int64_t i = 0;
  double d = 0;
  bool b = false;
};

/// An attribute for a trace field (u64 above INT64_MAX as its decimal string,
/// display and erased values as their text).
attribute to_attribute(const char* name, const trace::value& v);

struct span_event {
  std::uint64_t time = 0;
  std::string name;
  std::vector<attribute> attrs;
};

struct span_data {
  std::array<std::uint8_t, 16> trace_id{};
  std::array<std::uint8_t, 8> span_id{};
  std::array<std::uint8_t, 8> parent_id{};
  bool has_parent = false;
  bool remote_parent = false;
  bool sampled = true;
  int kind = kKindInternal;
  std::string name;
  std::uint64_t start = 0, end = 0;
  std::vector<attribute> attrs;
  std::vector<span_event> events;
  std::uint32_t dropped_events = 0;
  bool error = false;
  std::string status_message;
};

/// One KeyValue message (common.proto) for an attribute.
std::string key_value(const attribute& a);
/// One Span message (trace.proto).
std::string encode_span(const span_data& s);

/// The value of one hex digit, or -1.
inline int hexval(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/// The name of this program's executable (for "unknown_service:NAME").
std::string program_name();

}  // namespace lucid::exporters::detail
