// lucid::trace::env_filter: a filter configured by a LUCID_LOG string with the
// grammar of RUST_LOG / tracing's EnvFilter.
//
//   filter    := directive ("," directive)*
//   directive := level                       e.g. "info"  (default level)
//              | target                      e.g. "net"   (all levels in net*)
//              | target "=" level            e.g. "net.http=debug"
//              | [target] "[" [span] ["{" field ("," field)* "}"] "]" ["=" level]
//                                            e.g. "app[request{id=42}]=trace"
//   field     := name | name "=" value       (value may be "quoted", with commas)
//   level     := off | error | warn | info | debug | trace | 0..5  (any case)
//
// Targets match by prefix; the longest matching target wins (the last one
// written among equals). Without a default directive, targets not named are
// off. A span directive enables, at its level, every span and event inside a
// span with that name (and target prefix) whose fields match (a field value
// matches its formatted value, strings unquoted); fields recorded later count
// from then on. A malformed directive is skipped with one warning naming it
// and the bad part; the other directives still apply.
//
// Contract: enabled() and register_callsite() read an immutable directive set
// through an atomic pointer; reload() swaps in a new set (the old ones are
// kept until the filter is destroyed) and rebuilds callsite interest.
// Thread safety: all members are safe from any thread.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lucid/trace/subscriber/layer.hpp"

namespace lucid::trace {

/// A filter parsed from a LUCID_LOG-style string.
class env_filter final : public filter {
 public:
  /// One parsed directive (exposed for tests and diagnostics).
  struct field_match {
    std::string name;
    std::optional<std::string> value;
  };
  struct directive {
    std::string target;               ///< empty: any target
    std::optional<std::string> span;  ///< span name, for span directives
    std::vector<field_match> fields;
    bool in_brackets = false;  ///< written with [...]: a span directive
    level_filter lvl = level_filter::trace;
  };

  /// Parses spec; each malformed directive adds one message to *warnings, or
  /// is printed to stderr ("lucid: LUCID_LOG: ...") when warnings is nullptr.
  explicit env_filter(std::string_view spec, std::vector<std::string>* warnings = nullptr);
  ~env_filter() override;

  /// The filter of environment variable var (default_spec when unset or empty);
  /// warnings go to stderr.
  static std::shared_ptr<env_filter> from_env(const char* var = "LUCID_LOG",
                                              std::string_view default_spec = "info");

  /// Replaces the directives and rebuilds interest; returns the warnings.
  std::vector<std::string> reload(std::string_view spec);

  /// The directives now in force, in the order written.
  std::vector<directive> directives() const;

  interest register_callsite(const metadata& meta) override;
  bool enabled(const metadata& meta, const span_record* parent) override;
  level_filter max_level_hint() override;
  void on_attach(unsigned slot) override { slot_ = slot; }
  void on_new_span(const span_attributes& attrs, span_record& rec, unsigned slot) override;
  void on_record(span_record& rec, std::span<const field_ref> fields, unsigned slot) override;

 private:
  struct directive_set;

  static std::unique_ptr<directive_set> parse(std::string_view spec, const char* source,
                                              std::vector<std::string>* warnings);
  std::uint8_t span_level(const directive_set& d, const span_record& rec) const;

  std::atomic<const directive_set*> current_{nullptr};
  std::mutex reload_mutex_;
  std::vector<std::unique_ptr<directive_set>> sets_;  // reload_mutex_; every set ever used
  const char* source_ = "LUCID_LOG";
  unsigned slot_ = 0;
};

}  // namespace lucid::trace
