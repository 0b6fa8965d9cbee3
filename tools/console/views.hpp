// The views of lucid-console: the tasks table, a task's detail, the
// resources table (and a resource's detail), the warnings, the wait-for
// graph and the help. Tables draw themselves; the other views are pages of
// lines that the UI scrolls.
//
// Contract: UI thread only; each view reads a frame (a copy of the state)
// and the UI's own state, never the shared model.
#pragma once

#include <vector>

#include "draw.hpp"
#include "model.hpp"

namespace lucid::console::tui {

/// Which view is on screen.
enum class screen { tasks, task_detail, resources, resource_detail, warnings, graph, help };

/// The UI's state between frames.
struct ui_state {
  screen current = screen::tasks;
  view_state vs;
  int task_sel = 0, task_first = 0;
  task_id task_sel_id = 0;
  int res_sel = 0, res_first = 0;
  resource_id res_sel_id = 0;
  task_id detail_task = 0;
  resource_id detail_res = 0;
  int scroll = 0;  ///< the first line of a page view
  bool unicode = true;
  bool replay = false;
};

/// The tasks table (tasks_view.cpp); keeps the selection on the same task.
void draw_tasks(const frame& f, ui_state& u, region r);
/// The columns of the tasks table.
std::vector<column> task_columns();

/// One task: its times, histograms, wakes, await chain and what it waits on (detail_view.cpp).
std::vector<line> task_detail(const frame& f, task_id id, int width, bool unicode);

/// The resources table and one resource (resources_view.cpp).
void draw_resources(const frame& f, ui_state& u, region r);
std::vector<column> resource_columns();
std::vector<line> resource_detail(const frame& f, resource_id id);

/// The warnings, oldest first (warnings_view.cpp).
std::vector<line> warnings_page(const frame& f);

/// The wait-for graph as text, cycles marked (graph_view.cpp).
std::vector<line> graph_page(const frame& f);

/// Every key and every column explained (help_view.cpp).
std::vector<line> help_page(bool replay);

}  // namespace lucid::console::tui
