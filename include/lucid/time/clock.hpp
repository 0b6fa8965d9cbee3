// lucid::clock, time_point, duration (lucid/base/clock.hpp) and
// lucid::time::advance: the runtime's clock, and moving a paused clock in tests.
//
// Contract: advance() needs a runtime built with a paused clock
// (runtime::current_thread(true)); it moves virtual time forward by `d`, fires
// every timer that expired, and yields so the woken tasks run before it
// returns. A paused runtime with nothing to run also jumps to the next timer
// by itself (as tokio's paused clock does), unless spawn_blocking work is in
// flight.
#pragma once

#include "lucid/base/clock.hpp"
#include "lucid/rt/spawn.hpp"
#include "lucid/rt/task.hpp"
#include "lucid/time/sleep.hpp"

namespace lucid::time {

/// Moves a paused clock forward by `d` (saturating: advance(hours::max())
/// moves it to the end of time) and lets the woken tasks run.
template <class Rep, class Period>
task<> advance(std::chrono::duration<Rep, Period> d) {
  detail::advance_paused_clock(detail::to_clock_duration(d));
  co_await yield_now{};
}

}  // namespace lucid::time
