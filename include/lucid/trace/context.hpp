// lucid::trace context hooks: the stack of entered spans, which the runtime
// makes per task, and the current task id. This header is for the runtime
// (rt); applications use span.enter() and never call these directly.
//
// Contract:
// - Each thread has a current span stack: its own (thread-local) one, or one
//   the runtime swapped in with exchange_current_stack. span.enter() pushes on
//   the current stack and the guard pops from the stack it pushed on, so a
//   guard held across `co_await` stays with its task even when the task
//   resumes on another worker.
// - The runtime owns one span_stack per task: create it at spawn
//   (create_span_stack(true) makes the spawner's current span the new task's
//   base span, so the task's spans and events get it as parent), swap it in
//   before each resume (`auto prev = exchange_current_stack(task_stack)`) and
//   back out after the resume returns (`exchange_current_stack(prev)`), and
//   destroy it after the task's coroutine frame is destroyed (guards in the
//   frame pop from the stack as they are destroyed). A task spawned outside
//   any span may have no stack until it needs one: it runs on the worker's own
//   (empty) stack, and migrate_own_stack() after the poll moves whatever it
//   left entered into a new stack for it.
// - exchange_current_stack notifies the subscribers: exit for the spans of the
//   stack swapped out (innermost first), enter for those of the stack swapped
//   in (outermost first), so span busy/idle time counts only while the task
//   runs. Both stacks empty: one thread-local load and store, no calls.
// - Thread-locals are read only inside non-inlined functions of the trace
//   library, because Clang may cache a thread_local's address across a
//   coroutine suspension.
// Thread safety: a span_stack is used by one thread at a time (the one running
// its task); the functions act on the calling thread's state.
#pragma once

#include <atomic>
#include <cstdint>

#include "lucid/trace/subscriber.hpp"

namespace lucid::trace::detail {

/// A stack of entered spans (opaque; the runtime holds a pointer per task).
struct span_stack;

/// A new, empty span stack; with inherit_current, the calling thread's current
/// span (if any) becomes its base entry, kept alive until destroy_span_stack.
span_stack* create_span_stack(bool inherit_current = true);

/// Destroys a stack made by create_span_stack (nullptr is ignored). It must not
/// be current on any thread. Entries still on it are released without exit
/// notifications (they were exited when the stack was swapped out).
void destroy_span_stack(span_stack* stack) noexcept;

/// Makes stack the calling thread's current span stack and returns the
/// previous one; nullptr selects the thread's own stack. See the contract for
/// the enter/exit notifications.
span_stack* exchange_current_stack(span_stack* stack) noexcept;

/// For a task that had no stack of its own while it ran (the runtime creates
/// task stacks lazily): if the task left spans entered on the thread's own
/// stack when it suspended, moves them to a new stack (sending their exit
/// notifications) and returns it, for the runtime to swap in on the task's
/// next poll; nullptr (and nothing done) when the own stack is empty or a
/// stack is swapped in. Guards entered on the own stack follow their entries.
span_stack* migrate_own_stack() noexcept;

/// Marks a guard whose span was pushed on a thread's own stack: it pops from
/// whatever stack is current when it exits (see migrate_own_stack).
span_stack* own_stack_marker() noexcept;

/// The calling thread's current span stack (never nullptr).
span_stack* current_stack() noexcept;

/// Number of entries on a stack (for tests and task dumps).
std::size_t stack_depth(const span_stack* stack) noexcept;

/// The id of the innermost entered span on the current stack, 0 if none
/// (for rt: "spawned from within span N").
span_id current_span_id() noexcept;

/// Set once, before the first span is entered on any thread, and never
/// cleared. Until then every span stack is empty, so the runtime skips the
/// calls that would only find that out: current_span_id() at each spawn and
/// migrate_own_stack() after each poll (a program that enters no span pays
/// nothing for span propagation). A global, not a thread-local (see the
/// contract); relaxed is enough: a thread reads entries only from a stack it
/// pushed on itself (the store is sequenced before its push) or one it got
/// with a task (the task's hand-off orders the store before).
extern std::atomic<bool> g_span_entered;
inline bool any_span_entered() noexcept {
  return g_span_entered.load(std::memory_order_relaxed);
}

/// Returns the current task's id, 0 when none; set by the runtime.
using task_id_provider = std::uint64_t (*)() noexcept;

/// Sets (or, with nullptr, clears) the provider events use for task ids.
void set_task_id_provider(task_id_provider provider) noexcept;

/// The calling thread's current task id, 0 when no provider or no task.
std::uint64_t current_task_id() noexcept;

}  // namespace lucid::trace::detail
