// lucid::trace::registry: the subscriber that stores spans and fans spans and
// events out to composable layers, each with an optional per-layer filter,
// behind optional global filters.
//
//   auto reg = std::make_shared<lucid::trace::registry>();
//   reg->with_filter(lucid::trace::env_filter::from_env())
//       .with(std::make_shared<lucid::trace::fmt_layer>(writer));
//   lucid::trace::set_global_default(reg);
//
// Contract: configure (with, with_filter, set_clock) before installing; after
// that every member is thread-safe. Span records come from a pool (one spin
// lock, no allocation once warm); a record is released when the last handle to
// its span and the last child span are gone. At most 64 layers and 8 filters.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "lucid/base/spin_lock.hpp"
#include "lucid/trace/subscriber.hpp"
#include "lucid/trace/subscriber/layer.hpp"
#include "lucid/trace/subscriber/span_record.hpp"

namespace lucid::trace {

/// A subscriber made of filters and layers.
class registry final : public subscriber {
 public:
  /// Monotonic clock for span timings, in nanoseconds.
  using clock_fn = std::uint64_t (*)() noexcept;

  registry();
  ~registry() override;
  registry(const registry&) = delete;
  registry& operator=(const registry&) = delete;

  /// Adds a layer that sees everything the global filters enable.
  registry& with(std::shared_ptr<layer> l);
  /// Adds a layer that sees only what f (and the global filters) enable.
  registry& with(std::shared_ptr<layer> l, std::shared_ptr<filter> f);
  /// Adds a global filter: what it disables no layer sees.
  registry& with_filter(std::shared_ptr<filter> f);
  /// Replaces the clock used for busy/idle times (tests).
  registry& set_clock(clock_fn clock) noexcept;

  /// The record behind a span handle of this registry.
  static span_record* record_of(span_ref r) noexcept { return static_cast<span_record*>(r.handle); }

  interest register_callsite(const metadata& meta) override;
  bool enabled(const metadata& meta, span_ref parent) override;
  level_filter max_level_hint() override;
  void* new_span(const span_attributes& attrs) override;
  void record(span_ref span, std::span<const field_ref> fields) override;
  void record_follows_from(span_ref span, span_ref cause) override;
  void on_event(const event& e) override;
  void enter(span_ref span) override;
  void exit(span_ref span) override;
  void clone_span(span_ref span) override;
  void close(span_ref span) override;
  void flush() override;

  /// Spans alive now (records in use), for tests and the console.
  std::size_t live_spans() const noexcept;

 private:
  struct layer_entry {
    std::shared_ptr<layer> l;
    std::shared_ptr<filter> f;  // may be null
    unsigned slot;              // f's filter_state slot
  };
  struct filter_entry {
    std::shared_ptr<filter> f;
    unsigned slot;
  };

  span_record* alloc();
  void release(span_record* rec) noexcept;

  std::vector<filter_entry> filters_;
  std::vector<layer_entry> layers_;
  unsigned next_slot_ = 0;
  bool timing_ = false;
  bool any_layer_filter_ = false;
  clock_fn clock_;

  mutable lucid::detail::spin_lock pool_lock_;
  span_record* free_ = nullptr;                    // pool_lock_
  std::vector<std::unique_ptr<span_record>> all_;  // pool_lock_
  std::size_t live_ = 0;                           // pool_lock_
};

}  // namespace lucid::trace
