// The wait-for graph view of lucid-console: who waits on what and who holds
// it, one line per waiting task, and the cycles (deadlocks) marked.
#include <curses.h>

#include "views.hpp"

namespace lucid::console::tui {

std::vector<line> graph_page(const frame& f) {
  std::vector<line> out;
  out.push_back({"Wait-for graph", A_BOLD});
  out.push_back({"", 0});
  for (std::string& l : graph_lines(f.snap)) {
    int attr = l.rfind("CYCLE:", 0) == 0 ? A_BOLD : 0;
    out.push_back({std::move(l), attr});
  }
  return out;
}

}  // namespace lucid::console::tui
