// lucid::exporters OTLP: sends lucid::trace spans to an OpenTelemetry
// collector (or Jaeger, Tempo, ...) over OTLP/HTTP with protobuf bodies
// (docs/exporters.md says why protobuf).
//
//   OTEL_TRACES_EXPORTER=otlp OTEL_SERVICE_NAME=checkout ./my_service
//   lucid::exporters::start_otlp(lucid::exporters::otlp_options::from_env());
//
// What a span becomes: its name; its fields as attributes (the remote-parent
// fields trace_id/parent_span_id become the parent instead); its events as
// span events (message as name, fields as attributes); status ERROR when the
// span has an `error` field, an ERROR event inside it, or is closed while an
// exception unwinds (a panic in the task); its local parent or its remote
// parent (the `traceparent` that lucid::http's server read); kind SERVER for
// http.request, CLIENT for http.client, INTERNAL otherwise. Ids: a random
// trace id per root, a random span id per span. While the exporter runs, it
// is the trace propagator: lucid::http::client sends the current span's
// traceparent with every request.
//
// Contract: spans are handed over at close to a bounded queue (no I/O, no
// blocking beyond a short lock); a background thread sends them in batches
// (when a batch is full or every schedule_delay), retrying a failed request
// with exponential backoff. Spans that do not fit in the queue, or whose
// request failed every retry, are counted and reported on stderr (once when
// it starts happening, with the totals at shutdown); never silently lost.
// flush_otlp() and exit (atexit) send what is queued, waiting a bounded time.
// Thread safety: every function may be called from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "lucid/trace/subscriber/layer.hpp"

namespace lucid::exporters {

/// Which spans are recorded (OTEL_TRACES_SAMPLER).
enum class sampler_kind : std::uint8_t {
  always_on,
  always_off,
  traceidratio,
  parentbased_always_on,
  parentbased_always_off,
  parentbased_traceidratio,
};

/// Settings of the OTLP exporter.
struct otlp_options {
  /// Where to POST: "http://host:port/path" (http only; no TLS).
  std::string endpoint = "http://localhost:4318/v1/traces";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string service_name;  ///< default: unknown_service:<program name>
  std::vector<std::pair<std::string, std::string>> resource_attributes;
  sampler_kind sampler = sampler_kind::parentbased_always_on;
  double ratio = 1.0;  ///< for the traceidratio samplers
  std::size_t max_queue = 2048;
  std::size_t max_batch = 512;
  std::chrono::milliseconds schedule_delay{5000};
  int max_attempts = 5;                            ///< per request, first try included
  std::chrono::milliseconds initial_backoff{100};  ///< doubled after each failed try
  std::chrono::milliseconds request_timeout{10000};

  /// The settings of the OTEL_* environment variables (docs/exporters.md);
  /// a malformed value gets a line on stderr and its default.
  static otlp_options from_env();
};

/// Counters of the exporter, for tests and reports.
struct otlp_stats {
  std::uint64_t exported = 0;         ///< spans the collector accepted
  std::uint64_t dropped_queue = 0;    ///< spans dropped because the queue was full
  std::uint64_t dropped_failed = 0;   ///< spans whose request failed every attempt
  std::uint64_t failed_attempts = 0;  ///< requests that failed (each retry counts)
  std::uint64_t requests = 0;         ///< requests that succeeded
};

/// Starts exporting (and installs the trace propagator). False, with a line
/// on stderr, for an endpoint it cannot use or if already started. The layer
/// is added to the registries lucid::trace::init() builds from now on.
bool start_otlp(otlp_options opts);

/// Sends what is queued now; waits until it is sent or `timeout` passed.
/// True when everything queued before the call was handed to the collector.
bool flush_otlp(std::chrono::milliseconds timeout = std::chrono::seconds(5)) noexcept;

/// Flushes (bounded), stops the sender and reports drops. Idempotent.
void stop_otlp() noexcept;

otlp_stats otlp_statistics() noexcept;

/// The exporter's trace layer, to add to a registry a program builds itself.
std::shared_ptr<trace::layer> otlp_layer();

}  // namespace lucid::exporters
