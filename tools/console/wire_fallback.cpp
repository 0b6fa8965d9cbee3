// A reader-only stand-in for the wire library's replica (lucid_console_wire)
// until that library is in this tree: decodes the events of
// docs/console-protocol.md into a console::snapshot. CMake compiles it only
// when the target lucid_console_wire does not exist; the encoder side is not
// provided.
//
// Contract: as wire.hpp's replica: bad input is an error and leaves the
// replica unchanged. Histograms are rebuilt from their buckets (each bucket's
// count at its lower bound), so min, max and sum are approximate.
// Thread safety: none.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <deque>
#include <map>

#include "lucid/console/wire.hpp"

namespace lucid::console::wire {

namespace {

using js = nlohmann::json;

location loc(const js& j) {
  location l;
  if (j.is_null()) return l;
  l.file = j.at("file").get<std::string>();
  l.line = j.at("line").get<unsigned>();
  if (j.contains("function") && j["function"].is_string()) l.function = j["function"];
  return l;
}

histogram_snapshot hist(const js& j) {
  histogram_snapshot h;
  if (j.is_null()) return h;
  for (const js& b : j.at("buckets"))
    h.record(b.at(0).get<std::uint64_t>(), b.at(2).get<std::uint64_t>());
  return h;
}

holder hold(const js& j) {
  holder h;
  h.task = j.at("task").get<task_id>();
  h.acquired_at = loc(j.at("acquired_at"));
  h.held_s = j.at("held_s").get<double>();
  return h;
}

template <class T>
void fill(T& o, const js& j) {
  o.capacity = j.at("capacity").get<std::int64_t>();
  o.length = j.at("length").get<std::int64_t>();
  o.senders = j.at("senders").get<std::int64_t>();
  o.permits = j.at("permits").get<std::int64_t>();
  o.readers = j.at("readers").get<std::int64_t>();
  o.closed = j.at("closed").get<int>();
}

strand_view strand(const js& chain, const js& w) {
  strand_view s;
  for (const js& l : chain)
    s.chain.push_back(loc(l));
  if (!w.is_null()) {
    s.waiting = true;
    s.wait.kind = w.at("kind").get<std::string>();
    s.wait.resource = w.at("resource").get<resource_id>();
    s.wait.created_at = loc(w.at("created_at"));
    s.wait.joined = w.at("joined").get<task_id>();
    s.wait.what = w.at("what").get<std::string>();
    s.wait.waiting_s = w.at("waiting_s").get<double>();
    s.wait.woken_by = w.at("woken_by").get<std::string>();
    for (const js& h : w.at("holders"))
      s.wait.holders.push_back(hold(h));
    fill(s.wait, w);
  }
  return s;
}

task_view task(const js& j) {
  task_view t;
  t.id = j.at("id").get<task_id>();
  t.parent = j.at("parent").get<task_id>();
  t.name = j.at("name").get<std::string>();
  t.runtime = j.at("runtime").get<std::uint64_t>();
  t.state = j.at("state").get<std::string>();
  t.spawned_at = loc(j.at("spawned_at"));
  t.cancel_requested = j.at("cancel_requested").get<bool>();
  t.worker = j.at("worker").get<int>();
  t.running_s = j.at("running_s").get<double>();
  t.finished_ago_s = j.at("finished_ago_s").get<double>();
  t.root = strand(j.at("chain"), j.at("wait"));
  for (const js& b : j.at("branches"))
    t.branches.push_back(strand(b.at("chain"), b.at("wait")));
  const js& s = j.at("stats");
  if (!s.is_null()) {
    task_stats_view& v = t.stats;
    v.known = true;
    v.polls = s.at("polls");
    v.total_s = s.at("total_s");
    v.busy_s = s.at("busy_s");
    v.scheduled_s = s.at("scheduled_s");
    v.idle_s = s.at("idle_s");
    v.first_poll_after_s = s.at("first_poll_after_s");
    const js& w = s.at("wakes");
    v.wakes_self = w.at("self");
    v.wakes_other_task = w.at("other_task");
    v.wakes_runtime = w.at("runtime");
    v.wakes_external = w.at("external");
    v.wakers_registered = s.at("wakers").at("registered");
    v.wakers_released = s.at("wakers").at("released");
    v.poll_duration_ns = hist(s.at("poll_duration_ns"));
    v.scheduled_latency_ns = hist(s.at("scheduled_latency_ns"));
  }
  return t;
}

resource_view resource(const js& j) {
  resource_view r;
  r.id = j.at("id").get<resource_id>();
  r.kind = j.at("kind").get<std::string>();
  r.created_at = loc(j.at("created_at"));
  for (const js& h : j.at("holders"))
    r.holders.push_back(hold(h));
  for (const js& w : j.at("waiters"))
    r.waiters.push_back(
        {w.at("task").get<task_id>(), w.at("waiting_s").get<double>(), loc(w.at("at"))});
  fill(r, j);
  return r;
}

graph_edge edge(const js& j) {
  graph_edge e{};
  std::string k = j.at("kind");
  e.kind = k == "waits_on"  ? graph_edge::type::waits_on
           : k == "held_by" ? graph_edge::type::held_by
                            : graph_edge::type::joins;
  e.task = j.at("task");
  e.resource = j.at("resource");
  e.other = j.at("other");
  return e;
}

timed_warning warn(const js& j) {
  timed_warning w;
  w.w.kind = j.at("kind");
  w.w.task = j.at("task");
  w.w.message = j.at("message");
  w.t = j.at("t");
  return w;
}

}  // namespace

struct replica::impl {
  bool ready = false;
  std::uint64_t seq = 0;
  double t = 0;
  process_info process;
  std::size_t runtimes = 0;
  std::map<task_id, task_view> tasks, finished;
  std::map<resource_id, resource_view> resources;
  std::vector<graph_edge> edges;
  std::vector<std::vector<task_id>> cycles;
  histogram_snapshot poll, sched;
  std::deque<timed_warning> warnings;

