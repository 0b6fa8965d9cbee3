// A task's detail in lucid-console: its times, poll-duration and
// scheduling-latency histograms as bar charts with p50/p90/p99/max, wakes and
// wakers, what it waits on and who holds that, and its await chain.
#include <curses.h>
#include <fmt/format.h>

#include "text.hpp"
#include "views.hpp"

namespace lucid::console::tui {

namespace {

void add_wait(std::vector<line>& out, const snapshot& s, const wait& w) {
  std::string head = "waits on " + wait_target(w);
  if (w.joined != 0) head = "waits on the join handle of " + task_label(s, w.joined);
  if (w.created_at.known()) head += " (created at " + where(w.created_at) + ")";
  if (!w.what.empty()) head += " [" + w.what + "]";
  head += " for " + duration(w.waiting_s);
  if (!w.woken_by.empty()) head += ", woken by " + w.woken_by;
  out.push_back({head, A_BOLD});
  for (const holder& h : w.holders) {
    if (h.by_handle()) {
      std::string in = h.acquired_at.function.empty() ? "" : " in " + h.acquired_at.function;
      // Found in a container or an object: a guess (console.hpp, holder).
      if (std::string_view via = held_via(h); !via.empty()) in = std::string(via) + "," + in;
      out.push_back({fmt::format("  {} {}held by {}{} (at {})", holder_noun(role_of_holders(w)),
                                 h.guessed() ? "probably " : "", task_label(s, h.task), in,
                                 where(h.acquired_at)),
                     0});
      continue;
    }
    if (role_of_holders(w) == holder_role::receiver) {
      out.push_back({fmt::format("  received by {} (received at {})", task_label(s, h.task),
                                 where(h.acquired_at)),
                     0});
      continue;
    }
    out.push_back({fmt::format("  held by {} for {} (acquired at {})", task_label(s, h.task),
                               duration(h.held_s), where(h.acquired_at)),
                   0});
  }
  std::string f = fill(w.capacity, w.length, w.senders, w.permits, w.readers, w.closed);
  if (!f.empty()) out.push_back({"  state: " + f, 0});
}

void add_chain(std::vector<line>& out, const std::vector<location>& chain) {
  if (chain.empty()) out.push_back({"  (no await chain: not suspended)", 0});
  for (std::size_t i = 0; i < chain.size(); ++i) {
    const location& l = chain[i];
    std::string fn = l.function.empty() ? "" : "  in " + l.function;
    out.push_back({fmt::format("  {:>2}. at {}{}", i, where(l), fn), 0});
  }
}

void add_histogram(std::vector<line>& out, const char* name, const histogram_snapshot& h, int width,
                   bool unicode) {
  if (h.count() == 0) {
    out.push_back({fmt::format("{}: no samples", name), A_BOLD});
    return;
  }
  out.push_back({fmt::format("{}: p50 {}  p90 {}  p99 {}  max {}  ({} samples)", name,
                             duration_ns(h.percentile(50)), duration_ns(h.percentile(90)),
                             duration_ns(h.percentile(99)), duration_ns(h.max()), h.count()),
                 A_BOLD});
  for (line& l : histogram_chart(h, width, 4, unicode))
    out.push_back(std::move(l));
}

}  // namespace

std::vector<line> task_detail(const frame& f, task_id id, int width, bool unicode) {
  std::vector<line> out;
  const task_view* t = find_task(f.snap, id);
  if (t == nullptr) {
    out.push_back(
        {fmt::format("task {} is gone (it ended and is no longer retained)", id), A_BOLD});
    out.push_back({"Esc: back to the tasks", 0});
    return out;
  }
  out.push_back({fmt::format("{}  [{}]{}", task_label(f.snap, t->id), t->state,
                             t->cancel_requested ? "  cancel requested" : ""),
                 A_BOLD});
  std::string origin = "spawned at " + where(t->spawned_at);
  if (!t->spawned_at.function.empty()) origin += " in " + t->spawned_at.function;
  if (t->parent != 0) origin += " by " + task_label(f.snap, t->parent);
  out.push_back({origin + fmt::format("  (runtime {})", t->runtime), 0});
  if (t->state == "running")
    out.push_back(
        {fmt::format("running on worker {} for {}", t->worker, duration(t->running_s)), 0});
  if (t->finished_ago_s >= 0) out.push_back({"ended " + duration(t->finished_ago_s) + " ago", 0});

  const task_stats_view& st = t->stats;
  if (st.known) {
    out.push_back({fmt::format("Total {}  Busy {}  Scheduled {}  Idle {}  Polls {}  first poll "
                               "after {}",
                               duration(st.total_s), duration(st.busy_s), duration(st.scheduled_s),
                               duration(st.idle_s), st.polls, duration(st.first_poll_after_s)),
                   0});
    out.push_back(
        {fmt::format("Wakes {}: self {}, other task {}, runtime {}, external {}   "
                     "Wakers: {} registered, {} released, {} alive",
                     st.wakes(), st.wakes_self, st.wakes_other_task, st.wakes_runtime,
                     st.wakes_external, st.wakers_registered, st.wakers_released,
                     st.wakers_registered - std::min(st.wakers_registered, st.wakers_released)),
         0});
  } else {
    out.push_back({"no statistics (spawned before aggregation was on)", A_DIM});
  }
  int nw = warnings_of(f, t->id);
  if (nw > 0)
    out.push_back({fmt::format("{} warning{} (w to list)", nw, nw == 1 ? "" : "s"), A_BOLD});
  out.push_back({"", 0});

  if (t->root.waiting) add_wait(out, f.snap, t->root.wait);
  out.push_back({"Await chain (innermost first):", A_BOLD});
  add_chain(out, t->root.chain);
  for (std::size_t b = 0; b < t->branches.size(); ++b) {
    out.push_back({fmt::format("Branch {}:", b + 1), A_BOLD});
    if (t->branches[b].waiting) add_wait(out, f.snap, t->branches[b].wait);
    add_chain(out, t->branches[b].chain);
  }
  out.push_back({"", 0});
  if (st.known) {
    add_histogram(out, "Poll duration", st.poll_duration_ns, width, unicode);
    out.push_back({"", 0});
    add_histogram(out, "Scheduled latency", st.scheduled_latency_ns, width, unicode);
  }
  return out;
}

}  // namespace lucid::console::tui
