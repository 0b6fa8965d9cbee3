// Reporting of exceptions that escape tasks (panics). Private to rt.
#pragma once

#include <exception>
#include <string>

#include "lucid/rt/detail/task_cell.hpp"

namespace lucid::detail {

/// Prints the report for an exception that escaped the detached task `c`.
void report_unobserved_panic(task_cell* c) noexcept;

/// "task 'name' (id N, spawned at file:line)" for reports.
std::string describe_task(const task_cell* c);

/// The message of an exception_ptr: what() for std::exception, else a placeholder.
std::string exception_message(const std::exception_ptr& e);

}  // namespace lucid::detail
