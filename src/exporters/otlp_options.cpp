// The OTLP exporter's options read from the environment
// (otlp_options::from_env: the OTEL_* variables of the OpenTelemetry
// specification) and the program's name for the default service name.
// State: reads the environment and /proc/self/exe, writes nothing but a
// warning on stderr for a value it ignores. Thread safety: any thread (as
// safe as std::getenv).
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lucid/exporters/otlp.hpp"
#include "otlp_internal.hpp"

namespace lucid::exporters {

namespace detail {

std::string program_name() {
  char buf[256] = {};
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  std::string_view p(buf, n > 0 ? static_cast<std::size_t>(n) : 0);
  std::size_t slash = p.rfind('/');
  return std::string(slash == std::string_view::npos ? p : p.substr(slash + 1));
}

}  // namespace detail

namespace {

using detail::hexval;
using detail::program_name;

// "k=v,k2=v2" with percent-encoded values (the W3C Baggage-like format of
// OTEL_EXPORTER_OTLP_HEADERS and OTEL_RESOURCE_ATTRIBUTES).
std::string percent_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hexval(s[i + 1]) * 16 + hexval(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

std::vector<std::pair<std::string, std::string>> parse_pairs(const char* var, std::string_view s) {
  std::vector<std::pair<std::string, std::string>> out;
  while (!s.empty()) {
    std::size_t comma = s.find(',');
    std::string_view item = trim(s.substr(0, comma));
    s = comma == std::string_view::npos ? std::string_view{} : s.substr(comma + 1);
    if (item.empty()) continue;
    std::size_t eq = item.find('=');
    if (eq == std::string_view::npos || trim(item.substr(0, eq)).empty()) {
      std::fprintf(stderr, "lucid: %s: ignoring \"%.*s\" (expected key=value)\n", var,
                   static_cast<int>(item.size()), item.data());
      continue;
    }
    out.emplace_back(std::string(trim(item.substr(0, eq))),
                     percent_decode(trim(item.substr(eq + 1))));
  }
  return out;
}

const char* env(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? v : nullptr;
}

}  // namespace

otlp_options otlp_options::from_env() {
  otlp_options o;
  if (const char* t = env("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")) {
    o.endpoint = t;
  } else if (const char* b = env("OTEL_EXPORTER_OTLP_ENDPOINT")) {
    std::string base = b;
    while (!base.empty() && base.back() == '/')
      base.pop_back();
    o.endpoint = base + "/v1/traces";
  }
  if (const char* h = env("OTEL_EXPORTER_OTLP_HEADERS"))
    o.headers = parse_pairs("OTEL_EXPORTER_OTLP_HEADERS", h);
  if (const char* h = env("OTEL_EXPORTER_OTLP_TRACES_HEADERS")) {
    for (auto& kv : parse_pairs("OTEL_EXPORTER_OTLP_TRACES_HEADERS", h))
      o.headers.push_back(std::move(kv));
  }
  if (const char* r = env("OTEL_RESOURCE_ATTRIBUTES"))
    o.resource_attributes = parse_pairs("OTEL_RESOURCE_ATTRIBUTES", r);
  if (const char* s = env("OTEL_SERVICE_NAME")) o.service_name = s;
  if (o.service_name.empty()) {
    for (auto& [k, v] : o.resource_attributes)
      if (k == "service.name") o.service_name = v;
  }
  if (o.service_name.empty()) o.service_name = "unknown_service:" + program_name();
  if (const char* s = env("OTEL_TRACES_SAMPLER")) {
    std::string_view v = s;
    if (v == "always_on")
      o.sampler = sampler_kind::always_on;
    else if (v == "always_off")
      o.sampler = sampler_kind::always_off;
    else if (v == "traceidratio")
      o.sampler = sampler_kind::traceidratio;
    else if (v == "parentbased_always_on")
      o.sampler = sampler_kind::parentbased_always_on;
    else if (v == "parentbased_always_off")
      o.sampler = sampler_kind::parentbased_always_off;
    else if (v == "parentbased_traceidratio")
      o.sampler = sampler_kind::parentbased_traceidratio;
    else
      std::fprintf(stderr,
                   "lucid: OTEL_TRACES_SAMPLER: unknown sampler \"%s\"; using "
                   "parentbased_always_on\n",
                   s);
  }
  if (const char* a = env("OTEL_TRACES_SAMPLER_ARG")) {
    char* end = nullptr;
    double r = std::strtod(a, &end);
    if (end == a || *end != '\0' || !(r >= 0.0 && r <= 1.0)) {
      std::fprintf(stderr,
                   "lucid: OTEL_TRACES_SAMPLER_ARG: \"%s\" is not a ratio in [0, 1]; using 1.0\n",
                   a);
    } else {
      o.ratio = r;
    }
  }
  auto ms = [](const char* var, std::chrono::milliseconds& out) {
    if (const char* v = env(var)) {
      char* end = nullptr;
      long n = std::strtol(v, &end, 10);
      if (end == v || *end != '\0' || n < 0) {
        std::fprintf(stderr, "lucid: %s: \"%s\" is not a number of milliseconds\n", var, v);
      } else {
        out = std::chrono::milliseconds(n);
      }
    }
  };
  ms("OTEL_BSP_SCHEDULE_DELAY", o.schedule_delay);
  ms("OTEL_EXPORTER_OTLP_TIMEOUT", o.request_timeout);
  ms("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", o.request_timeout);
  auto count = [](const char* var, std::size_t& out) {
    if (const char* v = env(var)) {
      char* end = nullptr;
      long n = std::strtol(v, &end, 10);
      if (end == v || *end != '\0' || n <= 0) {
        std::fprintf(stderr, "lucid: %s: \"%s\" is not a positive number\n", var, v);
      } else {
        out = static_cast<std::size_t>(n);
      }
    }
  };
  count("OTEL_BSP_MAX_QUEUE_SIZE", o.max_queue);
  count("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", o.max_batch);
  return o;
}

}  // namespace lucid::exporters
