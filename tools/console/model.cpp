// lucid-console's model (see model.hpp).
#include "model.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <map>
#include <set>
#include <string_view>

#include "text.hpp"

namespace lucid::console::tui {

result<void> model::apply(std::string_view event_json) {
  std::lock_guard lock(mu_);
  auto r = r_.apply(event_json);
  if (r) ++version_;
  return r;
}

void model::reset() {
  std::lock_guard lock(mu_);
  r_ = wire::replica();
  ++version_;
}

void model::set_status(std::string s) {
  std::lock_guard lock(mu_);
  status_ = std::move(s);
}

std::string model::status() const {
  std::lock_guard lock(mu_);
  return status_;
}

unsigned model::interval_ms() const {
  std::lock_guard lock(mu_);
  return r_.ready() ? r_.process().interval_ms : 1000;
}

std::uint64_t model::version() const {
  std::lock_guard lock(mu_);
  return version_;
}

bool model::take(frame& out, std::uint64_t& version) const {
  std::lock_guard lock(mu_);
  if (version == version_) return false;
  version = version_;
  out.ready = r_.ready();
  out.seq = r_.seq();
  out.t = r_.t();
  out.process = r_.process();
  out.snap = r_.view();
  out.warnings = r_.warnings();
  return true;
}

std::string_view title(task_col c) {
  static constexpr std::string_view k[] = {"ID",    "Warn", "State", "Name",     "Total", "Busy",
                                           "Sched", "Idle", "Polls", "Location", "Fields"};
  return k[static_cast<int>(c)];
}

std::string_view title(res_col c) {
  static constexpr std::string_view k[] = {"ID",      "Kind",    "Created at",
                                           "Holders", "Waiters", "Fill"};
  return k[static_cast<int>(c)];
}

int warnings_of(const frame& f, task_id id) {
  int n = 0;
  for (const wire::timed_warning& w : f.warnings)
    if (w.w.task == id) ++n;
  return n;
}

namespace {

bool matches(const std::vector<std::string>& cells, const std::string& needle) {
  if (needle.empty()) return true;
  for (auto c : {task_col::name, task_col::state, task_col::location, task_col::fields}) {
    if (lower(cells[static_cast<int>(c)]).find(needle) != std::string::npos) return true;
  }
  return false;
}

// Sort key of a task for a column: a number, or a string (numbers first).
bool task_less(const frame& f, const task_row& a, const task_row& b, task_col c) {
  const task_view& x = *a.task;
  const task_view& y = *b.task;
  auto num = [&](double p, double q) { return p != q ? p < q : x.id < y.id; };
  auto str = [&](const std::string& p, const std::string& q) {
    return p != q ? p < q : x.id < y.id;
  };
  const int i = static_cast<int>(c);
  switch (c) {
    case task_col::id:
      return x.id < y.id;
    case task_col::warn:
      return num(warnings_of(f, x.id), warnings_of(f, y.id));
    case task_col::total:
      return num(x.stats.total_s, y.stats.total_s);
    case task_col::busy:
      return num(x.stats.busy_s, y.stats.busy_s);
    case task_col::sched:
      return num(x.stats.scheduled_s, y.stats.scheduled_s);
    case task_col::idle:
      return num(x.stats.idle_s, y.stats.idle_s);
    case task_col::polls:
      return num(double(x.stats.polls), double(y.stats.polls));
    default:
      return str(a.cells[i], b.cells[i]);
  }
}

}  // namespace

std::vector<task_row> task_rows(const frame& f, const view_state& v) {
  std::vector<task_row> rows;
  const std::string needle = lower(v.filter);
  auto add = [&](const task_view& t, bool finished) {
    task_row r;
    r.task = &t;
    r.cells.resize(static_cast<int>(task_col::count));
    auto cell = [&](task_col c) -> std::string& { return r.cells[static_cast<int>(c)]; };
    cell(task_col::id) = std::to_string(t.id);
    int w = warnings_of(f, t.id);
    cell(task_col::warn) = w > 0 ? fmt::format("!{}", w) : "";
    cell(task_col::state) = t.state;
    cell(task_col::name) = t.name;
    if (t.stats.known) {
      cell(task_col::total) = duration(t.stats.total_s);
      cell(task_col::busy) = duration(t.stats.busy_s);
      cell(task_col::sched) = duration(t.stats.scheduled_s);
      cell(task_col::idle) = duration(t.stats.idle_s);
      cell(task_col::polls) = std::to_string(t.stats.polls);
    }
    cell(task_col::location) = where(t.spawned_at);
    cell(task_col::fields) =
        finished ? fmt::format("ended {} ago", duration(t.finished_ago_s)) : doing(f.snap, t);
    if (matches(r.cells, needle)) rows.push_back(std::move(r));
  };
  for (const task_view& t : f.snap.tasks)
    add(t, false);
  if (v.show_finished)
    for (const task_view& t : f.snap.finished)
      add(t, true);

  auto less = [&](const task_row& a, const task_row& b) {
    return v.task_desc ? task_less(f, b, a, v.task_sort) : task_less(f, a, b, v.task_sort);
  };
  std::stable_sort(rows.begin(), rows.end(), less);
  if (!v.tree) return rows;

  // Tree: each row under its parent (when the parent is shown), siblings in sort order.
  std::set<task_id> shown;
  for (const task_row& r : rows)
    shown.insert(r.task->id);
  std::map<task_id, std::vector<const task_row*>> children;
  std::vector<const task_row*> roots;
  for (const task_row& r : rows) {
    if (r.task->parent != 0 && r.task->parent != r.task->id && shown.count(r.task->parent))
      children[r.task->parent].push_back(&r);
    else
      roots.push_back(&r);
  }
  std::vector<task_row> out;
  std::set<task_id> done;
  std::function<void(const task_row*, int)> walk = [&](const task_row* r, int depth) {
    if (!done.insert(r->task->id).second) return;
    out.push_back(*r);
    out.back().depth = depth;
    out.back().cells[static_cast<int>(task_col::name)] =
        std::string(static_cast<std::size_t>(depth) * 2, ' ') + r->task->name;
    for (const task_row* c : children[r->task->id])
      walk(c, depth + 1);
  };
  for (const task_row* r : roots)
    walk(r, 0);
  for (const task_row& r : rows)
    walk(&r, 0);  // a parent cycle: never lose a row
  return out;
}

std::vector<res_row> resource_rows(const frame& f, const view_state& v) {
  std::vector<res_row> rows;
  const std::string needle = lower(v.filter);
  for (const resource_view& r : f.snap.resources) {
    res_row row;
    row.res = &r;
    row.cells.resize(static_cast<int>(res_col::count));
    auto cell = [&](res_col c) -> std::string& { return row.cells[static_cast<int>(c)]; };
    cell(res_col::id) = std::to_string(r.id);
    cell(res_col::kind) = r.kind;
    cell(res_col::location) = where(r.created_at);
    std::string h;
    for (const holder& x : r.holders)
      h += (h.empty() ? "" : ",") + std::to_string(x.task);
    cell(res_col::holders) = h;
    std::string w;
    for (const auto& x : r.waiters)
      w += (w.empty() ? "" : ",") + std::to_string(x.task);
    cell(res_col::waiters) = w;
    cell(res_col::fill) = fill(r.capacity, r.length, r.senders, r.permits, r.readers, r.closed);
    if (!needle.empty()) {
      bool hit = false;
      for (const std::string& c : row.cells)
        hit = hit || lower(c).find(needle) != std::string::npos;
      if (!hit) continue;
    }
    rows.push_back(std::move(row));
  }
  const int i = static_cast<int>(v.res_sort);
  auto key_less = [&](const res_row& a, const res_row& b) {
    switch (v.res_sort) {
      case res_col::id:
        return a.res->id < b.res->id;
      case res_col::holders:
        if (a.res->holders.size() != b.res->holders.size())
          return a.res->holders.size() < b.res->holders.size();
        return a.res->id < b.res->id;
      case res_col::waiters:
        if (a.res->waiters.size() != b.res->waiters.size())
          return a.res->waiters.size() < b.res->waiters.size();
        return a.res->id < b.res->id;
      default:
        return a.cells[i] != b.cells[i] ? a.cells[i] < b.cells[i] : a.res->id < b.res->id;
    }
  };
  std::stable_sort(rows.begin(), rows.end(), [&](const res_row& a, const res_row& b) {
    return v.res_desc ? key_less(b, a) : key_less(a, b);
  });
  return rows;
}

std::vector<std::string> graph_lines(const snapshot& s) {
  std::vector<std::string> out;
  // A resource's kind and fill: from the resource list, or from a wait on it.
  auto res_of = [&](resource_id id) -> std::pair<std::string_view, std::int64_t> {
    if (const resource_view* r = s.resource(id)) return {r->kind, r->length};
    for (const task_view& t : s.tasks)
      if (t.root.waiting && t.root.wait.resource == id)
        return {t.root.wait.kind, t.root.wait.length};
    return {"resource", -1};
  };
  auto res_kind = [&](resource_id id) { return res_of(id).first; };
  auto res_label = [&](resource_id id) { return fmt::format("{}#{}", res_kind(id), id); };
  auto res_role = [&](resource_id id) {
    auto [kind, length] = res_of(id);
    return role_of_holders(kind, length);
  };
  std::set<task_id> in_cycle;
  for (const auto& c : s.cycles)
    in_cycle.insert(c.begin(), c.end());
  // Holders by resource, each once (a resource may be listed for each waiter).
  std::set<std::pair<resource_id, task_id>> held_pairs;
  for (const graph_edge& e : s.edges)
    if (e.kind == graph_edge::type::held_by) held_pairs.emplace(e.resource, e.task);
  std::multimap<resource_id, task_id> held_by(held_pairs.begin(), held_pairs.end());
  auto lockish = [&](resource_id id) {
    std::string_view k = res_kind(id);
    return k == "mutex" || k == "rw_lock" || k == "semaphore";
  };

  int waiting = 0;
  for (const graph_edge& e : s.edges) {
    std::string line;
    if (e.kind == graph_edge::type::waits_on) {
      line = fmt::format("{} --waits on--> {}", task_label(s, e.task), res_label(e.resource));
      auto [lo, hi] = held_by.equal_range(e.resource);
      if (lo == hi && lockish(e.resource)) line += " (no holder)";
      const holder_role role = res_role(e.resource);
      const char* holder_arrow = role == holder_role::receiver ? " --received by--> "
                                 : role == holder_role::sender ? " --sender held by--> "
                                 : role == holder_role::permit ? " --permit held by--> "
                                                               : " --held by--> ";
      for (auto it = lo; it != hi; ++it)
        line += holder_arrow + task_label(s, it->second);
    } else if (e.kind == graph_edge::type::joins) {
      line = fmt::format("{} --joins--> {}", task_label(s, e.task), task_label(s, e.other));
    } else {
      continue;
    }
    if (in_cycle.count(e.task)) line += "   [in cycle]";
    out.push_back(std::move(line));
    ++waiting;
  }
  if (waiting == 0) out.push_back("no task waits on another task or on a resource");
  // Held resources nobody waits on, for completeness.
  std::set<resource_id> waited;
  for (const graph_edge& w : s.edges)
    if (w.kind == graph_edge::type::waits_on) waited.insert(w.resource);
  for (const auto& [res, holder_task] : held_pairs) {
    if (waited.count(res) == 0)
      out.push_back(fmt::format("{} --held by--> {}", res_label(res), task_label(s, holder_task)));
  }
  out.emplace_back();
  if (s.cycles.empty()) out.push_back("no cycles");
  for (const auto& c : s.cycles) {
    std::string line = "CYCLE:";
    for (std::size_t i = 0; i < c.size(); ++i) {
      task_id a = c[i], b = c[(i + 1) % c.size()];
      line += " " + task_label(s, a);
      // The resource between a and b: a waits on it, b holds it.
      std::string via;
      for (const graph_edge& e : s.edges) {
        if (e.kind == graph_edge::type::joins && e.task == a && e.other == b) via = "join";
        if (e.kind != graph_edge::type::waits_on || e.task != a) continue;
        auto [lo, hi] = held_by.equal_range(e.resource);
        for (auto it = lo; it != hi; ++it)
          if (it->second == b) via = res_label(e.resource);
      }
      line += via.empty() ? " -->" : " --> " + via + " -->";
    }
    if (!c.empty()) line += " " + task_label(s, c.front());
    out.push_back(std::move(line));
  }
  return out;
}

}  // namespace lucid::console::tui
