// registry: span records, layer fan-out, global and per-layer filters.
//
// Contract: see lucid/trace/subscriber/registry.hpp. Reference counting: a
// record starts with one reference (the span handle); clone_span adds one,
// close drops one; each child holds one on its parent. The last drop runs the
// layers' on_close and returns the record to the pool.
#include "lucid/trace/subscriber/registry.hpp"

#include <chrono>
#include <mutex>

#include <fmt/format.h>

#include "lucid/base/assert.hpp"

namespace lucid::trace {

// ---- span_record ----------------------------------------------------------

void owned_field::assign(const char* n, const value& v) {
  name = n;
  switch (v.kind) {
    case value_kind::none:
      kind = value_kind::none;
      break;
    case value_kind::i64:
      kind = v.kind;
      i = v.i;
      break;
    case value_kind::u64:
      kind = v.kind;
      u = v.u;
      break;
    case value_kind::f64:
      kind = v.kind;
      f = v.f;
      break;
    case value_kind::boolean:
      kind = v.kind;
      b = v.b;
      break;
    case value_kind::str:
    case value_kind::display:
      kind = v.kind;
      text.assign(v.s.data, v.s.size);
      break;
    case value_kind::erased: {
      fmt::memory_buffer buf;
      v.e.fn(fmt::appender(buf), v.e.obj);
      kind = value_kind::display;
      text.assign(buf.data(), buf.size());
      break;
    }
  }
}

value owned_field::view() const noexcept {
  switch (kind) {
    case value_kind::i64:
      return value::of_i64(i);
    case value_kind::u64:
      return value::of_u64(u);
    case value_kind::f64:
      return value::of_f64(f);
    case value_kind::boolean:
      return value::of_bool(b);
    case value_kind::str:
    case value_kind::display:
      return value::of_str(text, kind);
    default:
      return value{};
  }
}

const owned_field* span_record::find(std::string_view name) const noexcept {
  for (const owned_field& f : fields) {
    if (name == f.name) return &f;
  }
  return nullptr;
}

void span_record::set(const char* name, const value& v) {
  formatted_valid = {false, false};
  for (owned_field& f : fields) {
    if (std::string_view(name) == f.name) {
      f.assign(name, v);
      return;
    }
  }
  fields.emplace_back().assign(name, v);
}

// ---- registry ---------------------------------------------------------------

namespace {

std::uint64_t steady_ns() noexcept {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                        std::chrono::steady_clock::now().time_since_epoch())
                                        .count());
}

interest combine(interest a, interest b) noexcept {
  if (a == interest::unregistered) return b;
  return a == b ? a : interest::sometimes;
}

}  // namespace

registry::registry() : clock_(&steady_ns) {}

registry::~registry() = default;

registry& registry::with(std::shared_ptr<layer> l) {
  return with(std::move(l), nullptr);
}

registry& registry::with(std::shared_ptr<layer> l, std::shared_ptr<filter> f) {
  LUCID_ASSERT(layers_.size() < 64, "a registry holds at most 64 layers");
  unsigned slot = 0;
  if (f) {
    LUCID_ASSERT(next_slot_ < span_record::max_filter_slots, "a registry holds at most 8 filters");
    slot = next_slot_++;
    any_layer_filter_ = true;
    f->on_attach(slot);
  }
  timing_ = timing_ || l->wants_timing();
  l->on_attach(*this, static_cast<unsigned>(layers_.size()));
  layers_.push_back(layer_entry{std::move(l), std::move(f), slot});
  return *this;
}

registry& registry::with_filter(std::shared_ptr<filter> f) {
  LUCID_ASSERT(next_slot_ < span_record::max_filter_slots, "a registry holds at most 8 filters");
  f->on_attach(next_slot_);
  filters_.push_back(filter_entry{std::move(f), next_slot_++});
  return *this;
}

registry& registry::set_clock(clock_fn clock) noexcept {
  clock_ = clock;
  return *this;
}

interest registry::register_callsite(const metadata& meta) {
  interest r = interest::unregistered;
  for (auto& fe : filters_) {
    interest i = fe.f->register_callsite(meta);
    if (i == interest::never) return interest::never;
    r = combine(r, i);
  }
  interest layers = interest::unregistered;
  for (auto& le : layers_) {
    layers = combine(layers, le.f ? le.f->register_callsite(meta) : interest::always);
  }
  if (layers == interest::unregistered || layers == interest::never) return interest::never;
  return combine(r, layers);
}

bool registry::enabled(const metadata& meta, span_ref parent) {
  const span_record* p = record_of(parent);
  for (auto& fe : filters_) {
    if (!fe.f->enabled(meta, p)) return false;
  }
  for (auto& le : layers_) {
    if (!le.f || le.f->enabled(meta, p)) return true;
  }
  return false;
}

level_filter registry::max_level_hint() {
  level_filter layers = level_filter::off;
  for (auto& le : layers_) {
    layers = most_verbose(layers, le.f ? le.f->max_level_hint() : level_filter::trace);
  }
  level_filter r = layers;
  for (auto& fe : filters_) {
    level_filter h = fe.f->max_level_hint();
    if (static_cast<std::uint8_t>(h) < static_cast<std::uint8_t>(r)) r = h;
  }
  return r;
}

span_record* registry::alloc() {
  std::lock_guard<lucid::detail::spin_lock> g(pool_lock_);
  ++live_;
  if (free_ != nullptr) {
    span_record* r = free_;
    free_ = r->next_free;
    r->next_free = nullptr;
    return r;
  }
  all_.push_back(std::make_unique<span_record>());
  return all_.back().get();
}