  void common(const js& j) {
    seq = j.at("seq");
    t = j.at("t");
    runtimes = j.at("runtime").at("runtimes");
    edges.clear();
    for (const js& e : j.at("edges"))
      edges.push_back(edge(e));
    cycles = j.at("cycles").get<std::vector<std::vector<task_id>>>();
    poll = hist(j.at("histograms").at("poll_duration_ns"));
    sched = hist(j.at("histograms").at("scheduled_latency_ns"));
  }
  void apply(const js& j) {
    std::string type = j.at("type");
    if (type == "header") {
      process.pid = j.at("pid");
      process.program = j.at("program");
      process.interval_ms = j.at("interval_ms");
    } else if (type == "snapshot") {
      const js& p = j.at("process");
      process.pid = p.at("pid");
      process.program = p.at("program");
      process.interval_ms = p.at("interval_ms");
      tasks.clear();
      finished.clear();
      resources.clear();
      for (const js& x : j.at("tasks"))
        tasks[x.at("id")] = task(x);
      for (const js& x : j.at("finished"))
        finished[x.at("id")] = task(x);
      for (const js& x : j.at("resources"))
        resources[x.at("id")] = resource(x);
      warnings.clear();
      for (const js& w : j.at("warnings"))
        warnings.push_back(warn(w));
      common(j);
      ready = true;
    } else if (type == "delta") {
      if (!ready || j.at("seq").get<std::uint64_t>() != seq + 1) throw std::out_of_range("gap");
      auto merge = [](auto& m, const js& d, auto decode) {
        for (const js& x : d.at("upsert"))
          m[x.at("id")] = decode(x);
        for (const js& id : d.at("remove"))
          m.erase(id.get<std::uint64_t>());
      };
      merge(tasks, j.at("tasks"), task);
      merge(finished, j.at("finished"), task);
      merge(resources, j.at("resources"), resource);
      common(j);
    } else if (type == "warning") {
      warnings.push_back(warn(j.at("warning")));
      while (warnings.size() > 256)
        warnings.pop_front();
    } else {
      throw std::invalid_argument("not an event");
    }
  }
};

replica::replica() : p_(std::make_unique<impl>()) {}
replica::~replica() = default;
replica::replica(replica&&) noexcept = default;
replica& replica::operator=(replica&&) noexcept = default;

result<void> replica::apply(std::string_view event_json) {
  impl copy = *p_;
  try {
    copy.apply(js::parse(event_json));
  } catch (const std::out_of_range& e) {
    if (std::string_view(e.what()) == "gap") return errc::not_found;
    return errc::invalid_input;
  } catch (const std::exception&) {
    return errc::invalid_input;
  }
  *p_ = std::move(copy);
  return {};
}

bool replica::ready() const noexcept {
  return p_->ready;
}
std::uint64_t replica::seq() const noexcept {
  return p_->seq;
}
double replica::t() const noexcept {
  return p_->t;
}
const process_info& replica::process() const noexcept {
  return p_->process;
}

snapshot replica::view() const {
  snapshot s;
  s.taken_at_s = p_->t;
  s.runtimes = p_->runtimes;
  for (const auto& [id, t] : p_->tasks)
    s.tasks.push_back(t);
  for (const auto& [id, t] : p_->finished)
    s.finished.push_back(t);
  for (const auto& [id, r] : p_->resources)
    s.resources.push_back(r);
  s.edges = p_->edges;
  s.cycles = p_->cycles;
  s.poll_duration_ns = p_->poll;
  s.scheduled_latency_ns = p_->sched;
  return s;
}

std::vector<timed_warning> replica::warnings() const {
  return {p_->warnings.begin(), p_->warnings.end()};
}

std::string replica::json() const {
  return {};
}

}  // namespace lucid::console::wire
