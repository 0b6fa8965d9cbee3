// Private: symbolization entry points for the crash handler.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "lucid/debug/symbolize.hpp"

namespace lucid::debug::detail {

/// symbolize(); with try_lock, gives up (empty result) when another caller
/// holds the libdw session, e.g. the crashing thread itself.
std::vector<symbolized_frame> symbolize_locked(std::span<const std::uintptr_t> pcs, bool try_lock);

}  // namespace lucid::debug::detail