void* registry::new_span(const span_attributes& attrs) {
  span_record* rec = alloc();
  span_record* parent = record_of(attrs.parent);
  rec->meta = attrs.meta;
  rec->id = attrs.id;
  rec->parent = parent;
  // relaxed: the record is not shared until new_span returns its handle.
  rec->refs.store(1, std::memory_order_relaxed);
  // relaxed: a child holds its parent alive; ordering comes from the handle hand-off.
  if (parent != nullptr) parent->refs.fetch_add(1, std::memory_order_relaxed);
  rec->filter_state = {};
  rec->busy_ns = rec->idle_ns = 0;
  rec->entered = 0;
  rec->formatted_valid = {false, false};
  rec->fields.clear();
  for (const field_ref& f : attrs.fields)
    rec->fields.emplace_back().assign(f.name, f.val);
  if (timing_) rec->last_ns = clock_();

  std::uint64_t mask = 0;
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    auto& le = layers_[i];
    if (!le.f || le.f->enabled(*attrs.meta, parent)) mask |= std::uint64_t{1} << i;
  }
  rec->layer_mask = mask;
  for (auto& fe : filters_)
    fe.f->on_new_span(attrs, *rec, fe.slot);
  if (any_layer_filter_) {
    for (auto& le : layers_) {
      if (le.f) le.f->on_new_span(attrs, *rec, le.slot);
    }
  }
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    if (mask & (std::uint64_t{1} << i)) layers_[i].l->on_new_span(attrs, *rec);
  }
  return rec;
}

void registry::record(span_ref span, std::span<const field_ref> fields) {
  span_record* rec = record_of(span);
  if (rec == nullptr) return;
  {
    std::lock_guard<lucid::detail::spin_lock> g(rec->lock);
    for (const field_ref& f : fields)
      rec->set(f.name, f.val);
  }
  for (auto& fe : filters_)
    fe.f->on_record(*rec, fields, fe.slot);
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    auto& le = layers_[i];
    if (le.f) le.f->on_record(*rec, fields, le.slot);
    if (rec->layer_mask & (std::uint64_t{1} << i)) le.l->on_record(*rec, fields);
  }
}

void registry::record_follows_from(span_ref span, span_ref cause) {
  span_record* rec = record_of(span);
  span_record* c = record_of(cause);
  if (rec == nullptr || c == nullptr) return;
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    if (rec->layer_mask & (std::uint64_t{1} << i)) layers_[i].l->on_follows_from(*rec, *c);
  }
}

void registry::on_event(const event& e) {
  span_record* parent = record_of(e.parent);
  for (auto& le : layers_) {
    if (!le.f || le.f->enabled(*e.meta, parent)) le.l->on_event(e, parent);
  }
}

void registry::enter(span_ref span) {
  span_record* rec = record_of(span);
  if (rec == nullptr) return;
  if (timing_) {
    std::uint64_t now = clock_();
    std::lock_guard<lucid::detail::spin_lock> g(rec->lock);
    if (rec->entered++ == 0) {
      rec->idle_ns += now - rec->last_ns;
      rec->last_ns = now;
    }
  }
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    if (rec->layer_mask & (std::uint64_t{1} << i)) layers_[i].l->on_enter(*rec);
  }
}

void registry::exit(span_ref span) {
  span_record* rec = record_of(span);
  if (rec == nullptr) return;
  if (timing_) {
    std::uint64_t now = clock_();
    std::lock_guard<lucid::detail::spin_lock> g(rec->lock);
    if (rec->entered > 0 && --rec->entered == 0) {
      rec->busy_ns += now - rec->last_ns;
      rec->last_ns = now;
    }
  }
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    if (rec->layer_mask & (std::uint64_t{1} << i)) layers_[i].l->on_exit(*rec);
  }
}

void registry::clone_span(span_ref span) {
  span_record* rec = record_of(span);
  // relaxed: like shared_ptr copies, the caller already holds a reference.
  if (rec != nullptr) rec->refs.fetch_add(1, std::memory_order_relaxed);
}

void registry::close(span_ref span) {
  release(record_of(span));
}

void registry::release(span_record* rec) noexcept {
  while (rec != nullptr) {
    // acq_rel: the last owner must see every write other owners made before dropping.
    if (rec->refs.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
    if (timing_) {
      std::uint64_t now = clock_();
      std::lock_guard<lucid::detail::spin_lock> g(rec->lock);
      if (rec->entered == 0) {
        rec->idle_ns += now - rec->last_ns;
      } else {
        rec->busy_ns += now - rec->last_ns;
      }
      rec->last_ns = now;
    }
    for (std::size_t i = 0; i < layers_.size(); ++i) {
      if (rec->layer_mask & (std::uint64_t{1} << i)) {
        try {
          layers_[i].l->on_close(*rec);
        } catch (...) {
        }
      }
    }
    span_record* parent = rec->parent;
    rec->parent = nullptr;
    rec->meta = nullptr;
    {
      std::lock_guard<lucid::detail::spin_lock> g(pool_lock_);
      --live_;
      rec->next_free = free_;
      free_ = rec;
    }
    rec = parent;
  }
}

void registry::flush() {
  for (auto& le : layers_)
    le.l->flush();
}

std::size_t registry::live_spans() const noexcept {
  std::lock_guard<lucid::detail::spin_lock> g(pool_lock_);
  return live_;
}

}  // namespace lucid::trace
