// The json format: one JSON object per line, shaped like tracing-subscriber's
// json output ({"timestamp","level","fields":{"message",..},"target",
// "filename","line_number","task_id","span","spans"}). Never coloured.
//
// Contract: see line_formatter.hpp.
#include "format_util.hpp"

namespace lucid::trace::fmt_detail {
namespace {

class json_formatter final : public line_formatter {
 public:
  explicit json_formatter(const fmt_options& opts) : opts_(opts) {}

  void format(buffer& b, const line& l) const override {
    put(b, '{');
    bool comma = false;
    auto key = [&](std::string_view k) {
      if (comma) put(b, ',');
      comma = true;
      put(b, '"');
      put(b, k);
      put(b, "\":");
    };
    if (opts_.with_timestamp) {
      key("timestamp");
      put(b, '"');
      put_timestamp(b, opts_.clock());
      put(b, '"');
    }
    if (opts_.with_level) {
      key("level");
      put(b, '"');
      put(b, to_string(l.meta->lvl));
      put(b, '"');
    }
    key("fields");
    put(b, "{\"message\":\"");
    put_message<true>(b, l);
    put(b, '"');
    if (l.ev != nullptr) {
      for (const field_ref& f : l.ev->fields) {
        if (f.val.kind == value_kind::none) continue;
        put(b, ",\"");
        put_json_escaped(b, f.name);
        put(b, "\":");
        put_json_value(b, f.val);
      }
    } else {
      put(b, ",\"time.busy\":\"");
      put_duration(b, l.busy_ns);
      put(b, "\",\"time.idle\":\"");
      put_duration(b, l.idle_ns);
      put(b, '"');
    }
    put(b, '}');
    if (opts_.with_target) {
      key("target");
      put(b, '"');
      put_json_escaped(b, l.meta->target);
      put(b, '"');
    }
    if (opts_.with_file_line) {
      key("filename");
      put(b, '"');
      put_json_escaped(b, source_path(l.meta->file));
      put(b, '"');
      key("line_number");
      put_int(b, l.meta->line);
    }
    if (opts_.with_task_id && l.task_id != 0) {
      key("task_id");
      put_int(b, l.task_id);
    }
    if (l.n > 0) {
      key("span");
      put_span(b, l.chain[0]);
      key("spans");
      put(b, '[');
      for (std::size_t i = l.n; i-- > 0;) {
        put_span(b, l.chain[i]);
        if (i != 0) put(b, ',');
      }
      put(b, ']');
    }
    put(b, "}\n");
  }

 private:
  // {"field":value,...,"name":"span"}
  static void put_span(buffer& b, span_record* r) {
    put(b, '{');
    if (put_span_fields(b, *r, field_style::json)) put(b, ',');
    put(b, "\"name\":\"");
    put_json_escaped(b, r->meta->name);
    put(b, "\"}");
  }

  fmt_options opts_;
};

}  // namespace

std::unique_ptr<line_formatter> make_json_formatter(const fmt_options& opts) {
  return std::make_unique<json_formatter>(opts);
}

}  // namespace lucid::trace::fmt_detail
