// The runtime's private task-stats hooks (the public side, and who writes
// which field, is lucid/rt/detail/task_stats.hpp). Each is called only when
// task_stats_enabled(); each does nothing for a task without a stats block.
#pragma once

#include <cstdint>

#include "lucid/rt/detail/task_stats.hpp"
#include "lucid/rt/observer.hpp"

namespace lucid::detail {

struct task_cell;

/// Gives c a stats block (the spawner, before c is first queued).
void stats_on_spawn(task_cell* c);
/// Counts a wake of c by origin o (any thread); c's block, or null.
task_stats* stats_count_wake(task_cell* c, wake_origin o) noexcept;
/// Records c's completion and pushes it into the finished-task store (the
/// finishing thread, before the cell can be freed). now_ns: the stats
/// clock's time if the caller has it, or 0.
void stats_on_finish(task_cell* c, task_outcome o, std::int64_t now_ns) noexcept;

}  // namespace lucid::detail
