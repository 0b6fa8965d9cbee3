// Level names and parsing.
#include "lucid/trace/level.hpp"

#include <cctype>

namespace lucid::trace {

std::string_view to_string(level l) noexcept {
  switch (l) {
    case level::error:
      return "ERROR";
    case level::warn:
      return "WARN";
    case level::info:
      return "INFO";
    case level::debug:
      return "DEBUG";
    case level::trace:
      return "TRACE";
  }
  return "?";
}

std::string_view to_string(level_filter f) noexcept {
  switch (f) {
    case level_filter::off:
      return "off";
    case level_filter::error:
      return "error";
    case level_filter::warn:
      return "warn";
    case level_filter::info:
      return "info";
    case level_filter::debug:
      return "debug";
    case level_filter::trace:
      return "trace";
  }
  return "?";
}

std::optional<level_filter> parse_level_filter(std::string_view s) noexcept {
  if (s.size() == 1 && s[0] >= '0' && s[0] <= '5') return static_cast<level_filter>(s[0] - '0');
  if (s.size() > 5) return std::nullopt;
  char low[6] = {};
  for (std::size_t i = 0; i < s.size(); ++i) {
    low[i] = static_cast<char>(std::tolower(static_cast<unsigned char>(s[i])));
  }
  std::string_view l(low, s.size());
  if (l == "off") return level_filter::off;
  if (l == "error") return level_filter::error;
  if (l == "warn") return level_filter::warn;
  if (l == "info") return level_filter::info;
  if (l == "debug") return level_filter::debug;
  if (l == "trace") return level_filter::trace;
  return std::nullopt;
}

}  // namespace lucid::trace
