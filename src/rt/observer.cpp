// The installed observers (include/lucid/rt/observer.hpp), resource ids, and
// the names of the observer enums.
//
// State: `g_observers` points to the current immutable observer_set (null
// when none), written only under `g_mu` by add/remove. Each walk
// (observer_walk) increments `in` of its thread's stripe, loads g_observers,
// and increments `out` of the same stripe when done. add/remove publish a new
// set, then for every stripe read `in` and wait until `out` reaches it; then
// no walk can still hold the old set, which is freed. `g_observed_events`
// (the union of the installed observers' observed_events, a hint for the
// callback sites) is also written only under `g_mu`, by publish().
//
// Why that suffices (all four operations are seq_cst, so they have one total
// order): a walk whose `in` increment precedes the remover's read of `in` is
// waited for. A walk whose increment follows that read loads g_observers
// after the remover stored the new set, so it never sees the old one.
#include "lucid/rt/observer.hpp"

#include <algorithm>
#include <mutex>
#include <thread>
#include <vector>

#include "lucid/base/assert.hpp"

namespace lucid {

namespace detail {

std::atomic<const observer_set*> g_observers{nullptr};
std::atomic<std::uint32_t> g_observed_events{0};

namespace {

constexpr unsigned kStripes = 32;

struct alignas(64) stripe {
  std::atomic<std::uint64_t> in{0};
  std::atomic<std::uint64_t> out{0};
};
stripe g_stripes[kStripes];
std::atomic<unsigned> g_next_stripe{0};
std::mutex g_mu;  // serialises add/remove

struct thread_walk_state {
  unsigned stripe = g_next_stripe.fetch_add(1, std::memory_order_relaxed) % kStripes;
  unsigned depth = 0;  // walks in progress on this thread (a callback inside a callback)
};
thread_local thread_walk_state tls_walk;

/// Read through a non-inlined accessor (DESIGN.md: Clang and thread_locals).
__attribute__((noinline)) thread_walk_state& walk_state() noexcept {
  return tls_walk;
}

/// An observer_set that owns its array.
struct owned_set : observer_set {
  explicit owned_set(std::vector<observer*> v) : observer_set{0, nullptr}, storage(std::move(v)) {
    size = storage.size();
    items = storage.data();
  }
  std::vector<observer*> storage;
};

/// Publishes the set holding `items` (null when empty), waits until no walk
/// can use the previous one, and frees it. g_mu held.
void publish(std::vector<observer*> items) {
  std::uint32_t events = 0;
  for (const observer* o : items)
    events |= o->observed_events();
  // The union grows before the set is published and shrinks after the old
  // set is gone: in between it is a superset, which only costs a walk.
  // relaxed: a hint (observing(events)); the walk itself is ordered by the stripes.
  g_observed_events.fetch_or(events, std::memory_order_relaxed);
  const owned_set* next = items.empty() ? nullptr : new owned_set(std::move(items));
  const observer_set* prev = g_observers.exchange(next);
  for (auto& s : g_stripes) {
    const std::uint64_t in = s.in.load();
    while (s.out.load() < in)
      std::this_thread::yield();
  }
  delete static_cast<const owned_set*>(prev);  // every published set is an owned_set
  g_observed_events.store(events, std::memory_order_relaxed);
}

std::vector<observer*> current_items() {
  const observer_set* s = g_observers.load();
  if (s == nullptr) return {};
  return std::vector<observer*>(s->begin(), s->end());
}

}  // namespace

observer_walk::observer_walk() noexcept {
  thread_walk_state& t = walk_state();
  stripe_ = t.stripe;
  ++t.depth;
  g_stripes[stripe_].in.fetch_add(1);  // seq_cst: see the top of the file
  set = g_observers.load();
}

observer_walk::~observer_walk() {
  g_stripes[stripe_].out.fetch_add(1);
  --walk_state().depth;
}

std::uint64_t next_resource_id() noexcept {
  static std::atomic<std::uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace detail

void add_observer(observer* o) {
  LUCID_ASSERT(o != nullptr, "lucid::add_observer(nullptr)");
  LUCID_ASSERT(detail::walk_state().depth == 0,
               "lucid::add_observer called from inside an observer callback");
  std::lock_guard l(detail::g_mu);
  std::vector<observer*> items = detail::current_items();
  if (std::find(items.begin(), items.end(), o) != items.end()) return;
  items.push_back(o);
  detail::publish(std::move(items));
}

void remove_observer(observer* o) noexcept {
  LUCID_ASSERT(detail::walk_state().depth == 0,
               "lucid::remove_observer called from inside an observer callback: it would wait "
               "for its own callback to return");
  std::lock_guard l(detail::g_mu);
  std::vector<observer*> items = detail::current_items();
  auto it = std::find(items.begin(), items.end(), o);
  if (it == items.end()) return;
  items.erase(it);
  detail::publish(std::move(items));
}

std::string_view to_string(wake_origin o) noexcept {
  switch (o) {
    case wake_origin::self:
      return "self";
    case wake_origin::other_task:
      return "other_task";
    case wake_origin::runtime:
      return "runtime";
    case wake_origin::external:
      return "external";
  }
  return "?";
}
std::string_view to_string(task_outcome o) noexcept {
  switch (o) {
    case task_outcome::value:
      return "value";
    case task_outcome::exception:
      return "exception";
    case task_outcome::cancelled:
      return "cancelled";
  }
  return "?";
}

}  // namespace lucid
