// The one-line text formats, tracing-subscriber's Full and Compact:
//   full     TIMESTAMP LEVEL task=N outer{a=1}:inner{c=3.0}: target: file:line: message k=v
//   compact  TIMESTAMP LEVEL task=N outer:inner: target: file:line: message k=v a=1 c=3.0
// They differ only in where span fields go, so one template serves both
// (the difference is resolved at compile time, not per line).
//
// Contract: see line_formatter.hpp.
#include "format_util.hpp"

namespace lucid::trace::fmt_detail {
namespace {

template <bool Compact>
class text_formatter final : public line_formatter {
 public:
  text_formatter(const fmt_options& opts, bool ansi) : opts_(opts), ansi_(ansi) {}

  void format(buffer& b, const line& l) const override {
    auto style = [&](std::string_view code) {
      if (ansi_) put(b, code);
    };
    put_timestamp_and_level(b, opts_, l.meta->lvl, ansi_);
    if (opts_.with_task_id && l.task_id != 0) {
      put(b, "task=");
      put_int(b, l.task_id);
      put(b, ' ');
    }
    // span context, outermost first: full `outer{a=1}:inner{c=3.0}: `, compact `outer:inner: `
    for (std::size_t i = l.n; i-- > 0;) {
      style(k_bold);
      put(b, l.chain[i]->meta->name);
      if constexpr (!Compact) {
        style(k_reset);
        std::size_t mark = b.size();
        put(b, '{');
        if (put_span_fields(b, *l.chain[i], field_style::text)) {
          put(b, '}');
        } else {
          set_size(b, mark);
        }
        style(k_bold);
      }
      put(b, ':');
      style(k_reset);
    }
    if (l.n > 0) put(b, ' ');
    put_target(b, opts_, l.meta->target, ansi_);
    if (opts_.with_file_line) {
      style(k_dim);
      put(b, source_path(l.meta->file));
      put(b, ':');
      put_int(b, l.meta->line);
      put(b, ':');
      style(k_reset);
      put(b, ' ');
    }
    put_message<false>(b, l);
    auto field = [&](std::string_view name, auto&& put_value) {
      put(b, ' ');
      style(k_italic);
      put(b, name);
      style(k_reset);
      put(b, '=');
      put_value();
    };
    if (l.ev != nullptr) {
      for (const field_ref& f : l.ev->fields) {
        if (f.val.kind != value_kind::none) {
          field(f.name, [&] { put_text_value(b, f.val); });
        }
      }
    } else {
      field("time.busy", [&] { put_duration(b, l.busy_ns); });
      field("time.idle", [&] { put_duration(b, l.idle_ns); });
    }
    if constexpr (Compact) {
      for (std::size_t i = l.n; i-- > 0;) {
        std::size_t mark = b.size();
        put(b, ' ');
        if (!put_span_fields(b, *l.chain[i], field_style::text)) set_size(b, mark);
      }
    }
    put(b, '\n');
  }

 private:
  fmt_options opts_;
  bool ansi_;
};

}  // namespace

std::unique_ptr<line_formatter> make_full_formatter(const fmt_options& opts, bool ansi) {
  return std::make_unique<text_formatter<false>>(opts, ansi);
}

std::unique_ptr<line_formatter> make_compact_formatter(const fmt_options& opts, bool ansi) {
  return std::make_unique<text_formatter<true>>(opts, ansi);
}

}  // namespace lucid::trace::fmt_detail
