// The tasks table of lucid-console: one row per live task (and per finished
// task the program retains), sorted by the chosen column or as a tree.
#include <curses.h>

#include <algorithm>

#include "views.hpp"

namespace lucid::console::tui {

std::vector<column> task_columns() {
  // Priorities: what stays when the terminal is narrow (lower stays longer).
  return {
      {"ID", 2, false, 0, true},    {"Warn", 4, false, 3},
      {"State", 5, false, 1},       {"Name", 12, true, 2},
      {"Total", 6, false, 6, true}, {"Busy", 6, false, 4, true},
      {"Sched", 6, false, 8, true}, {"Idle", 6, false, 9, true},
      {"Polls", 5, false, 7, true}, {"Location", 14, true, 5, false, true},
      {"Fields", 20, true, 2},
  };
}

void draw_tasks(const frame& f, ui_state& u, region r) {
  std::vector<task_row> rows = task_rows(f, u.vs);
  // Keep the selection on the same task when rows move.
  if (u.task_sel_id != 0) {
    for (int i = 0; i < static_cast<int>(rows.size()); ++i)
      if (rows[i].task->id == u.task_sel_id) u.task_sel = i;
  }
  u.task_sel = std::clamp(u.task_sel, 0, std::max(0, static_cast<int>(rows.size()) - 1));
  u.task_sel_id = rows.empty() ? 0 : rows[u.task_sel].task->id;
  std::vector<std::vector<std::string>> cells;
  cells.reserve(rows.size());
  for (task_row& row : rows)
    cells.push_back(std::move(row.cells));
  draw_table(r, task_columns(), cells, static_cast<int>(u.vs.task_sort), u.vs.task_desc,
             rows.empty() ? -1 : u.task_sel, u.task_first, u.unicode);
  if (rows.empty() && r.height > 2) {
    const char* msg = !f.ready              ? "  (no state yet)"
                      : u.vs.filter.empty() ? "  (no tasks)"
                                            : "  (no task matches the filter)";
    mvaddstr(r.top + 2, r.left, msg);
  }
}

}  // namespace lucid::console::tui
