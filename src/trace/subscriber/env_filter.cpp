// env_filter: LUCID_LOG parsing and matching (see env_filter.hpp for the grammar).
//
// Contract: a directive_set is immutable once published through current_.
#include "lucid/trace/subscriber/env_filter.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include <fmt/format.h>

#include "lucid/trace/callsite.hpp"

namespace lucid::trace {

struct env_filter::directive_set {
  std::vector<directive> all;
  std::vector<const directive*> statics;   // most specific first
  std::vector<const directive*> dynamics;  // span directives
  level_filter static_max = level_filter::off;
  level_filter dyn_max = level_filter::off;

  level_filter static_level(std::string_view target) const noexcept {
    for (const directive* d : statics) {
      if (target.substr(0, d->target.size()) == d->target) return d->lvl;
    }
    return level_filter::off;
  }
};

namespace {

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

// Inside a quoted value: steps over an escaped character, or ends the quote.
void skip_in_quotes(std::string_view s, std::size_t& i, bool& quoted) noexcept {
  if (s[i] == '\\' && i + 1 < s.size()) {
    ++i;
  } else if (s[i] == '"') {
    quoted = false;
  }
}

// Splits at commas outside brackets, braces and quotes.
std::vector<std::string_view> split_top_level(std::string_view s) {
  std::vector<std::string_view> out;
  int brackets = 0;
  int braces = 0;
  bool quoted = false;
  std::size_t start = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (quoted) {
      skip_in_quotes(s, i, quoted);
      continue;
    }
    switch (c) {
      case '"':
        quoted = true;
        break;
      case '[':
        ++brackets;
        break;
      case ']':
        brackets = std::max(0, brackets - 1);
        if (brackets == 0) braces = 0;  // braces only nest inside [...]
        break;
      case '{':
        ++braces;
        break;
      case '}':
        braces = std::max(0, braces - 1);
        break;
      case ',':
        if (brackets == 0 && braces == 0) {
          out.push_back(s.substr(start, i - start));
          start = i + 1;
        }
        break;
      default:
        break;
    }
  }
  if (brackets == 0 && braces == 0 && !quoted) {
    out.push_back(s.substr(start));
    return out;
  }
  // Unbalanced to the end: split the rest at every comma, so that only the
  // directive with the unclosed bracket, brace or quote is lost.
  std::string_view rest = s.substr(start);
  for (std::size_t c; (c = rest.find(',')) != std::string_view::npos; rest.remove_prefix(c + 1)) {
    out.push_back(rest.substr(0, c));
  }
  out.push_back(rest);
  return out;
}

// Index of the character closing s[open] (']' or '}'), quotes aware; npos if none.
std::size_t find_close(std::string_view s, std::size_t open, char close) noexcept {
  char o = s[open];
  int depth = 0;
  bool quoted = false;
  for (std::size_t i = open; i < s.size(); ++i) {
    char c = s[i];
    if (quoted) {
      skip_in_quotes(s, i, quoted);
      continue;
    }
    if (c == '"') {
      quoted = true;
    } else if (c == o) {
      ++depth;
    } else if (c == close && --depth == 0) {
      return i;
    }
  }
  return std::string_view::npos;
}

bool name_char(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == ':' || c == '.' || c == '-' || c == '/';
}

// Empty string when ok, else the reason.
std::string check_name(std::string_view what, std::string_view s) {
  for (char c : s) {
    if (!name_char(c)) {
      return fmt::format("invalid character '{}' in {} \"{}\"", c, what, s);
    }
  }
  return {};
}

std::string level_error(std::string_view s) {
  return fmt::format("\"{}\" is not a level (expected off, error, warn, info, debug, trace or 0-5)",
                     s);
}

std::string unquote(std::string_view v) {
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') {
    std::string out;
    for (std::size_t i = 1; i + 1 < v.size(); ++i) {
      if (v[i] == '\\' && i + 2 < v.size()) ++i;
      out.push_back(v[i]);
    }
    return out;
  }
  return std::string(v);
}

