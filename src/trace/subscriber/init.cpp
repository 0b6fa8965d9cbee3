// init(): the default subscriber stack.
#include "lucid/trace/init.hpp"

#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <vector>

#include "lucid/trace/dispatch.hpp"
#include "lucid/trace/subscriber/env_filter.hpp"
#include "lucid/trace/subscriber/non_blocking.hpp"

namespace lucid::trace {

namespace {
std::mutex g_init_layers_mu;
std::vector<std::shared_ptr<layer>>& init_layers() {
  static auto* v = new std::vector<std::shared_ptr<layer>>;  // never freed: used until exit
  return *v;
}
}  // namespace

void add_init_layer(std::shared_ptr<layer> l) {
  std::lock_guard g(g_init_layers_mu);
  init_layers().push_back(std::move(l));
}

std::shared_ptr<registry> init(init_options opts) {
  std::shared_ptr<env_filter> filter =
      opts.filter ? std::make_shared<env_filter>(*opts.filter) : env_filter::from_env();
  fmt_options fo;
  if (opts.format) {
    fo.format = *opts.format;
  } else if (const char* f = std::getenv("LUCID_LOG_FORMAT"); f != nullptr && *f != '\0') {
    if (auto parsed = parse_log_format(f)) {
      fo.format = *parsed;
    } else {
      std::fprintf(stderr,
                   "lucid: LUCID_LOG_FORMAT: unknown format \"%s\" (expected full, compact, "
                   "pretty or json); using full\n",
                   f);
    }
  }
  fo.span_close_events = opts.span_close_events;
  std::shared_ptr<writer> out = opts.output ? opts.output : std::make_shared<fd_writer>(2);
  if (opts.non_blocking) out = std::make_shared<non_blocking_writer>(std::move(out));
  auto reg = std::make_shared<registry>();
  reg->with_filter(std::move(filter)).with(std::make_shared<fmt_layer>(std::move(out), fo));
  {
    std::lock_guard g(g_init_layers_mu);
    for (auto& l : init_layers())
      reg->with(l);
  }
  set_global_default(reg);
  return reg;
}

}  // namespace lucid::trace
