// lucid::clock, time_point, duration: the clock every lucid deadline is read
// on (timers, timeouts, intervals, the HTTP server's limits).
//
// Contract: a steady, monotonic clock with nanosecond resolution. A runtime
// built with a paused clock (tests) reads a virtual time point on this same
// clock's scale (lucid/time/clock.hpp), so time_points from either compare.
// Deadlines saturate: a duration too long for the clock (duration::max(),
// hours::max()) gives time_point::max(), a deadline that never comes, not
// one that wrapped around into the past.
#pragma once

#include <chrono>
#include <ratio>
#include <type_traits>

namespace lucid {

/// The runtime's clock: steady, or paused (virtual) in tests.
using clock = std::chrono::steady_clock;
using time_point = clock::time_point;
using duration = clock::duration;

namespace detail {

/// `d` on the clock's scale, saturating at duration::max() and min(): a
/// longer duration (hours::max(), a "never" sentinel) would overflow the
/// conversion to nanoseconds.
template <class Rep, class Period>
constexpr duration to_clock_duration(std::chrono::duration<Rep, Period> d) noexcept {
  using D = std::chrono::duration<Rep, Period>;
  if constexpr (std::is_floating_point_v<Rep>) {
    if (d.count() != d.count()) return duration::max();  // NaN: no deadline, not UB
  }
  if constexpr (std::ratio_less_equal_v<Period, duration::period>) {
    return std::chrono::duration_cast<duration>(d);  // as fine or finer: cannot overflow
  } else {
    if (d >= std::chrono::duration_cast<D>(duration::max())) return duration::max();
    if (d <= std::chrono::duration_cast<D>(duration::min())) return duration::min();
    return std::chrono::duration_cast<duration>(d);
  }
}

/// t + d, saturating at time_point::max() (which the timers read as "never")
/// and time_point::min() instead of wrapping around.
constexpr time_point saturating_add(time_point t, duration d) noexcept {
  if (d > duration::zero() && t > time_point::max() - d) return time_point::max();
  if (d < duration::zero() && t < time_point::min() - d) return time_point::min();
  return t + d;
}

}  // namespace detail

}  // namespace lucid
