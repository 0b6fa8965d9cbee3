// lucid::trace::level and level_filter: how verbose an event or span is, and
// the most verbose one a filter lets through.
//
// Contract: plain values; every function is constexpr or pure and thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace lucid::trace {

/// The verbosity of an event or span; error is the least verbose.
enum class level : std::uint8_t { error = 1, warn = 2, info = 3, debug = 4, trace = 5 };

/// The most verbose level a filter enables; off enables nothing.
enum class level_filter : std::uint8_t {
  off = 0,
  error = 1,
  warn = 2,
  info = 3,
  debug = 4,
  trace = 5
};

/// True when an event at l passes a filter f.
constexpr bool enabled_by(level l, level_filter f) noexcept {
  return static_cast<std::uint8_t>(l) <= static_cast<std::uint8_t>(f);
}

/// The filter that enables exactly l and everything less verbose.
constexpr level_filter to_filter(level l) noexcept {
  return static_cast<level_filter>(l);
}

/// The more verbose of two filters.
constexpr level_filter most_verbose(level_filter a, level_filter b) noexcept {
  return static_cast<std::uint8_t>(a) >= static_cast<std::uint8_t>(b) ? a : b;
}

/// "TRACE", "DEBUG", "INFO", "WARN", "ERROR" (upper case, as printed in logs).
std::string_view to_string(level l) noexcept;

/// "off", "error", ... "trace".
std::string_view to_string(level_filter f) noexcept;

/// Parses a level filter name (case-insensitive: off, error, warn, info, debug,
/// trace) or digit (0 = off ... 5 = trace); nullopt when it is none of them.
std::optional<level_filter> parse_level_filter(std::string_view s) noexcept;

}  // namespace lucid::trace
