// lucid::trace::metadata, interest and the static callsite behind every event
// and span macro.
//
// Contract: a callsite is a function-local `static constinit` object, one per
// macro expansion: it needs no global constructor. It registers itself with
// the dispatch machinery the first time it is reached while its level passes
// the global maximum level; registration and interest rebuilds take one global
// mutex. The cached interest and the maximum level are read with relaxed loads:
// a reader racing a rebuild may use the previous value for that one event,
// which is the same outcome as the event running a moment earlier.
// Thread safety: all functions are safe from any thread.
#pragma once

#include <atomic>
#include <cstdint>

#include "lucid/trace/level.hpp"

namespace lucid::trace {

/// Whether a callsite makes an event or a span.
enum class callsite_kind : std::uint8_t { event, span };

/// A subscriber's cached answer for one callsite.
enum class interest : std::uint8_t {
  unregistered = 0,  ///< not yet asked (internal)
  never = 1,         ///< disabled until interest is rebuilt
  sometimes = 2,     ///< ask subscriber::enabled on each hit (depends on context)
  always = 3,        ///< enabled until interest is rebuilt
};

/// Static description of one event or span callsite; lives for the whole program.
struct metadata {
  const char* name;    ///< span name, or "event"
  const char* target;  ///< module path-like target, e.g. "app" or "net.http"
  const char* file;
  unsigned line;
  level lvl;
  callsite_kind kind;
};

namespace detail {

/// The most verbose level any live subscriber may enable (0 = off: no
/// subscriber). The first check of every macro.
inline constinit std::atomic<std::uint8_t> g_max_level{0};

/// True when lvl passes the global maximum level: one relaxed load and one compare.
/// relaxed: a stale value only delays the effect of a filter change by one event.
inline bool level_enabled(level lvl) noexcept {
  return static_cast<std::uint8_t>(lvl) <= g_max_level.load(std::memory_order_relaxed);
}

class callsite;

/// Registers cs (first hit) and returns its interest. Not inlined: cold path.
interest register_callsite(callsite& cs) noexcept;

/// One static object per macro expansion.
class callsite {
 public:
  constexpr explicit callsite(metadata m) noexcept : meta_(m) {}
  callsite(const callsite&) = delete;
  callsite& operator=(const callsite&) = delete;

  const metadata& meta() const noexcept { return meta_; }

  /// The cached interest, registering the callsite on its first hit.
  interest get_interest() noexcept {
    // relaxed: see the file contract.
    auto i = static_cast<interest>(interest_.load(std::memory_order_relaxed));
    if (__builtin_expect(i == interest::unregistered, 0)) return register_callsite(*this);
    return i;
  }

  // Internal state, touched only by the registration code in dispatch.cpp.
  metadata meta_;
  std::atomic<std::uint8_t> interest_{0};
  callsite* next_ = nullptr;  // registered list, guarded by the registration mutex
};

/// Recomputes every registered callsite's interest and the global maximum level.
void rebuild_all_interest() noexcept;

}  // namespace detail

/// Recomputes cached interest and the maximum level from the live subscribers.
/// Call after changing a filter in place (env_filter::reload does it for you).
/// Thread safety: any thread; serialised with registration.
inline void rebuild_interest() noexcept {
  detail::rebuild_all_interest();
}

/// The current global maximum level (the most verbose any subscriber enables).
inline level_filter max_level() noexcept {
  return static_cast<level_filter>(detail::g_max_level.load(std::memory_order_relaxed));
}

}  // namespace lucid::trace
