// What the console's files share: path display, task and wait descriptions
// used by the dump and by every detector report, and the watchdog's state the
// snapshot reads. Private to src/console.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "lucid/console/console.hpp"

namespace lucid::console::detail {

/// A source path as every lucid report prints it (relative to the source root).
std::string source_path(const char* file);

/// "file:line" of a location, or "<unknown>".
std::string where(const location& l);
/// "task 7 'sale'" (or "task 7" when unnamed), looked up in `s` by id.
std::string task_label(const snapshot& s, task_id id);
/// "mutex#4 (created at app.cpp:31)" and, for locks, who holds it; for
/// channels, their fill; for joins, the awaited task.
std::string describe_wait(const snapshot& s, const wait& w);
/// The chain lines of a strand ("  ╼ fn at file:line"), each prefixed by `indent`.
std::string describe_chain(const strand_view& v, std::string_view indent);

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
