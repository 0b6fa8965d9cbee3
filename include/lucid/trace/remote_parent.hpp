// lucid::trace::remote_parent: a span's parent in another process, as W3C
// Trace Context (https://www.w3.org/TR/trace-context/) carries it.
//
// lucid spans have local parents only (span_attributes::parent). A parent
// that lives in another process is recorded, by convention, as two string
// fields of the span: `trace_id` (32 lowercase hex digits) and
// `parent_span_id` (16 lowercase hex digits), which every subscriber shows
// like any other field (json: "trace_id":"4bf9..."). The names are
// remote_parent::trace_id_field and remote_parent::parent_span_id_field.
// lucid::http's server does this for the `traceparent` request header.
//
// Contract: a plain value, no allocation; from_traceparent() validates the
// header as the specification says (version 00: exactly 55 characters; a
// later version: at least 55, and a '-' after them; version ff, upper-case
// hex, an all-zero trace id or parent id are invalid) and answers nullopt for
// anything invalid. Thread safety: a plain value.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace lucid::trace {

/// A remote parent: trace id, parent span id and trace flags.
///
/// Example:
///   auto rp = lucid::trace::remote_parent::from_traceparent(req.header("traceparent"));
///   auto span = LUCID_INFO_SPAN("job", ("trace_id", rp ? rp->trace_id_hex() : ""));
struct remote_parent {
  static constexpr const char* trace_id_field = "trace_id";
  static constexpr const char* parent_span_id_field = "parent_span_id";

  std::array<char, 32> trace_id{};   ///< lowercase hex
  std::array<char, 16> parent_id{};  ///< lowercase hex
  std::uint8_t flags = 0;            ///< trace-flags (bit 0: sampled)

  /// Parses a `traceparent` value ("00-<32 hex>-<16 hex>-<2 hex>"); nullopt if invalid.
  static std::optional<remote_parent> from_traceparent(std::string_view value) noexcept;

  std::string_view trace_id_hex() const noexcept { return {trace_id.data(), trace_id.size()}; }
  std::string_view parent_id_hex() const noexcept { return {parent_id.data(), parent_id.size()}; }
  bool sampled() const noexcept { return (flags & 1) != 0; }
};

/// Writes the W3C Trace Context headers of span `current` for an outgoing
/// request: `traceparent` (required) and `tracestate` (left empty if none).
/// Answers false when it knows no trace for that span. Must not block.
using propagator_fn = bool (*)(std::uint64_t current, std::string& traceparent,
                               std::string& tracestate) noexcept;

/// Installs the propagator (null removes it): the module that assigns trace
/// and span ids (lucid::exporters' OTLP exporter) installs one, and
/// lucid::http::client asks it for every request. Thread safety: any thread.
void set_propagator(propagator_fn p) noexcept;

/// The headers for an outgoing request made inside the current span (see
/// propagator_fn); false when no propagator is installed, no span is current,
/// or the propagator knows no trace for it. Thread safety: any thread.
bool inject_current(std::string& traceparent, std::string& tracestate) noexcept;

}  // namespace lucid::trace
