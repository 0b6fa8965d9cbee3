// fmt_layer: collects the spans a line shows and hands the line to the
// formatter of its format (json_format.cpp, pretty_format.cpp,
// text_format.cpp), chosen once when the layer is built.
//
// Contract: see fmt_layer.hpp. The per-thread line buffer is reached only
// from these functions (never across a suspension).
#include "lucid/trace/subscriber/fmt_layer.hpp"

#include <cstdlib>
#include <mutex>

#include "format_util.hpp"
#include "line_formatter.hpp"

namespace lucid::trace {

std::optional<log_format> parse_log_format(std::string_view s) noexcept {
  auto eq = [&](std::string_view w) {
    if (s.size() != w.size()) return false;
    for (std::size_t i = 0; i < s.size(); ++i) {
      char c = s[i];
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      if (c != w[i]) return false;
    }
    return true;
  };
  if (eq("full")) return log_format::full;
  if (eq("compact")) return log_format::compact;
  if (eq("pretty")) return log_format::pretty;
  if (eq("json")) return log_format::json;
  return std::nullopt;
}

namespace {
thread_local fmt_detail::buffer t_line;
}  // namespace

fmt_layer::fmt_layer(std::shared_ptr<writer> w, fmt_options opts)
    : writer_(std::move(w)), opts_(opts) {
  if (opts_.clock == nullptr) opts_.clock = &fmt_detail::system_realtime_ns;
  ansi_ = opts_.ansi == ansi_mode::always ||
          (opts_.ansi == ansi_mode::auto_detect && writer_->is_terminal());
  const char* no_color = std::getenv("NO_COLOR");
  if (no_color != nullptr && *no_color != '\0') ansi_ = false;
  formatter_ = fmt_detail::make_line_formatter(opts_, ansi_);
}

fmt_layer::~fmt_layer() = default;

void fmt_layer::on_attach(registry&, unsigned index) {
  bit_ = std::uint64_t{1} << index;
}

void fmt_layer::on_event(const event& e, span_record* parent) {
  write_line(&e, parent, e.task_id, 0, 0);
}

void fmt_layer::on_close(span_record& rec) {
  if (!opts_.span_close_events) return;
  std::uint64_t busy, idle;
  {
    std::lock_guard<lucid::detail::spin_lock> g(rec.lock);
    busy = rec.busy_ns;
    idle = rec.idle_ns;
  }
  write_line(nullptr, &rec, 0, busy, idle);
}

void fmt_layer::write_line(const event* ev, span_record* scope, std::uint64_t task_id,
                           std::uint64_t busy_ns, std::uint64_t idle_ns) {
  // The visible spans, innermost first.
  span_record* chain[64];
  std::size_t n = 0;
  for (span_record* r = scope; r != nullptr && n < 64; r = r->parent) {
    if (r->layer_mask & bit_) chain[n++] = r;
  }
  const metadata* meta = ev != nullptr ? ev->meta : scope->meta;
  fmt_detail::buffer& b = t_line;
  b.clear();
  formatter_->format(b, fmt_detail::line{meta, ev, chain, n, task_id, busy_ns, idle_ns});
  writer_->write(std::string_view(b.data(), b.size()));
}

}  // namespace lucid::trace
