// Swapping a task's span stack (lucid::trace) in and out around a poll or a
// frame destruction, so that spans entered by a task stay with that task.
//
// Contract: only the thread that owns the task (RUNNING, or the thread
// destroying it) calls these, in pairs, on its own thread.
#pragma once

#include "lucid/trace/context.hpp"
#include "task/cell.hpp"

namespace lucid::detail {

/// Swaps the task's span stack in; returns the thread's previous one.
inline trace::detail::span_stack* enter_trace_context(task_cell* c) noexcept {
  auto* ctx = static_cast<trace::detail::span_stack*>(c->trace_context_);
  return ctx != nullptr ? trace::detail::exchange_current_stack(ctx) : nullptr;
}

/// Swaps it out; a task without a stack gets one if it left spans entered
/// (never before the program's first span: any_span_entered()).
inline void leave_trace_context(task_cell* c, trace::detail::span_stack* prev) noexcept {
  if (c->trace_context_ != nullptr) {
    trace::detail::exchange_current_stack(prev);
  } else if (!trace::detail::any_span_entered()) {
    return;
  } else if (auto* moved = trace::detail::migrate_own_stack()) {
    c->trace_context_ = moved;
  }
}

}  // namespace lucid::detail
