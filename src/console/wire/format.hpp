// The descriptions every console report shares: path display, task labels,
// waits and await chains (format.cpp). Private to src/console.
#pragma once

#include <string>
#include <string_view>

#include "lucid/console/console.hpp"

namespace lucid::console::detail {

/// A source path as every lucid report prints it (relative to the source root).
std::string source_path(const char* file);

/// "file:line" of a location, or "<unknown>".
std::string where(const location& l);
/// "task 7 'sale'" (or "task 7" when unnamed), looked up in `s` by id.
std::string task_label(const snapshot& s, task_id id);
/// " (in fn, at file:line)": where a sender's holder keeps it (holder::acquired_at).
std::string held_in(const location& frame);
/// Who holds a handle, as reports say it: "task 2 'backend' (in fn, at
/// file:line)", or for a holder found in a container "task 2 'backend' via
/// a container in its frame (in fn, at file:line)" (held_via, console.hpp),
/// after "probably " when `say_probably`.
std::string held_by_text(const snapshot& s, const holder& h, bool say_probably);
/// "mutex#4 (created at app.cpp:31)" and, for locks, who holds it; for
/// channels, their fill; for joins, the awaited task.
std::string describe_wait(const snapshot& s, const wait& w);
/// Whether `root`, a task's idle strand, is suspended at an await lucid never
/// saw: every co_await of a lucid task records its site first, so a frame
/// without one was laid out wrongly (docs/debugging.md, "Two GCC 12 bugs").
bool await_unseen(const strand_view& root);
/// The chain lines of a strand ("  ╼ fn at file:line"), each prefixed by `indent`.
std::string describe_chain(const strand_view& v, std::string_view indent);

}  // namespace lucid::console::detail
