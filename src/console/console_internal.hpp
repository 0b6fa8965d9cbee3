// What the console's files share: the watchdog's state the snapshot reads,
// and (from wire/format.hpp) the descriptions every report uses. Private to
// src/console.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "lucid/console/console.hpp"
#include "lucid/rt/detail/wait_record.hpp"
#include "wire/format.hpp"

namespace lucid::console::detail {

/// A location as reports print it: `file` relative to the source root.
location make_location(const char* file, const char* function, unsigned line);

/// How long worker `worker` of runtime `serial` has been in the poll whose
/// word is `word`, as the watchdog observed it; -1 when unknown.
double running_for(std::uint64_t serial, unsigned worker, std::uintptr_t word);

/// A snapshot for the detectors: only idle tasks with no wait, on a foreign
/// awaitable, or waiting only on other tasks for at least min_wait_s (a
/// cheap walk: queued tasks are not claimed); `others` counts the rest.
/// With min_wait_s < 0, the full take_snapshot().
snapshot take_snapshot_filtered(double min_wait_s, std::size_t* others);

/// The calling thread's resources and waits are not tracked from now on
/// (the console server's thread: its own sockets are not the program's).
void untrack_this_thread() noexcept;

/// Reads the holders (with their acquire sites) and the fill of the resource
/// behind `h` through its ops into `out`; `now`: steady clock ns (holder
/// times are coarse-clock stamps). The resource must be alive.
void read_resource(const lucid::detail::resource_header& h, std::int64_t now, resource_view& out);

/// A copy of the stack that created the resource behind `h` (empty unless its
/// site lies in the standard library; resource_header::created_stack). The
/// resource must be alive.
std::vector<std::uintptr_t> creation_stack_of(const lucid::detail::resource_header& h);
/// Where a resource was created: `site`, or, when that lies in the standard
/// library (std::make_shared), the first frame of the user's in `stack`
/// (creation_stack_of; creation_site.cpp). Symbolizes: call it outside the
/// runtime's and the tracker's locks and the tasks' claims.
location creation_location(const source_site& site, const std::vector<std::uintptr_t>& stack);

/// Every resource the tracker knows (empty unless aggregation is on).
std::vector<resource_view> tracked_resources();

/// Records a warning (bounded list) for console::warnings().
void add_warning(warning w);
/// The warnings added since `*seen` (a count of all ever added; start at 0),
/// at most the bounded list's; advances `*seen`.
std::vector<warning> warnings_after(std::uint64_t* seen);

}  // namespace lucid::console::detail
