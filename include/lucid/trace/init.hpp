// lucid::trace::init(): one call that installs the fmt subscriber with the
// LUCID_LOG filter as the global default.
//
// Contract: reads LUCID_LOG (filter, default "info"; malformed directives get
// one warning each on stderr), LUCID_LOG_FORMAT (full|compact|pretty|json,
// default full; an unknown value gets a warning and full) and NO_COLOR. Output
// goes to stderr through a non_blocking_writer (flushed at exit and by
// lucid::trace::flush()). Calling it again replaces the previous subscriber.
// Thread safety: any thread; usually called once at the start of main.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "lucid/trace/subscriber/fmt_layer.hpp"
#include "lucid/trace/subscriber/registry.hpp"
#include "lucid/trace/subscriber/writer.hpp"

namespace lucid::trace {

/// Settings of init(); the defaults read the environment.
struct init_options {
  std::optional<std::string> filter;  ///< LUCID_LOG syntax; default: $LUCID_LOG or "info"
  std::optional<log_format> format;   ///< default: $LUCID_LOG_FORMAT or full
  std::shared_ptr<writer> output;     ///< default: stderr
  bool non_blocking = true;           ///< queue lines for a background thread
  bool span_close_events = false;     ///< print time.busy/time.idle when spans close
};

/// Installs registry + env_filter + fmt_layer as the global default and
/// returns the registry.
///
/// Example:
///   int main() {
///     lucid::trace::init();
///     LUCID_INFO("started");
///   }
std::shared_ptr<registry> init(init_options opts = {});

/// Adds l, beside the fmt layer, to every registry init() builds from now on
/// (it sees what the LUCID_LOG filter enables). The exporters register their
/// layers here when they start, so `LUCID_TRACE_FILE` and `OTEL_*` work in a
/// program that calls init(). Thread safety: any thread.
void add_init_layer(std::shared_ptr<layer> l);

}  // namespace lucid::trace
