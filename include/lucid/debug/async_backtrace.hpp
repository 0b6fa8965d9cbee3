// lucid::debug::await_frame and format_async_backtrace: a task's chain of
// awaiting coroutines, printed as a tree like tokio's task dumps.
//
// The runtime fills await_frame values from each promise's await site
// (__builtin_FILE/LINE at await_transform, __builtin_FUNCTION at the frame's
// creation); debug only formats them,
// so it does not depend on rt.
// Thread safety: plain data and pure functions.
#pragma once

#include <span>
#include <string>

#include "lucid/debug/backtrace_format.hpp"

namespace lucid::debug {

/// One coroutine of a task's await chain: the function and the file:line of
/// the co_await it is suspended in. Strings are static (string literals from
/// __builtin_FILE and friends); null means unknown.
///
/// `running`: the frame is not suspended but runs (the innermost frame of a
/// chain captured from inside its task: a panic, a crash, async_backtrace());
/// file:line is then its most recent co_await, and null when it has not
/// reached one yet (function may still be known).
struct await_frame {
  const char* function = nullptr;
  const char* file = nullptr;
  unsigned line = 0;
  bool running = false;
};

/// Formats an await chain given innermost first (the order a promise chain is
/// walked) as a tree with the task's root coroutine at the top:
///
///   ╼ main_task at examples/panic_backtrace.cpp:18
///     └╼ fetch_data running, last await at examples/panic_backtrace.cpp:10
///
/// A running frame that has not awaited yet reads
/// "fetch_data running, before its first co_await".
/// Each line ends with '\n'; an empty chain gives "(no await frames)\n".
/// `indent` spaces prefix every line. Colour per `options.color`.
std::string format_async_backtrace(std::span<const await_frame> innermost_first,
                                   const report_options& options = {}, unsigned indent = 0);

}  // namespace lucid::debug
