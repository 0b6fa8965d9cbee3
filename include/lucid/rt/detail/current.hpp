// lucid::detail::current_task_id: the id of the task the calling thread polls.
//
// Contract: a non-inlined accessor (see DESIGN.md: Clang may cache a
// thread_local's address across a suspension point), callable from any
// thread; 0 outside a task. Used by observer events (acquire/release).
#pragma once

#include "lucid/rt/observer.hpp"

namespace lucid::detail {

/// The id of the task being polled on this thread, or 0.
task_id current_task_id() noexcept;

}  // namespace lucid::detail
