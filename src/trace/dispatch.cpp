// Dispatch: global and scoped defaults, callsite registration and interest
// rebuilds, and event delivery.
//
// Contract: g_mutex guards the callsite list, the list of live subscribers
// (global default plus every live scoped default) and the graveyard of
// replaced global defaults. The hot paths (dispatch_event, current_dispatch)
// take no lock: they read the thread state and one atomic pointer.
#include <algorithm>
#include <mutex>
#include <vector>

#include "lucid/trace/dispatch.hpp"
#include "lucid/trace/event.hpp"
#include "state.hpp"

namespace lucid::trace::detail {
namespace {

constinit std::mutex g_mutex;
constinit callsite* g_callsites = nullptr;             // guarded by g_mutex
constinit std::atomic<subscriber*> g_global{nullptr};  // the global default
// Live scoped defaults and replaced globals; heap-allocated and never freed so
// that no destructor runs at exit while other threads may still log.
constinit std::vector<subscriber*>* g_scoped = nullptr;                     // g_mutex
constinit std::vector<std::shared_ptr<subscriber>>* g_graveyard = nullptr;  // g_mutex
constinit std::atomic<std::uint64_t> g_next_id_block{1};

constexpr std::uint64_t id_block = 1024;

interest combine(interest a, interest b) noexcept {
  if (a == interest::unregistered) return b;
  return a == b ? a : interest::sometimes;
}

// Interest of all live subscribers for meta; g_mutex held, in_subscriber set.
interest compute_interest(const metadata& meta) noexcept {
  interest r = interest::unregistered;
  auto ask = [&](subscriber* s) {
    interest i = interest::sometimes;
    try {
      i = s->register_callsite(meta);
    } catch (...) {
    }
    r = combine(r, i);
  };
  if (subscriber* g = g_global.load(std::memory_order_acquire)) ask(g);
  if (g_scoped != nullptr) {
    for (subscriber* s : *g_scoped)
      ask(s);
  }
  return r == interest::unregistered ? interest::never : r;
}

// g_mutex held.
void rebuild_locked() noexcept {
  thread_state& ts = tls();
  in_subscriber_guard guard(ts);
  std::uint8_t max = 0;
  auto hint = [&](subscriber* s) {
    level_filter f = level_filter::trace;
    try {
      f = s->max_level_hint();
    } catch (...) {
    }
    max = std::max(max, static_cast<std::uint8_t>(f));
  };
  if (subscriber* g = g_global.load(std::memory_order_acquire)) hint(g);
  if (g_scoped != nullptr) {
    for (subscriber* s : *g_scoped)
      hint(s);
  }
  for (callsite* cs = g_callsites; cs != nullptr; cs = cs->next_) {
    // relaxed: readers tolerate a stale interest (see callsite.hpp).
    cs->interest_.store(static_cast<std::uint8_t>(compute_interest(cs->meta())),
                        std::memory_order_relaxed);
  }
  // relaxed: same reasoning as for interest.
  g_max_level.store(max, std::memory_order_relaxed);
}

}  // namespace

thread_state::~thread_state() {
  for (stack_entry& e : own) {
    if (e.owned) e.sub->close(e.ref);
  }
}

[[gnu::noinline]] thread_state& tls() noexcept {
  thread_local thread_state state;
  return state;
}

subscriber* current_dispatch(thread_state& ts) noexcept {
  if (ts.scoped != nullptr) return ts.scoped;
  // acquire: the subscriber was fully built before it was published.
  return g_global.load(std::memory_order_acquire);
}

span_id next_span_id(thread_state& ts) noexcept {
  if (ts.next_id == ts.end_id) {
    // relaxed: only uniqueness matters, which the atomic RMW gives.
    ts.next_id = g_next_id_block.fetch_add(id_block, std::memory_order_relaxed);
    ts.end_id = ts.next_id + id_block;
  }
  return ts.next_id++;
}

interest register_callsite(callsite& cs) noexcept {
  thread_state& ts = tls();
  if (ts.in_subscriber) return interest::never;  // a subscriber logging: drop, don't cache
  std::lock_guard<std::mutex> lock(g_mutex);
  auto cur = static_cast<interest>(cs.interest_.load(std::memory_order_relaxed));
  if (cur != interest::unregistered) return cur;
  in_subscriber_guard guard(ts);
  interest i = compute_interest(cs.meta());
  cs.next_ = g_callsites;
  g_callsites = &cs;
  cs.interest_.store(static_cast<std::uint8_t>(i), std::memory_order_relaxed);
  return i;
}

void rebuild_all_interest() noexcept {
  if (tls().in_subscriber) return;
  std::lock_guard<std::mutex> lock(g_mutex);
  rebuild_locked();
}

void dispatch_event(callsite& cs, event& e) noexcept {
  thread_state& ts = tls();
  if (ts.in_subscriber) return;
  subscriber* sub = current_dispatch(ts);
  if (sub == nullptr) return;
  e.parent = contextual_parent(ts, sub);
  interest in = cs.get_interest();
  in_subscriber_guard guard(ts);
  try {
    if (in == interest::sometimes && !sub->enabled(cs.meta(), e.parent)) return;
    e.task_id = current_task_id();
    sub->on_event(e);
  } catch (...) {
    // A subscriber failing (out of memory, bad format argument) loses this event only.
  }
}

}  // namespace lucid::trace::detail

namespace lucid::trace {

using namespace detail;

void set_global_default(std::shared_ptr<subscriber> sub) {
  std::lock_guard<std::mutex> lock(g_mutex);
  if (g_graveyard == nullptr) g_graveyard = new std::vector<std::shared_ptr<subscriber>>();
  subscriber* raw = sub.get();
  g_graveyard->push_back(std::move(sub));
  // release: publishes the subscriber's construction to threads that load it.
  g_global.store(raw, std::memory_order_release);
  rebuild_locked();
}

subscriber* global_default() noexcept {
  return g_global.load(std::memory_order_acquire);
}

scoped_default::scoped_default(std::shared_ptr<subscriber> sub) : sub_(std::move(sub)) {
  thread_state& ts = tls();
  prev_ = ts.scoped;
  std::lock_guard<std::mutex> lock(g_mutex);
  if (g_scoped == nullptr) g_scoped = new std::vector<subscriber*>();
  g_scoped->push_back(sub_.get());
  ts.scoped = sub_.get();
  rebuild_locked();
}

scoped_default::~scoped_default() {
  thread_state& ts = tls();
  ts.scoped = prev_;
  std::lock_guard<std::mutex> lock(g_mutex);
  auto it = std::find(g_scoped->begin(), g_scoped->end(), sub_.get());
  if (it != g_scoped->end()) g_scoped->erase(it);
  rebuild_locked();
}

subscriber* current_subscriber() noexcept {
  return current_dispatch(tls());
}

void flush() noexcept {
  thread_state& ts = tls();
  if (ts.in_subscriber) return;
  in_subscriber_guard guard(ts);
  subscriber* g = g_global.load(std::memory_order_acquire);
  try {
    if (ts.scoped != nullptr && ts.scoped != g) ts.scoped->flush();
    if (g != nullptr) g->flush();
  } catch (...) {
  }
}

}  // namespace lucid::trace
