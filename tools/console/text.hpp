// Text helpers of lucid-console: durations, locations, labels and what a
// task waits on, shortened for table cells.
//
// Contract: pure functions of their arguments; any thread.
#pragma once

#include <string>
#include <string_view>

#include "lucid/console/console.hpp"

namespace lucid::console::tui {

/// A duration in seconds in at most 6 characters: "812ns", "4.5us", "12.3ms", "1.23s", "12m3s".
std::string duration(double seconds);
/// The same, for nanoseconds.
std::string duration_ns(std::uint64_t ns);
/// "file:line", or "?" when unknown.
std::string where(const location& l);
/// "task 7 'sale'" (or "task 7" without a name), looked up in `s`.
std::string task_label(const snapshot& s, task_id id);
/// The task with id `id` (live, then finished), or nullptr.
const task_view* find_task(const snapshot& s, task_id id);
/// "mutex#4" / "join task 9" / "timer": the thing a wait is on.
std::string wait_target(const wait& w);
/// One line: what the task is doing or waiting on, with holders and fill
/// ("mutex#4 held by 9 'b' 3.2s"); "running on worker 2 for 12ms".
std::string doing(const snapshot& s, const task_view& t);
/// Resource fill: "3/16 queued", "2 permits", "closed", "".
std::string fill(std::int64_t capacity, std::int64_t length, std::int64_t senders,
                 std::int64_t permits, std::int64_t readers, int closed);
/// s cut to `width` columns, ending in "~" when cut; `left` keeps the end instead.
std::string fit(std::string_view s, int width, bool left = false);
/// Lower-case ASCII copy.
std::string lower(std::string_view s);

}  // namespace lucid::console::tui
