// The registry of live runtimes: detail::for_each_runtime walks its
// inspectable ones (include/lucid/rt/detail/inspect.hpp), and
// with_live_runtime finds any of them by serial. Private to rt: every
// scheduler registers when built and unregisters first thing when destroyed.
#pragma once

#include <cstdint>

namespace lucid::detail {

class scheduler;

/// A new runtime's serial number (set before it registers).
std::uint64_t next_runtime_serial() noexcept;
/// Adds s (fully built: inspectors may read it at once). An inspectable one
/// (runtime_options::inspectable) is walked by for_each_runtime, and the
/// runtime start hook is called for it.
void register_runtime(scheduler* s);
/// Removes s; returns once no inspection walks it and no with_live_runtime
/// call runs on it.
void unregister_runtime(scheduler* s) noexcept;
/// Calls fn on the runtime with this serial if it is still registered, under
/// the registry's lock (so it cannot be destroyed meanwhile: fn must be
/// short and must not walk the registry). For code that may outlive its
/// runtime (a join handle dropped after the runtime was destroyed).
void with_live_runtime(std::uint64_t serial, void (*fn)(scheduler&) noexcept) noexcept;

}  // namespace lucid::detail
