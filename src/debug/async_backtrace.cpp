// The await-chain tree.
#include <fmt/format.h>

#include "lucid/debug/async_backtrace.hpp"
#include "lucid/debug/symbolize.hpp"

namespace lucid::debug {

std::string format_async_backtrace(std::span<const await_frame> innermost_first,
                                   const report_options& options, unsigned indent) {
  const std::string pad(indent, ' ');
  if (innermost_first.empty()) return pad + "(no await frames)\n";
  std::string out;
  const std::size_t n = innermost_first.size();
  for (std::size_t depth = 0; depth < n; ++depth) {
    const await_frame& f = innermost_first[n - 1 - depth];
    out += pad;
    if (depth == 0) {
      out += "╼ ";
    } else {
      out.append(3 * (depth - 1) + 2, ' ');
      out += "└╼ ";
    }
    const char* fn = f.function != nullptr ? f.function : "<unknown>";
    if (options.color) {
      out += fmt::format("\x1b[1m{}\x1b[0m", fn);
    } else {
      out += fn;
    }
    if (f.running && f.file == nullptr) {
      out += " running, before its first co_await";
    } else if (f.file != nullptr) {
      out += fmt::format("{}{}:{}", f.running ? " running, last await at " : " at ",
                         display_path(f.file), f.line);
    }
    out += '\n';
  }
  return out;
}

}  // namespace lucid::debug
