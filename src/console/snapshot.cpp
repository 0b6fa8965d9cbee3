// lucid::console::take_snapshot: every live task of every runtime, read
// through rt's inspection interface, and the wait-for graph built from it.
//
// Contract: runs on the caller's thread. While a task is claimed (see
// lucid/rt/detail/inspect.hpp) this code only copies: the frames' sites are
// string literals, the task's name lives as long as its cell, and a
// resource's header lives as long as a task waits on it. Nothing here
// resumes, frees or blocks a task.
#include <algorithm>
#include <chrono>
#include <functional>
#include <map>
#include <ostream>
#include <set>
#include <string_view>
#include <unordered_map>

#include "console_internal.hpp"
#include "handle_holders.hpp"
#include "lucid/console/console.hpp"
#include "lucid/debug/symbolize.hpp"
#include "lucid/rt/detail/finished_tasks.hpp"
#include "lucid/rt/detail/inspect.hpp"
#include "lucid/rt/detail/task_stats.hpp"

namespace lucid::console {

location detail::make_location(const char* file, const char* function, unsigned line) {
  location l;
  if (file != nullptr) l.file = detail::source_path(file);
  if (function != nullptr) l.function = function;
  l.line = line;
  return l;
}

namespace {

double seconds_since(std::int64_t since_ns, std::int64_t now_ns) {
  if (since_ns <= 0 || now_ns < since_ns) return 0;
  return static_cast<double>(now_ns - since_ns) / 1e9;
}

using detail::make_location;

std::string_view source_name(lucid::detail::wake_source s) {
  switch (s) {
    case lucid::detail::wake_source::task:
      return "task";
    case lucid::detail::wake_source::driver:
      return "driver";
    case lucid::detail::wake_source::foreign:
      return "foreign";
  }
  return "?";
}

/// Copies a resource's fill and lock counts (the same six fields in each type).
template <class From, class To>
void copy_fill(const From& f, To& t) {
  t.capacity = f.capacity;
  t.length = f.length;
  t.senders = f.senders;
  t.permits = f.permits;
  t.readers = f.readers;
  t.closed = f.closed;
}

/// The holders and fill of the resource behind h, into a wait or a resource_view.
template <class To>
void copy_resource(const lucid::detail::resource_header& h, std::int64_t now, To& out) {
  if (h.ops != nullptr && h.ops->holders != nullptr) {
    lucid::detail::holder_info hs[8];
    std::size_t n = h.ops->holders(&h, hs, 8);
    for (std::size_t i = 0; i < n; ++i) {
      holder ho;
      ho.task = hs[i].task;
      ho.acquired_at = make_location(hs[i].site.file, hs[i].site.function, hs[i].site.line);
      ho.held_s = seconds_since(hs[i].since_ns, now);
      out.holders.push_back(std::move(ho));
    }
  }
  if (h.ops != nullptr && h.ops->state != nullptr) {
    lucid::detail::resource_state st;
    h.ops->state(&h, st);
    copy_fill(st, out);
  }
}

/// Resources whose creation site lies in the standard library (std::make_shared):
/// their site and creating stack, resolved once every lock is released (resolve_creations).
using std_creations = std::map<resource_id, std::pair<source_site, std::vector<std::uintptr_t>>>;

using detail::frame_extent;
using detail::handle_addresses;

/// What a walk gathers for after it: the std-made resources' stacks, and
/// the handles and frames that say which tasks hold them.
struct pending_reads {
  std_creations made_in_std;
  std::map<resource_id, handle_addresses> handles;
  std::vector<frame_extent> frames;
};

void copy_wait(const lucid::detail::wait_record& r, std::int64_t now, wait& out,
               pending_reads& pending) {
  std_creations& made_in_std = pending.made_in_std;
  out.kind = r.kind != nullptr ? std::string(r.kind->name) : std::string("?");
  out.joined = r.joined();
  if (const char* what = r.what(); what != nullptr) {
    out.what = r.kind == &lucid::detail::foreign_resource ? debug::demangle(what) : what;
  }
  out.waiting_s = seconds_since(r.since_ns(), now);
  out.woken_by = source_name(r.source());
  if (const lucid::detail::resource_header* h = r.resource) {
    out.resource = h->id;
    out.created_at = make_location(h->site.file, h->site.function, h->site.line);
    if (h->created_stack != nullptr)
      made_in_std.emplace(h->id, std::pair(h->site, detail::creation_stack_of(*h)));
    copy_resource(*h, now, out);
    if (h->ops != nullptr && h->ops->handles != nullptr && pending.handles.count(h->id) == 0) {
      handle_addresses a;
      a.at.resize(8);
      a.count = h->ops->handles(h, a.at.data(), a.at.size());
      a.at.resize(std::min(a.count, a.at.size()));
      if (a.count != 0) pending.handles.emplace(h->id, std::move(a));
    }
  }
}

/// True for the frame of a combinator's adapter (rt/detail/branch.hpp's
/// await_as_task): lucid's own, one line of it, and nothing a user wrote,
/// so chains leave it out (the branch's wait says what it awaits).
bool adapter_frame(const lucid::detail::await_point& a) {
  constexpr std::string_view adapter = "lucid/rt/detail/branch.hpp";
  return a.file != nullptr && std::string_view(a.file).ends_with(adapter);
}

/// The chain of a strand from its leaf outwards, its wait, and its frames' extents.
void copy_strand(const lucid::detail::strand& s, task_id task, std::int64_t now, strand_view& out,
                 pending_reads& pending) {
  for (const lucid::detail::promise_base* p = s.leaf; p != nullptr; p = p->parent_) {
    const lucid::detail::await_point a = p->site();
    if (adapter_frame(a)) continue;
    out.chain.push_back(make_location(a.file, a.function, a.line));
    if (auto f = detail::extent_of(*p, task, a)) pending.frames.push_back(*f);
  }
  if (s.wait != nullptr) {
    out.waiting = true;
    copy_wait(*s.wait, now, out.wait, pending);
  }
}

task_stats_view copy_stats(const lucid::detail::task_stats& st, std::int64_t now) {
  // The stats clock (task_stats.hpp) is read here, not the coarse one.
  task_stats_view v;
  v.known = true;
  v.polls = st.polls.load(std::memory_order_relaxed);
  std::int64_t created = st.created_ns.load(std::memory_order_relaxed);
  std::int64_t end = st.completed_ns.load(std::memory_order_relaxed);
  if (end == 0) end = now;
  v.total_s = end > created ? static_cast<double>(end - created) / 1e9 : 0;
  v.busy_s = static_cast<double>(st.busy_ns_at(end)) / 1e9;
  v.scheduled_s = static_cast<double>(st.scheduled_ns.load(std::memory_order_relaxed)) / 1e9;
  v.idle_s = static_cast<double>(st.idle_ns(end)) / 1e9;
  std::int64_t first = st.first_poll_ns.load(std::memory_order_relaxed);
  if (first != 0 && first >= created)
    v.first_poll_after_s = static_cast<double>(first - created) / 1e9;
  v.wakes_self = st.wakes_by(wake_origin::self);
  v.wakes_other_task = st.wakes_by(wake_origin::other_task);
  v.wakes_runtime = st.wakes_by(wake_origin::runtime);
  v.wakes_external = st.wakes_by(wake_origin::external);
  v.wakers_registered = st.wakers_registered.load(std::memory_order_relaxed);
  v.wakers_released = st.wakers_released.load(std::memory_order_relaxed);
  v.poll_duration_ns = st.poll_duration_ns.snapshot();
  v.scheduled_latency_ns = st.scheduled_latency_ns.snapshot();
  return v;
}

/// The user's line for each resource made in the standard library (see
/// creation_site.cpp), into every wait on it. After the runtimes' and the
/// tasks' claims are released: the first symbolization reads DWARF.
void resolve_creations(const std_creations& made_in_std, snapshot& snap) {
  if (made_in_std.empty()) return;
  std::map<resource_id, location> at;
  for (const auto& [id, made] : made_in_std)
    at.emplace(id, detail::creation_location(made.first, made.second));
  auto fix = [&](strand_view& sv) {
    if (!sv.waiting) return;
    if (auto it = at.find(sv.wait.resource); it != at.end()) sv.wait.created_at = it->second;
  };
  for (task_view& t : snap.tasks) {
    fix(t.root);
    for (strand_view& b : t.branches)
      fix(b);
  }
}

/// The tasks that hold the handles that could end a wait (an empty
/// channel's senders, a semaphore's permits, a full channel's receiver), as
/// that wait's holders (handle_holders.hpp: in a frame, or, in a full
/// snapshot, in a heap range a frame points to), and how many handles there
/// are.
void resolve_handles(pending_reads& pending, bool search_containers, snapshot& snap) {
  if (pending.handles.empty()) return;
  std::map<resource_id, std::set<task_id>> waiting;
  for (const task_view& t : snap.tasks) {
    if (t.root.waiting && pending.handles.count(t.root.wait.resource))
      waiting[t.root.wait.resource].insert(t.id);
    for (const strand_view& b : t.branches)
      if (b.waiting && pending.handles.count(b.wait.resource))
        waiting[b.wait.resource].insert(t.id);
  }
  std::map<resource_id, std::vector<holder>> held =
      detail::locate_holders(pending.handles, pending.frames, search_containers, waiting);
  auto fill = [&](strand_view& sv) {
    if (!sv.waiting) return;
    auto it = pending.handles.find(sv.wait.resource);
    if (it == pending.handles.end() || !sv.wait.holders.empty()) return;
    sv.wait.holders = held[sv.wait.resource];
    sv.wait.handles = static_cast<std::int64_t>(it->second.count);
  };
  for (task_view& t : snap.tasks) {
    fill(t.root);
    for (strand_view& b : t.branches)
      fill(b);
  }
}

/// Resources: the tracker's (aggregation), completed with what the waits
/// show (holders' acquire sites, waiters' await sites, channel state), and
/// the resources tasks wait on that the tracker does not know.
void build_resources(snapshot& snap) {
  std::map<resource_id, resource_view> byid;
  // Where each (resource, task) waiter is in its resource's list: a
  // resource may have 10^5 waiters (every task awaiting one notify), so
  // looking each one up by a scan would make the snapshot quadratic.
  std::map<std::pair<resource_id, task_id>, std::size_t> waiter_at;
  for (resource_view& r : detail::tracked_resources()) {
    for (std::size_t i = 0; i < r.waiters.size(); ++i)
      waiter_at.emplace(std::pair(r.id, r.waiters[i].task), i);
    byid.emplace(r.id, std::move(r));
  }
  auto add = [&](const task_view& t, const strand_view& sv) {
    if (!sv.waiting || sv.wait.resource == 0) return;
    const wait& w = sv.wait;
    resource_view& r = byid[w.resource];
    r.id = w.resource;
    if (r.kind.empty()) r.kind = w.kind;
    if (!r.created_at.known()) r.created_at = w.created_at;
    copy_fill(w, r);
    for (const holder& h : w.holders) {
      auto it = std::find_if(r.holders.begin(), r.holders.end(),
                             [&](const holder& x) { return x.task == h.task; });
      if (it == r.holders.end()) {
        r.holders.push_back(h);
      } else {
        *it = h;
      }
    }
    location at = sv.chain.empty() ? location{} : sv.chain.front();
    auto [it, fresh] = waiter_at.try_emplace(std::pair(w.resource, t.id), r.waiters.size());
    if (fresh) {
      r.waiters.push_back({t.id, w.waiting_s, at});
    } else {
      r.waiters[it->second].at = std::move(at);
      r.waiters[it->second].waiting_s = w.waiting_s;
    }
  };
  for (const task_view& t : snap.tasks) {
    add(t, t.root);
    for (const strand_view& b : t.branches)
      add(t, b);
  }
  for (auto& [id, r] : byid)
    snap.resources.push_back(std::move(r));
}

/// Turns "any of" waits (a receiver whose senders, or a waiter whose
/// semaphore's permits, several tasks hold) into edges where they are stuck:
/// the tasks that are surely stuck are the largest set in which every task's
/// every successor (edges and "any of" holders) is also in the set, found by
/// removing, until nothing changes, each task with a successor outside it
/// (one that is running, woken by a driver, or not waiting on tasks). A
/// task left in it has every holder of its "any of" wait stuck too, so those
/// holders become its edges, and the cycle search finds the loops through
/// them. A task with several branches is kept only if all are stuck (a
/// conservative reading of when_all), which can only miss a cycle.
void resolve_any_of(std::unordered_map<task_id, std::vector<task_id>>& next,
                    const std::unordered_map<task_id, std::set<task_id>>& any_of,
                    const std::set<task_id>& wakeable) {
  if (any_of.empty()) return;
  std::set<task_id> stuck;
  for (const auto& [t, _] : next) {
    if (wakeable.count(t) == 0) stuck.insert(t);
  }
  auto all_stuck = [&](task_id t) {
    if (auto it = next.find(t); it != next.end()) {
      for (task_id u : it->second)
        if (stuck.count(u) == 0) return false;
    }
    if (auto it = any_of.find(t); it != any_of.end()) {
      for (task_id u : it->second)
        if (stuck.count(u) == 0) return false;
    }
    return true;
  };
  for (bool changed = true; changed;) {
    changed = false;
    for (auto it = stuck.begin(); it != stuck.end();) {
      if (all_stuck(*it)) {
        ++it;
      } else {
        it = stuck.erase(it);
        changed = true;
      }
    }
  }
  for (const auto& [t, holders] : any_of) {
    if (stuck.count(t) != 0) next[t].insert(next[t].end(), holders.begin(), holders.end());
  }
}

void build_graph(snapshot& snap) {
  std::unordered_map<task_id, std::vector<task_id>> next;  // task -> tasks it waits for
  std::set<task_id> wakeable;  // tasks some driver or foreign party may wake
  std::set<std::pair<resource_id, task_id>> held;
  std::unordered_map<task_id, std::set<task_id>> any_of;  // "any of these" waits (see add_strand)
  auto add_strand = [&](task_id t, const strand_view& s) {
    if (!s.waiting) return;
    const wait& w = s.wait;
    if (w.woken_by != "task") wakeable.insert(t);
    if (w.joined != 0) {
      snap.edges.push_back({graph_edge::type::joins, t, 0, w.joined});
      next[t].push_back(w.joined);
    }
    if (w.resource != 0) {
      snap.edges.push_back({graph_edge::type::waits_on, t, w.resource, 0});
      // A wait that only a sender or a permit's release can end (handles
      // >= 0) ends when any one of their holders acts: it can be stuck
      // only if every one was found in a task's frame (a holder found in a
      // container is a lead, not proof: it draws its held_by edge, and the
      // wait counts as not located). With one holder task it is an edge
      // like a lock's; with several, an "any of" wait, resolved below.
      std::set<task_id> to;
      std::int64_t in_frames = 0;
      for (const holder& h : w.holders) {
        if (h.task == 0) continue;
        // One held_by edge per (resource, holder), however many wait on it.
        if (held.insert({w.resource, h.task}).second)
          snap.edges.push_back({graph_edge::type::held_by, h.task, w.resource, 0});
        if (h.guessed()) continue;
        to.insert(h.task);
        ++in_frames;
      }
      const bool located = w.handles < 0 || (in_frames != 0 && in_frames == w.handles);
      if (!located || to.empty()) return;
      if (w.handles >= 0 && to.size() > 1) {
        any_of[t].insert(to.begin(), to.end());
        next[t];  // a task with only an "any of" wait is still a candidate
      } else {
        next[t].insert(next[t].end(), to.begin(), to.end());
      }
    }
  };
  for (const task_view& t : snap.tasks) {
    add_strand(t.id, t.root);
    for (const strand_view& b : t.branches)
      add_strand(t.id, b);
  }
  resolve_any_of(next, any_of, wakeable);
  // Cycles among tasks that only other tasks can wake. Each task has few
  // outgoing edges; a DFS from each unvisited node finds every elementary
  // cycle reachable along the first path, which is what a deadlock needs.
  std::unordered_map<task_id, int> color;  // 0 new, 1 on stack, 2 done
  std::vector<task_id> stack;
  std::set<std::vector<task_id>> seen;
  std::function<void(task_id)> dfs = [&](task_id t) {
    color[t] = 1;
    stack.push_back(t);
    auto it = next.find(t);
    if (it != next.end()) {
      for (task_id u : it->second) {
        if (wakeable.count(u) != 0 || next.count(u) == 0) continue;
        if (color[u] == 1) {
          std::vector<task_id> cyc(std::find(stack.begin(), stack.end(), u), stack.end());
          std::rotate(cyc.begin(), std::min_element(cyc.begin(), cyc.end()), cyc.end());
          if (seen.insert(cyc).second) snap.cycles.push_back(cyc);
        } else if (color[u] == 0) {
          dfs(u);
        }
      }
    }
    stack.pop_back();
    color[t] = 2;
  };
  for (const auto& [t, _] : next) {
    if (wakeable.count(t) == 0 && color[t] == 0) dfs(t);
  }
}

}  // namespace

void detail::read_resource(const lucid::detail::resource_header& h, std::int64_t now,
                           resource_view& out) {
  copy_resource(h, now, out);
}

namespace {

/// What the detectors need from a task, read in place (no copy): whether
/// any strand waits, whether only other tasks can end its waits, whether a
/// foreign awaitable holds it, and its oldest wait.
struct wait_summary {
  bool any = false;
  bool only_tasks = true;
  bool foreign = false;
  std::int64_t newest_since = 0;  ///< the most recent wait start: every wait is at least this old
};

void summarize(const lucid::detail::strand& s, wait_summary& w) {
  if (s.wait == nullptr) return;
  w.any = true;
  if (s.wait->source() != lucid::detail::wake_source::task) w.only_tasks = false;
  if (s.wait->source() == lucid::detail::wake_source::foreign) w.foreign = true;
  w.newest_since = std::max(w.newest_since, s.wait->since_ns());
}

}  // namespace

snapshot take_snapshot() {
  return detail::take_snapshot_filtered(-1, nullptr);
}

void dump(std::ostream& out) {
  dump(out, take_snapshot());
}

snapshot detail::take_snapshot_filtered(double min_wait_s, std::size_t* others) {
  snapshot snap;
  snap.aggregation = aggregation_enabled();
  const bool filtered = min_wait_s >= 0;
  snap.all_frames = !filtered;
  const std::int64_t min_wait_ns = static_cast<std::int64_t>(min_wait_s * 1e9);
  // Wait and hold times are coarse-clock stamps (wait_record.hpp): compare
  // with the same steady clock, read once.
  const std::int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                               std::chrono::steady_clock::now().time_since_epoch())
                               .count();
  const std::int64_t stats_now = lucid::detail::stats_now_ns();
  snap.taken_at_s = static_cast<double>(now) / 1e9;
  pending_reads pending;
  lucid::detail::for_each_runtime([&](const lucid::detail::runtime_probe& rt) {
    ++snap.runtimes;
    std::map<const void*, int> polling;  // cell -> worker index
    std::map<const void*, std::uintptr_t> words;
    for (std::size_t i = 0; i < rt.worker_count(); ++i) {
      lucid::detail::worker_probe w = rt.worker(i);
      if (w.polling() != nullptr) {
        polling[w.polling()] = static_cast<int>(w.index);
        words[w.polling()] = w.poll_word;
      }
    }
    rt.for_each_task(
        [&](const lucid::detail::task_probe& t) {
          if (filtered) {
            // Keep only what a detector may report: idle tasks with no wait
            // (lost waker), on a foreign awaitable, or whose every wait only
            // another task can end and has lasted min_wait_s (deadlocks).
            bool keep = false;
            if (t.claimed() && t.state() == lucid::detail::task_run_state::idle &&
                t.root() != nullptr) {
              wait_summary w;
              summarize(*t.root(), w);
              t.for_each_branch([&](const lucid::detail::strand& b) { summarize(b, w); });
              keep = !w.any || w.foreign || (w.only_tasks && now - w.newest_since >= min_wait_ns);
            }
            if (!keep) {
              ++*others;
              return;
            }
          }
          task_view v;
          v.id = t.id();
          v.parent = t.parent();
          v.name = std::string(t.name());
          source_site s = t.spawn_site();
          v.spawned_at = make_location(s.file, s.function, s.line);
          v.state = std::string(lucid::detail::to_string(t.state()));
          v.runtime = rt.serial();
          v.cancel_requested = t.cancel_requested();
          if (auto st = t.stats()) v.stats = copy_stats(*st, stats_now);
          if (t.claimed()) {
            if (const lucid::detail::strand* root = t.root())
              copy_strand(*root, v.id, now, v.root, pending);
            t.for_each_branch([&](const lucid::detail::strand& b) {
              strand_view sv;
              copy_strand(b, v.id, now, sv, pending);
              v.branches.push_back(std::move(sv));
            });
          } else if (auto it = polling.find(t.cell()); it != polling.end()) {
            v.worker = it->second;
            v.running_s = detail::running_for(rt.serial(), static_cast<unsigned>(it->second),
                                              words[t.cell()]);
          }
          snap.tasks.push_back(std::move(v));
        },
        filtered);
  });
  std::sort(snap.tasks.begin(), snap.tasks.end(),
            [](const task_view& a, const task_view& b) { return a.id < b.id; });
  resolve_creations(pending.made_in_std, snap);
  resolve_handles(pending, !filtered, snap);
  build_graph(snap);
  if (filtered) return snap;
  build_resources(snap);
  if (aggregation_enabled()) {
    lucid::detail::finished_tasks::global().for_each([&](const lucid::detail::finished_task& f) {
      task_view v;
      v.id = f.id;
      v.parent = f.parent;
      v.name = f.name;
      v.spawned_at = make_location(f.spawn_site.file, f.spawn_site.function, f.spawn_site.line);
      v.state = f.outcome == task_outcome::value       ? "completed"
                : f.outcome == task_outcome::cancelled ? "cancelled"
                                                       : "panicked";
      if (f.stats) v.stats = copy_stats(*f.stats, stats_now);
      v.finished_ago_s =
          f.completed_ns != 0 ? static_cast<double>(stats_now - f.completed_ns) / 1e9 : -1;
      snap.finished.push_back(std::move(v));
    });
    lucid::detail::runtime_stats rs = lucid::detail::runtime_stats_snapshot(nullptr);
    snap.poll_duration_ns = rs.poll_duration_ns;
    snap.scheduled_latency_ns = rs.scheduled_latency_ns;
  }
  return snap;
}

}  // namespace lucid::console
