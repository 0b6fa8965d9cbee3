// lucid::debug panic reports: what is printed when an exception escapes a
// task (or main's root task), with the place it was thrown.
//
//   task 'fetch_data' (id 3, spawned at examples/panic_backtrace.cpp:20) panicked at
//   examples/panic_backtrace.cpp:12: Something went wrong in fetch_data
//   stack backtrace: ...         (per LUCID_BACKTRACE; a note when off)
//   async backtrace: ...         (the task's await chain, when known)
//   spans: ...                   (the task's entered spans, when known)
//
// "panicked at" is the first user frame of the exception's throw-site
// backtrace (exception_origin.hpp), not where the runtime rethrew it.
// The runtime fills a panic_context with plain data, so debug does not depend
// on rt. Formatting symbolizes and allocates: call it off signal handlers.
// Thread safety: all functions may be called from any thread.
#pragma once

#include <cstdint>
#include <exception>
#include <span>
#include <string>
#include <string_view>

#include "lucid/base/source_site.hpp"
#include "lucid/debug/async_backtrace.hpp"
#include "lucid/debug/backtrace_format.hpp"
#include "lucid/debug/captured_trace.hpp"

namespace lucid::debug {

/// The process exit status after an exception escapes main's root task
/// (Rust's panic status).
inline constexpr int panic_exit_status = 101;

/// The task a report is about.
struct task_info {
  std::uint64_t id = 0;
  std::string_view name;  ///< empty: unnamed
  source_site spawn_site;
};

/// Where a panic happened, filled by the runtime. Every field is optional.
struct panic_context {
  const task_info* task = nullptr;  ///< null: not inside a task
  std::string_view thread_name;     ///< used when task is null; empty: the calling thread's name
  std::span<const await_frame> async_backtrace;  ///< innermost first
  std::span<const std::string_view> spans;       ///< entered spans, innermost first, one line each
};

/// A panic, fully described.
struct panic_info {
  panic_context context;
  std::string_view message;                    ///< what() or a type description
  const captured_trace* throw_site = nullptr;  ///< null: unknown
};

/// The message of an exception: what() for std::exception, the string for a
/// thrown const char* or std::string, otherwise "exception of type T".
std::string exception_message(const std::exception_ptr& e);

/// Formats the report of a panic (ends with '\n').
std::string format_panic_report(const panic_info& panic, const report_options& options);

/// Formats the report of the exception `e` (message and throw site taken from
/// it) in `context`.
std::string format_panic_report(const std::exception_ptr& e, const panic_context& context,
                                const report_options& options);

/// Writes the report of `e` to stderr, styled by report_options::from_env(2).
void report_panic(const std::exception_ptr& e, const panic_context& context = {});

/// For an exception escaping main's root task: runs the pre-crash hook
/// (crash_handler.hpp, e.g. a trace flush), writes the report to stderr and
/// exits the process with panic_exit_status (std::exit: atexit handlers and
/// static destructors run). Call it from the thread that owns main, after the
/// runtime's workers have stopped.
[[noreturn]] void exit_on_panic(const std::exception_ptr& e, const panic_context& context = {});

}  // namespace lucid::debug
