// The OTLP protobuf encoding of the span data model of otlp_internal.hpp:
// trace fields to attributes, KeyValue and Span messages. The exporter
// (otlp.cpp) wraps the spans in the request and its resource.
// No state: functions of their arguments only. Thread safety: any thread.
#include <fmt/format.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "otlp_internal.hpp"
#include "protobuf.hpp"

namespace lucid::exporters::detail {

attribute to_attribute(const char* name, const trace::value& v) {
  attribute a;
  a.key = name;
  switch (v.kind) {
    case trace::value_kind::i64:
      a.kind = attribute::i64;
      a.i = v.i;
      break;
    case trace::value_kind::u64:
      if (v.u <= static_cast<std::uint64_t>(INT64_MAX)) {
        a.kind = attribute::i64;
        a.i = static_cast<std::int64_t>(v.u);
      } else {
        a.s = std::to_string(v.u);
      }
      break;
    case trace::value_kind::f64:
      a.kind = attribute::f64;
      a.d = v.f;
      break;
    case trace::value_kind::boolean:
      a.kind = attribute::boolean;
      a.b = v.b;
      break;
    case trace::value_kind::str:
    case trace::value_kind::display:
      a.s.assign(v.str());
      break;
    case trace::value_kind::erased: {
      fmt::memory_buffer m;
      v.format_to(fmt::appender(m));
      a.s.assign(m.data(), m.size());
      break;
    }
    case trace::value_kind::none:
      break;
  }
  return a;
}

std::string key_value(const attribute& a) {
  detail::pb_writer v;  // AnyValue
  switch (a.kind) {
    case attribute::str:
      v.bytes_field(1, a.s);
      break;
    case attribute::boolean:
      v.bool_field(2, a.b);
      break;
    case attribute::i64:
      v.int64_field(3, a.i);
      break;
    case attribute::f64:
      v.double_field(4, a.d);
      break;
  }
  detail::pb_writer kv;  // KeyValue
  kv.bytes_field(1, a.key);
  kv.bytes_field(2, v.bytes());
  return std::move(kv.bytes());
}

std::string encode_span(const span_data& s) {
  detail::pb_writer w;  // Span
  w.bytes_field(1, std::string_view(reinterpret_cast<const char*>(s.trace_id.data()), 16));
  w.bytes_field(2, std::string_view(reinterpret_cast<const char*>(s.span_id.data()), 8));
  if (s.has_parent)
    w.bytes_field(4, std::string_view(reinterpret_cast<const char*>(s.parent_id.data()), 8));
  w.bytes_field(5, s.name);
  w.varint_field(6, static_cast<std::uint64_t>(s.kind));
  w.fixed64_field(7, s.start);
  w.fixed64_field(8, s.end);
  for (const attribute& a : s.attrs)
    w.bytes_field(9, key_value(a));
  for (const span_event& e : s.events) {
    detail::pb_writer ev;  // Span.Event
    ev.fixed64_field(1, e.time);
    ev.bytes_field(2, e.name);
    for (const attribute& a : e.attrs)
      ev.bytes_field(3, key_value(a));
    w.bytes_field(11, ev.bytes());
  }
  if (s.dropped_events != 0) w.varint_field(12, s.dropped_events);
  if (s.error) {
    detail::pb_writer st;  // Status
    if (!s.status_message.empty()) st.bytes_field(2, s.status_message);
    st.varint_field(3, kStatusError);
    w.bytes_field(15, st.bytes());
  }
  // flags (fixed32, field 16): bit 8 "has remote parent info", bit 9 "is remote".
  std::uint32_t flags = 0x100 | (s.remote_parent ? 0x200u : 0u);
  w.fixed32_field(16, flags);
  return std::move(w.bytes());
}

}  // namespace lucid::exporters::detail
