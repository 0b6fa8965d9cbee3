// The warnings view of lucid-console: what the program's detectors and lints
// reported (deadlocks, all asleep, stalls, lost wakers, ...), oldest first.
#include <curses.h>
#include <fmt/format.h>

#include <sstream>

#include "text.hpp"
#include "views.hpp"

namespace lucid::console::tui {

std::vector<line> warnings_page(const frame& f) {
  std::vector<line> out;
  out.push_back(
      {fmt::format("{} warning{}", f.warnings.size(), f.warnings.size() == 1 ? "" : "s"), A_BOLD});
  for (const wire::timed_warning& w : f.warnings) {
    std::string who = w.w.task == 0 ? "the program" : task_label(f.snap, w.w.task);
    out.push_back({"", 0});
    out.push_back({fmt::format("t={:.1f}s  {}  {}", w.t, w.w.kind, who), A_BOLD});
    std::istringstream in(w.w.message);
    std::string l;
    while (std::getline(in, l))
      out.push_back({"  " + l, 0});
  }
  return out;
}

}  // namespace lucid::console::tui
