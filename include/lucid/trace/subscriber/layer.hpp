// lucid::trace::layer and lucid::trace::filter: composable pieces of a
// registry. A layer observes spans and events (output, metrics); a filter
// decides what is enabled, either for the whole registry (global filter) or
// for one layer (per-layer filter).
//
// Contract: the registry calls them from any thread, concurrently, so
// overrides must be thread-safe. They are added to a registry before it is
// installed and live as long as it. A layer sees only the spans its filter
// enabled (span_record::layer_mask) and the events its filter enabled.
#pragma once

#include <span>

#include "lucid/trace/subscriber.hpp"
#include "lucid/trace/subscriber/span_record.hpp"

namespace lucid::trace {

class registry;

/// Decides which spans and events are enabled.
class filter {
 public:
  virtual ~filter() = default;
  /// Added to a registry, which gives it slot: its index in span_record::filter_state.
  virtual void on_attach(unsigned slot) { (void)slot; }
  /// Cached interest for a callsite. Default: sometimes (ask enabled each time).
  virtual interest register_callsite(const metadata& meta) {
    (void)meta;
    return interest::sometimes;
  }
  /// Whether a span or event at meta is enabled inside parent (nullptr: no span).
  virtual bool enabled(const metadata& meta, const span_record* parent) = 0;
  /// The most verbose level it may enable.
  virtual level_filter max_level_hint() { return level_filter::trace; }
  /// A span was created; slot indexes the record's filter_state for this filter.
  virtual void on_new_span(const span_attributes& attrs, span_record& rec, unsigned slot) {
    (void)attrs;
    (void)rec;
    (void)slot;
  }
  /// Fields were recorded on a span (already stored in rec).
  virtual void on_record(span_record& rec, std::span<const field_ref> fields, unsigned slot) {
    (void)rec;
    (void)fields;
    (void)slot;
  }
};

/// A filter that enables everything up to a level (tracing's LevelFilter).
class max_level_filter final : public filter {
 public:
  explicit max_level_filter(level_filter max) noexcept : max_(max) {}
  interest register_callsite(const metadata& meta) override {
    return enabled_by(meta.lvl, max_) ? interest::always : interest::never;
  }
  bool enabled(const metadata& meta, const span_record*) override {
    return enabled_by(meta.lvl, max_);
  }
  level_filter max_level_hint() override { return max_; }

 private:
  level_filter max_;
};

/// Observes spans and events. Every hook defaults to doing nothing.
class layer {
 public:
  virtual ~layer() = default;
  /// Added to reg as layer number index (its bit in span_record::layer_mask).
  virtual void on_attach(registry& reg, unsigned index) {
    (void)reg;
    (void)index;
  }
  virtual void on_new_span(const span_attributes& attrs, span_record& rec) {
    (void)attrs;
    (void)rec;
  }
  virtual void on_record(span_record& rec, std::span<const field_ref> fields) {
    (void)rec;
    (void)fields;
  }
  virtual void on_follows_from(span_record& rec, span_record& cause) {
    (void)rec;
    (void)cause;
  }
  /// An enabled event; parent is the record of its span, or nullptr.
  virtual void on_event(const event& e, span_record* parent) {
    (void)e;
    (void)parent;
  }
  virtual void on_enter(span_record& rec) { (void)rec; }
  virtual void on_exit(span_record& rec) { (void)rec; }
  /// The span's last handle was dropped; rec's timings are final.
  virtual void on_close(span_record& rec) { (void)rec; }
  /// True if the registry should measure busy/idle time of spans for it.
  virtual bool wants_timing() const { return false; }
  virtual void flush() {}
};

}  // namespace lucid::trace
