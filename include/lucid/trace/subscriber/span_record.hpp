// lucid::trace::span_record: what the registry keeps about a live span: its
// metadata, parent, owned field values, cached formatted fields, timings and
// per-filter state. Layers and filters read it.
//
// Contract: meta, id, parent and layer_mask are written once at creation and
// then only read. fields, formatted caches and timings are guarded by `lock`
// (a spin lock: hold it only to copy or update a few values, never while
// calling out). filter_state[slot] is written by the filter owning slot while
// the span is created or recorded, under `lock`, and read with `lock` or on
// the creating thread. Records are pooled by the registry and reused after the
// span closes; ids are never reused.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "lucid/base/spin_lock.hpp"
#include "lucid/trace/field.hpp"
#include "lucid/trace/subscriber.hpp"

namespace lucid::trace {

/// A field value owned by a span record (strings copied, other types formatted).
struct owned_field {
  const char* name = nullptr;
  value_kind kind = value_kind::none;  ///< never `erased`: those are stored as display text
  union {
    std::int64_t i;
    std::uint64_t u;
    double f;
    bool b;
  };
  std::string text;  ///< the string of str / display values

  owned_field() noexcept : i(0) {}
  /// Copies v (formatting an erased value to text).
  void assign(const char* n, const value& v);
  /// A borrowed view (valid while this object is unchanged).
  value view() const noexcept;
};

/// Cached formatted fields, one per output style.
enum class field_style : std::uint8_t { text = 0, json = 1 };

/// The registry's record of one live span.
struct span_record {
  static constexpr unsigned max_filter_slots = 8;

  const metadata* meta = nullptr;
  span_id id = 0;
  span_record* parent = nullptr;  ///< holds a reference on the parent
  std::atomic<std::uint32_t> refs{0};
  std::uint64_t layer_mask = 0;  ///< bit i: layer i sees this span
  std::array<std::uint8_t, max_filter_slots> filter_state{};

  mutable lucid::detail::spin_lock lock;
  std::vector<owned_field> fields;                    ///< lock
  std::array<std::string, 2> formatted;               ///< lock; by field_style
  std::array<bool, 2> formatted_valid{false, false};  ///< lock
  std::uint64_t busy_ns = 0;                          ///< lock; time entered (any thread)
  std::uint64_t idle_ns = 0;                          ///< lock; time alive and not entered
  std::uint64_t last_ns = 0;                          ///< lock; when busy/idle last changed
  std::uint32_t entered = 0;  ///< lock; how many threads/tasks have it entered

  span_record* next_free = nullptr;  ///< pool link (registry only)

  /// The field named name, or nullptr (lock held by the caller).
  const owned_field* find(std::string_view name) const noexcept;
  /// Sets or appends a field and drops the formatted caches (lock held by the caller).
  void set(const char* name, const value& v);
};

}  // namespace lucid::trace
