// The pretty format: a block of lines per event, tracing-subscriber's Pretty:
//     TIMESTAMP LEVEL target: message, k: v
//       at file:line on task N
//       in span with k: v          (innermost first)
//   followed by an empty line.
//
// Contract: see line_formatter.hpp.
#include "format_util.hpp"

namespace lucid::trace::fmt_detail {
namespace {

class pretty_formatter final : public line_formatter {
 public:
  pretty_formatter(const fmt_options& opts, bool ansi) : opts_(opts), ansi_(ansi) {}

  void format(buffer& b, const line& l) const override {
    auto style = [&](std::string_view code) {
      if (ansi_) put(b, code);
    };
    put(b, "  ");
    put_timestamp_and_level(b, opts_, l.meta->lvl, ansi_);
    put_target(b, opts_, l.meta->target, ansi_);
    put_message<false>(b, l);
    auto field = [&](std::string_view name, const value& v) {
      put(b, ", ");
      style(k_italic);
      put(b, name);
      style(k_reset);
      put(b, ": ");
      put_text_value(b, v);
    };
    if (l.ev != nullptr) {
      for (const field_ref& f : l.ev->fields) {
        if (f.val.kind != value_kind::none) field(f.name, f.val);
      }
    } else {
      put(b, ", time.busy: ");
      put_duration(b, l.busy_ns);
      put(b, ", time.idle: ");
      put_duration(b, l.idle_ns);
    }
    put(b, '\n');
    put(b, "    ");
    style(k_dim);
    put(b, "at ");
    put(b, source_path(l.meta->file));
    put(b, ':');
    put_int(b, l.meta->line);
    if (opts_.with_task_id && l.task_id != 0) {
      put(b, " on task ");
      put_int(b, l.task_id);
    }
    style(k_reset);
    put(b, '\n');
    for (std::size_t i = 0; i < l.n; ++i) {
      put(b, "    ");
      style(k_dim);
      put(b, "in ");
      style(k_reset);
      style(k_bold);
      put(b, l.chain[i]->meta->name);
      style(k_reset);
      bool first = true;
      for_each_span_field(*l.chain[i], [&](const char* name, const value& v) {
        put(b, first ? " with " : ", ");
        first = false;
        style(k_italic);
        put(b, name);
        style(k_reset);
        put(b, ": ");
        put_text_value(b, v);
      });
      put(b, '\n');
    }
    put(b, '\n');
  }

 private:
  fmt_options opts_;
  bool ansi_;
};

}  // namespace

std::unique_ptr<line_formatter> make_pretty_formatter(const fmt_options& opts, bool ansi) {
  return std::make_unique<pretty_formatter>(opts, ansi);
}

}  // namespace lucid::trace::fmt_detail
