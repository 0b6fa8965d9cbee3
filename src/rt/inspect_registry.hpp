// The registry of live runtimes that detail::for_each_runtime walks
// (include/lucid/rt/detail/inspect.hpp). Private to rt: schedulers register
// when built and unregister first thing when destroyed.
#pragma once

#include <cstdint>

namespace lucid::detail {

class scheduler;

/// A new runtime's serial number (set before it registers).
std::uint64_t next_runtime_serial() noexcept;
/// Adds s (fully built: inspectors may read it at once); calls the runtime start hook.
void register_runtime(scheduler* s);
/// Removes s; returns once no inspection walks it.
void unregister_runtime(scheduler* s) noexcept;

}  // namespace lucid::detail