// Parses one directive into out; returns the reason when malformed.
std::string parse_directive(std::string_view d, env_filter::directive& out) {
  std::size_t lb = std::string_view::npos;
  for (std::size_t i = 0; i < d.size(); ++i) {
    if (d[i] == '"') break;
    if (d[i] == '[') {
      lb = i;
      break;
    }
  }
  if (lb != std::string_view::npos) {
    out.in_brackets = true;
    out.target = std::string(trim(d.substr(0, lb)));
    if (auto e = check_name("target", out.target); !e.empty()) return e;
    std::size_t rb = find_close(d, lb, ']');
    if (rb == std::string_view::npos) return "unclosed '['";
    std::string_view inner = d.substr(lb + 1, rb - lb - 1);
    std::string_view rest = trim(d.substr(rb + 1));
    std::size_t brace = inner.find('{');
    std::string_view name = trim(inner.substr(0, brace));
    if (!name.empty()) {
      if (auto e = check_name("span name", name); !e.empty()) return e;
      out.span = std::string(name);
    }
    if (brace != std::string_view::npos) {
      std::size_t cb = find_close(inner, brace, '}');
      if (cb == std::string_view::npos) return "unclosed '{'";
      if (!trim(inner.substr(cb + 1)).empty()) {
        return fmt::format("unexpected \"{}\" after '}}'", trim(inner.substr(cb + 1)));
      }
      for (std::string_view f : split_top_level(inner.substr(brace + 1, cb - brace - 1))) {
        f = trim(f);
        if (f.empty()) return "empty field in '{...}'";
        env_filter::field_match m;
        std::size_t eq = f.find('=');
        std::string_view fname = trim(f.substr(0, eq));
        if (fname.empty()) return fmt::format("missing field name in \"{}\"", f);
        if (auto e = check_name("field name", fname); !e.empty()) return e;
        m.name = std::string(fname);
        if (eq != std::string_view::npos) {
          std::string_view v = trim(f.substr(eq + 1));
          if (v.empty()) return fmt::format("missing value for field \"{}\"", fname);
          m.value = unquote(v);
        }
        out.fields.push_back(std::move(m));
      }
    } else if (inner.find('}') != std::string_view::npos) {
      return "unmatched '}'";
    }
    if (rest.empty()) {
      out.lvl = level_filter::trace;
    } else if (rest.front() == '=') {
      std::string_view l = trim(rest.substr(1));
      auto lvl = parse_level_filter(l);
      if (!lvl) return level_error(l);
      out.lvl = *lvl;
    } else {
      return fmt::format("unexpected \"{}\" after ']'", rest);
    }
    return {};
  }
  std::size_t eq = d.find('=');
  if (eq == std::string_view::npos) {
    if (auto lvl = parse_level_filter(d)) {
      out.lvl = *lvl;  // default directive
      return {};
    }
    if (auto e = check_name("target", d); !e.empty()) return e;
    out.target = std::string(d);
    out.lvl = level_filter::trace;
    return {};
  }
  std::string_view target = trim(d.substr(0, eq));
  std::string_view l = trim(d.substr(eq + 1));
  if (target.empty()) return "missing target before '='";
  if (auto e = check_name("target", target); !e.empty()) return e;
  auto lvl = parse_level_filter(l);
  if (!lvl) return level_error(l);
  out.target = std::string(target);
  out.lvl = *lvl;
  return {};
}

bool value_matches(const owned_field& f, const std::string& want) {
  switch (f.kind) {
    case value_kind::str:
    case value_kind::display:
      return f.text == want;
    case value_kind::boolean:
      return want == (f.b ? "true" : "false");
    case value_kind::i64:
      return want == fmt::format_int(f.i).str();
    case value_kind::u64:
      return want == fmt::format_int(f.u).str();
    case value_kind::f64: {
      char* end = nullptr;
      double w = std::strtod(want.c_str(), &end);
      return end != want.c_str() && *end == '\0' && w == f.f;
    }
    default:
      return false;
  }
}

}  // namespace

std::unique_ptr<env_filter::directive_set> env_filter::parse(std::string_view spec,
                                                             const char* source,
                                                             std::vector<std::string>* warnings) {
  auto set = std::make_unique<directive_set>();
  for (std::string_view raw : split_top_level(spec)) {
    std::string_view d = trim(raw);
    if (d.empty()) continue;
    directive dir;
    std::string err = parse_directive(d, dir);
    if (!err.empty()) {
      std::string msg = fmt::format("lucid: {}: ignoring directive \"{}\": {}", source, d, err);
      if (warnings != nullptr) {
        warnings->push_back(std::move(msg));
      } else {
        std::fprintf(stderr, "%s\n", msg.c_str());
      }
      continue;
    }
    set->all.push_back(std::move(dir));
  }
  for (const directive& d : set->all) {
    if (d.in_brackets) {
      set->dynamics.push_back(&d);
      set->dyn_max = most_verbose(set->dyn_max, d.lvl);
    } else {
      set->statics.push_back(&d);
      set->static_max = most_verbose(set->static_max, d.lvl);
    }
  }
  // Longest target first; stable on the reversed order so the last written wins ties.
  std::reverse(set->statics.begin(), set->statics.end());
  std::stable_sort(
      set->statics.begin(), set->statics.end(),
      [](const directive* a, const directive* b) { return a->target.size() > b->target.size(); });
  return set;
}

