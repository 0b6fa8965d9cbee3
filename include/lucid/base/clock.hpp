// lucid::clock, time_point, duration: the clock every lucid deadline is read
// on (timers, timeouts, intervals, the HTTP server's limits).
//
// Contract: a steady, monotonic clock with nanosecond resolution. A runtime
// built with a paused clock (tests) reads a virtual time point on this same
// clock's scale (lucid/time/clock.hpp), so time_points from either compare.
#pragma once

#include <chrono>

namespace lucid {

/// The runtime's clock: steady, or paused (virtual) in tests.
using clock = std::chrono::steady_clock;
using time_point = clock::time_point;
using duration = clock::duration;

}  // namespace lucid
