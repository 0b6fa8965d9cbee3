// GET /api/v1/graph: the wait-for graph of a snapshot as nodes and edges,
// with the edges and nodes of every cycle marked (docs/console-protocol.md).
//
// A cycle of the snapshot is a list of task ids, each waiting for the next
// (the last for the first): through a resource the next one holds, or
// through the next one's join handle. Its path in the graph is therefore
// task -> resource -> task ... (or task -> task for a join).
//
// Contract: a pure function of the snapshot.
#include <map>
#include <set>
#include <string>
#include <utility>

#include "codec.hpp"
#include "format.hpp"

namespace lucid::console::wire {

using detail::json;

namespace {

std::string task_node(task_id id) {
  return "task:" + std::to_string(id);
}
std::string resource_node(resource_id id) {
  return "resource:" + std::to_string(id);
}

/// Where task `t` awaits resource `r` (or joins task `joined`): the
/// innermost frame of the strand that waits on it.
location await_site(const task_view* t, resource_id r, task_id joined) {
  if (t == nullptr) return {};
  auto matches = [&](const strand_view& s) {
    return s.waiting &&
           ((r != 0 && s.wait.resource == r) || (joined != 0 && s.wait.joined == joined));
  };
  if (matches(t->root) && !t->root.chain.empty()) return t->root.chain.front();
  for (const strand_view& b : t->branches) {
    if (matches(b) && !b.chain.empty()) return b.chain.front();
  }
  return {};
}

}  // namespace

std::string encode_graph(const snapshot& s, double t) {
  std::map<task_id, const task_view*> tasks;
  for (const task_view& v : s.tasks)
    tasks.emplace(v.id, &v);
  // Resources as the waits and the tracker know them (kind, creation, holders).
  std::map<resource_id, resource_view> resources;
  for (const resource_view& r : s.resources)
    resources.emplace(r.id, r);
  auto note_wait = [&](const wait& w) {
    if (w.resource == 0 || resources.count(w.resource) != 0) return;
    resource_view r;
    r.id = w.resource;
    r.kind = w.kind;
    r.created_at = w.created_at;
    r.holders = w.holders;
    resources.emplace(r.id, std::move(r));
  };
  for (const task_view& v : s.tasks) {
    if (v.root.waiting) note_wait(v.root.wait);
    for (const strand_view& b : v.branches)
      if (b.waiting) note_wait(b.wait);
  }

  // The cycles' nodes and edges, as node-id pairs.
  std::set<std::pair<std::string, std::string>> cycle_edges;
  std::set<std::string> cycle_nodes;
  json cycles = json::array();
  auto holds = [&](resource_id r, task_id holder) {
    for (const graph_edge& e : s.edges) {
      if (e.kind == graph_edge::type::held_by && e.resource == r && e.task == holder) return true;
    }
    return false;
  };
  for (const auto& c : s.cycles) {
    json path = json::array();
    for (std::size_t i = 0; i < c.size(); ++i) {
      const task_id a = c[i], b = c[(i + 1) % c.size()];
      path.push_back(task_node(a));
      cycle_nodes.insert(task_node(a));
      bool linked = false;
      for (const graph_edge& e : s.edges) {
        if (e.task != a) continue;
        if (e.kind == graph_edge::type::joins && e.other == b) {
          cycle_edges.emplace(task_node(a), task_node(b));
          linked = true;
          break;
        }
        if (e.kind == graph_edge::type::waits_on && holds(e.resource, b)) {
          const std::string rn = resource_node(e.resource);
          path.push_back(rn);
          cycle_nodes.insert(rn);
          cycle_edges.emplace(task_node(a), rn);
          cycle_edges.emplace(rn, task_node(b));
          linked = true;
          break;
        }
      }
      (void)linked;
    }
    cycles.push_back(std::move(path));
  }

  json nodes = json::array(), edges = json::array();
  std::set<std::string> named;
  auto add_task = [&](task_id id) {
    const std::string n = task_node(id);
    if (!named.insert(n).second) return;
    auto it = tasks.find(id);
    nodes.push_back(json{{"id", n},
                         {"type", "task"},
                         {"task", id},
                         {"label", console::detail::task_label(s, id)},
                         {"state", it != tasks.end() ? it->second->state : std::string("gone")},
                         {"in_cycle", cycle_nodes.count(n) != 0}});
  };
  auto add_resource = [&](resource_id id) {
    const std::string n = resource_node(id);
    if (!named.insert(n).second) return;
    auto it = resources.find(id);
    const std::string kind = it != resources.end() ? it->second.kind : std::string("resource");
    nodes.push_back(
        json{{"id", n},
             {"type", "resource"},
             {"resource", id},
             {"label", kind + "#" + std::to_string(id)},
             {"kind", kind},
             {"created_at",
              it != resources.end() ? detail::encode(it->second.created_at) : json(nullptr)},
             {"in_cycle", cycle_nodes.count(n) != 0}});
  };
  auto add_edge = [&](const std::string& from, const std::string& to, const char* kind,
                      const location& at) {
    edges.push_back(json{{"from", from},
                         {"to", to},
                         {"kind", kind},
                         {"in_cycle", cycle_edges.count({from, to}) != 0},
                         {"at", detail::encode(at)}});
  };
  for (const graph_edge& e : s.edges) {
    switch (e.kind) {
      case graph_edge::type::waits_on: {
        add_task(e.task);
        add_resource(e.resource);
        auto it = tasks.find(e.task);
        add_edge(task_node(e.task), resource_node(e.resource), "waits_on",
                 await_site(it != tasks.end() ? it->second : nullptr, e.resource, 0));
        break;
      }
      case graph_edge::type::held_by: {
        add_resource(e.resource);
        add_task(e.task);
        location at;
        if (auto it = resources.find(e.resource); it != resources.end()) {
          for (const holder& h : it->second.holders)
            if (h.task == e.task) at = h.acquired_at;
        }
        add_edge(resource_node(e.resource), task_node(e.task), "held_by", at);
        break;
      }
      case graph_edge::type::joins: {
        add_task(e.task);
        add_task(e.other);
        auto it = tasks.find(e.task);
        add_edge(task_node(e.task), task_node(e.other), "joins",
                 await_site(it != tasks.end() ? it->second : nullptr, 0, e.other));
        break;
      }
    }
  }
  return detail::dump(
      json{{"t", t}, {"nodes", std::move(nodes)}, {"edges", std::move(edges)}, {"cycles", cycles}});
}

}  // namespace lucid::console::wire
