// lucid::async_backtrace: the current task's chain of awaiting coroutines.
//
// Contract: innermost frame first; each entry is a coroutine with the
// function, file and line of the co_await it is suspended at. The innermost
// frame is the one that runs (it called async_backtrace): it is marked
// `running` and its file:line is its most recent co_await, null before its
// first one. Inside a select/timeout/when_all
// branch the chain continues into the frame that awaits the combinator. Empty
// outside a task. Format it with lucid::debug::format_async_backtrace (a tree
// like tokio's task dumps).
// Thread safety: reads the calling thread's current task only.
#pragma once

#include <vector>

#include "lucid/debug/async_backtrace.hpp"

namespace lucid {

/// The calling task's await chain, innermost first.
std::vector<debug::await_frame> async_backtrace();

/// The current task's await chain formatted as a tree.
std::string format_async_backtrace();

}  // namespace lucid
