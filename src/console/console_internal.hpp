// What the console's files share: the watchdog's state the snapshot reads,
// and (from wire/format.hpp) the descriptions every report uses. Private to
// src/console.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "lucid/console/console.hpp"
#include "wire/format.hpp"

namespace lucid::console::detail {

/// How long worker `worker` of runtime `serial` has been in the poll whose
/// word is `word`, as the watchdog observed it; -1 when unknown.
double running_for(std::uint64_t serial, unsigned worker, std::uintptr_t word);

/// A snapshot for the detectors: only idle tasks with no wait, on a foreign
/// awaitable, or waiting only on other tasks for at least min_wait_s (a
/// cheap walk: queued tasks are not claimed); `others` counts the rest.
/// With min_wait_s < 0, the full take_snapshot().
snapshot take_snapshot_filtered(double min_wait_s, std::size_t* others);

/// Every resource the tracker knows (empty unless aggregation is on).
std::vector<resource_view> tracked_resources();

/// Records a warning (bounded list) for console::warnings().
void add_warning(warning w);

}  // namespace lucid::console::detail
