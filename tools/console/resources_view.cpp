// The resources view of lucid-console: every resource (mutexes, semaphores,
// channels, ...) with where it was created, who holds it, who waits on it
// and how full it is; Enter shows one resource's holders and waiters.
#include <curses.h>
#include <fmt/format.h>

#include <algorithm>

#include "text.hpp"
#include "views.hpp"

namespace lucid::console::tui {

std::vector<column> resource_columns() {
  return {
      {"ID", 3, false, 0, true}, {"Kind", 6, false, 1},   {"Created at", 14, true, 4, false, true},
      {"Holders", 7, true, 2},   {"Waiters", 7, true, 3}, {"Fill", 8, true, 5},
  };
}

void draw_resources(const frame& f, ui_state& u, region r) {
  std::vector<res_row> rows = resource_rows(f, u.vs);
  if (u.res_sel_id != 0)
    for (int i = 0; i < static_cast<int>(rows.size()); ++i)
      if (rows[i].res->id == u.res_sel_id) u.res_sel = i;
  u.res_sel = std::clamp(u.res_sel, 0, std::max(0, static_cast<int>(rows.size()) - 1));
  u.res_sel_id = rows.empty() ? 0 : rows[u.res_sel].res->id;
  std::vector<std::vector<std::string>> cells;
  for (res_row& row : rows)
    cells.push_back(std::move(row.cells));
  draw_table(r, resource_columns(), cells, static_cast<int>(u.vs.res_sort), u.vs.res_desc,
             rows.empty() ? -1 : u.res_sel, u.res_first, u.unicode);
  if (rows.empty() && r.height > 2)
    mvaddstr(r.top + 2, r.left,
             f.snap.resources.empty() ? "  (no resources)" : "  (no resource matches the filter)");
}

std::vector<line> resource_detail(const frame& f, resource_id id) {
  std::vector<line> out;
  const resource_view* r = nullptr;
  for (const resource_view& x : f.snap.resources)
    if (x.id == id) r = &x;
  if (r == nullptr) {
    out.push_back({fmt::format("resource {} is gone", id), A_BOLD});
    return out;
  }
  out.push_back({fmt::format("{}#{}", r->kind, r->id), A_BOLD});
  out.push_back({"created at " + where(r->created_at) +
                     (r->created_at.function.empty() ? "" : " in " + r->created_at.function),
                 0});
  std::string fl = fill(r->capacity, r->length, r->senders, r->permits, r->readers, r->closed);
  if (!fl.empty()) out.push_back({"state: " + fl, 0});
  out.push_back({"", 0});
  out.push_back({fmt::format("Holders ({})", r->holders.size()), A_BOLD});
  for (const holder& h : r->holders)
    out.push_back({fmt::format("  {} for {} (acquired at {})", task_label(f.snap, h.task),
                               duration(h.held_s), where(h.acquired_at)),
                   0});
  out.push_back({"", 0});
  out.push_back({fmt::format("Waiters ({})", r->waiters.size()), A_BOLD});
  for (const auto& w : r->waiters)
    out.push_back({fmt::format("  {} for {} (at {})", task_label(f.snap, w.task),
                               duration(w.waiting_s), where(w.at)),
                   0});
  return out;
}

}  // namespace lucid::console::tui
