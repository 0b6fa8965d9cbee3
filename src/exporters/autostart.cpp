// Starts the exporters that the environment asks for, when the program
// loads (a static initializer; the umbrella target links this library
// whole): LUCID_TRACE_FILE (+ LUCID_TRACE_FILE_MAX) for the timeline,
// OTEL_TRACES_EXPORTER=otlp (+ the OTEL_* settings) for the OTLP exporter.
//
// Spans and events reach the exporters' layers through a registry: the one
// lucid::trace::init() builds (it adds the layers registered with
// add_init_layer), or, for a program that installs no subscriber, one made
// here with the LUCID_LOG filter (default "info") and the exporters' layers
// only. A program that installs its own registry adds the layers itself.
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "lucid/exporters/otlp.hpp"
#include "lucid/exporters/timeline.hpp"
#include "lucid/trace/dispatch.hpp"
#include "lucid/trace/subscriber/env_filter.hpp"
#include "lucid/trace/subscriber/registry.hpp"

namespace lucid::exporters {
namespace {

const char* env(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? v : nullptr;
}

struct autostart {
  autostart() {
    std::vector<std::shared_ptr<trace::layer>> layers;
    if (const char* path = env("LUCID_TRACE_FILE")) {
      timeline_options o;
      if (const char* max = env("LUCID_TRACE_FILE_MAX"); max && !parse_timeline_max(max, o)) {
        std::fprintf(stderr,
                     "lucid: LUCID_TRACE_FILE_MAX: cannot read \"%s\" (expected a size such as "
                     "64M or a duration such as 30s); recording without a limit\n",
                     max);
      }
      if (start_timeline(path, o)) layers.push_back(timeline_layer());
    }
    if (const char* e = env("OTEL_TRACES_EXPORTER")) {
      std::string_view v = e;
      if (v == "otlp") {
        if (start_otlp(otlp_options::from_env())) layers.push_back(otlp_layer());
      } else if (v != "none") {
        std::fprintf(stderr,
                     "lucid: OTEL_TRACES_EXPORTER: \"%s\" is not supported (otlp or none); not "
                     "exporting\n",
                     e);
      }
    }
    if (!layers.empty() && trace::global_default() == nullptr) {
      auto reg = std::make_shared<trace::registry>();
      reg->with_filter(trace::env_filter::from_env());
      for (auto& l : layers)
        reg->with(l);
      trace::set_global_default(std::move(reg));
    }
  }
} g_autostart;

}  // namespace
}  // namespace lucid::exporters
