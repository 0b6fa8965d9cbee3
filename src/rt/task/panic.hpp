// Reporting exceptions that escape tasks (panics), through lucid::debug.
// Private to rt.
#pragma once

#include <exception>
#include <span>
#include <string>

#include "lucid/debug/crash_handler.hpp"
#include "lucid/debug/panic_report.hpp"
#include "task/cell.hpp"

namespace lucid::detail {

/// Prints the report for an exception that escaped the task `c` and that no
/// join handle will observe.
void report_unobserved_panic(task_cell* c) noexcept;

/// Where c's exception came from: the task it was thrown in (c, or a task it
/// joined) and the await chain where it left its first frame. Valid while c
/// lives.
struct panic_origin {
  debug::task_info task;
  std::span<const debug::await_frame> chain;
};
panic_origin origin_of(const task_cell* c) noexcept;
void free_panic_chain(task_cell::panic_chain* chain) noexcept;
/// The joining task (the calling thread's) inherits where c's exception came from.
void inherit_panic_origin(const task_cell* c) noexcept;

/// The crash handler's context provider: the task running on this thread.
void crash_context_of_thread(debug::crash_context& out) noexcept;

/// "task 'name' (id N, spawned at file:line)" for messages.
std::string describe_task(const task_cell* c);

/// The message of an exception_ptr: what() for std::exception, else a description.
std::string exception_message(const std::exception_ptr& e);

}  // namespace lucid::detail
