// The registry of live runtimes that detail::for_each_runtime walks
// (include/lucid/rt/detail/inspect.hpp). Private to rt: schedulers register
// when built and unregister first thing when destroyed.
#pragma once

#include <cstdint>

namespace lucid::detail {

class scheduler;

/// Adds s; calls the runtime start hook; returns s's serial number.
std::uint64_t register_runtime(scheduler* s);
/// Removes s; returns once no inspection walks it.
void unregister_runtime(scheduler* s) noexcept;

}  // namespace lucid::detail
