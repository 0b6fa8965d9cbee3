// lucid::trace::instrument for lucid tasks (the overload of
// lucid/trace/instrument.hpp for lucid::task): runs a task inside a span.
//
// Contract: `co_await lucid::trace::instrument(child(), span)` enters `span`
// for as long as the child runs, across its suspensions: the span is on the
// awaiting task's own span stack, which the runtime swaps out whenever the
// task suspends, so it never shows up in another task's events. For other
// awaitables, lucid/trace/instrument.hpp's generic instrument() is used.
// Cancellation: destroying the task destroys the guard, which exits the span.
#pragma once

#include <utility>

#include "lucid/rt/task.hpp"
#include "lucid/trace/instrument.hpp"
#include "lucid/trace/span.hpp"

namespace lucid::trace {

/// Runs task `t` inside span `s` (chosen over the generic overload for tasks).
///
/// Example:
///   auto span = LUCID_INFO_SPAN("query_db", ("id", id));
///   auto rows = co_await lucid::trace::instrument(query_db(id), span);
template <class T>
lucid::task<T> instrument(lucid::task<T> t, span s) {
  auto guard = s.enter();
  co_return co_await std::move(t);
}

}  // namespace lucid::trace