env_filter::env_filter(std::string_view spec, std::vector<std::string>* warnings) {
  sets_.push_back(parse(spec, source_, warnings));
  current_.store(sets_.back().get(), std::memory_order_release);
}

env_filter::~env_filter() = default;

std::shared_ptr<env_filter> env_filter::from_env(const char* var, std::string_view default_spec) {
  const char* v = std::getenv(var);
  std::string_view spec = (v != nullptr && *v != '\0') ? std::string_view(v) : default_spec;
  return std::make_shared<env_filter>(spec);
}

std::vector<std::string> env_filter::reload(std::string_view spec) {
  std::vector<std::string> warnings;
  {
    std::lock_guard<std::mutex> lock(reload_mutex_);
    sets_.push_back(parse(spec, source_, &warnings));
    // release: the new set is fully built before readers can load it.
    current_.store(sets_.back().get(), std::memory_order_release);
  }
  rebuild_interest();
  return warnings;
}

std::vector<env_filter::directive> env_filter::directives() const {
  return current_.load(std::memory_order_acquire)->all;
}

interest env_filter::register_callsite(const metadata& meta) {
  const directive_set* d = current_.load(std::memory_order_acquire);
  if (enabled_by(meta.lvl, d->static_level(meta.target))) return interest::always;
  if (enabled_by(meta.lvl, d->dyn_max)) return interest::sometimes;
  return interest::never;
}

bool env_filter::enabled(const metadata& meta, const span_record* parent) {
  // acquire: pairs with the release in the constructor and reload.
  const directive_set* d = current_.load(std::memory_order_acquire);
  if (enabled_by(meta.lvl, d->static_level(meta.target))) return true;
  if (parent == nullptr || d->dynamics.empty()) return false;
  std::uint8_t st;
  {
    std::lock_guard<lucid::detail::spin_lock> g(parent->lock);
    st = parent->filter_state[slot_];
  }
  return enabled_by(meta.lvl, static_cast<level_filter>(st));
}

level_filter env_filter::max_level_hint() {
  const directive_set* d = current_.load(std::memory_order_acquire);
  return most_verbose(d->static_max, d->dyn_max);
}

std::uint8_t env_filter::span_level(const directive_set& d, const span_record& rec) const {
  std::uint8_t best = 0;
  std::string_view target = rec.meta->target;
  for (const directive* dir : d.dynamics) {
    if (target.substr(0, dir->target.size()) != dir->target) continue;
    if (dir->span && *dir->span != rec.meta->name) continue;
    bool ok = true;
    for (const field_match& m : dir->fields) {
      const owned_field* f = rec.find(m.name);
      if (f == nullptr || f->kind == value_kind::none ||
          (m.value && !value_matches(*f, *m.value))) {
        ok = false;
        break;
      }
    }
    if (ok) best = std::max(best, static_cast<std::uint8_t>(dir->lvl));
  }
  return best;
}

void env_filter::on_new_span(const span_attributes&, span_record& rec, unsigned slot) {
  const directive_set* d = current_.load(std::memory_order_acquire);
  if (d->dynamics.empty()) return;
  std::uint8_t inherited = 0;
  if (rec.parent != nullptr) {
    std::lock_guard<lucid::detail::spin_lock> g(rec.parent->lock);
    inherited = rec.parent->filter_state[slot];
  }
  std::lock_guard<lucid::detail::spin_lock> g(rec.lock);
  rec.filter_state[slot] = std::max(inherited, span_level(*d, rec));
}

void env_filter::on_record(span_record& rec, std::span<const field_ref>, unsigned slot) {
  const directive_set* d = current_.load(std::memory_order_acquire);
  if (d->dynamics.empty()) return;
  std::lock_guard<lucid::detail::spin_lock> g(rec.lock);
  rec.filter_state[slot] = std::max(rec.filter_state[slot], span_level(*d, rec));
}

}  // namespace lucid::trace
