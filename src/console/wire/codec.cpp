// The protocol's objects to and from JSON (see codec.hpp and
// docs/console-protocol.md).
//
// Contract: pure functions of their arguments.
#include "codec.hpp"

#include <algorithm>
#include <utility>
#include <vector>

namespace lucid::console::wire::detail {

namespace {

json encode_chain(const std::vector<location>& chain) {
  json a = json::array();
  for (const location& l : chain)
    a.push_back(encode(l));
  return a;
}

std::vector<location> decode_chain(const json& j) {
  std::vector<location> out;
  for (const json& l : j.at("chain"))
    out.push_back(decode_location(l));
  return out;
}

json encode_strand_wait(const strand_view& v) {
  return v.waiting ? encode(v.wait) : json(nullptr);
}

strand_view decode_strand(const json& j) {
  strand_view v;
  v.chain = decode_chain(j);
  const json& w = j.at("wait");
  if (!w.is_null()) {
    v.waiting = true;
    v.wait = decode_wait(w);
  }
  return v;
}

template <class T>
void put_state(json& j, const T& v) {
  j["capacity"] = v.capacity;
  j["length"] = v.length;
  j["senders"] = v.senders;
  j["permits"] = v.permits;
  j["readers"] = v.readers;
  j["closed"] = v.closed;
}

template <class T>
void get_state(const json& j, T& v) {
  v.capacity = j.at("capacity").get<std::int64_t>();
  v.length = j.at("length").get<std::int64_t>();
  v.senders = j.at("senders").get<std::int64_t>();
  v.permits = j.at("permits").get<std::int64_t>();
  v.readers = j.at("readers").get<std::int64_t>();
  v.closed = j.at("closed").get<int>();
}

json encode_holders(const std::vector<holder>& hs) {
  json a = json::array();
  for (const holder& h : hs)
    a.push_back(encode(h));
  return a;
}

std::vector<holder> decode_holders(const json& j) {
  std::vector<holder> out;
  for (const json& h : j)
    out.push_back(decode_holder(h));
  return out;
}

json encode_stats(const task_stats_view& s) {
  if (!s.known) return nullptr;
  return json{
      {"polls", s.polls},
      {"total_s", s.total_s},
      {"busy_s", s.busy_s},
      {"scheduled_s", s.scheduled_s},
      {"idle_s", s.idle_s},
      {"first_poll_after_s", s.first_poll_after_s},
      {"wakes",
       {{"self", s.wakes_self},
        {"other_task", s.wakes_other_task},
        {"runtime", s.wakes_runtime},
        {"external", s.wakes_external}}},
      {"wakers", {{"registered", s.wakers_registered}, {"released", s.wakers_released}}},
      {"poll_duration_ns", encode(s.poll_duration_ns)},
      {"scheduled_latency_ns", encode(s.scheduled_latency_ns)},
  };
}

task_stats_view decode_stats(const json& j) {
  task_stats_view s;
  if (j.is_null()) return s;
  s.known = true;
  s.polls = j.at("polls").get<std::uint64_t>();
  s.total_s = j.at("total_s").get<double>();
  s.busy_s = j.at("busy_s").get<double>();
  s.scheduled_s = j.at("scheduled_s").get<double>();
  s.idle_s = j.at("idle_s").get<double>();
  s.first_poll_after_s = j.at("first_poll_after_s").get<double>();
  const json& w = j.at("wakes");
  s.wakes_self = w.at("self").get<std::uint64_t>();
  s.wakes_other_task = w.at("other_task").get<std::uint64_t>();
  s.wakes_runtime = w.at("runtime").get<std::uint64_t>();
  s.wakes_external = w.at("external").get<std::uint64_t>();
  const json& k = j.at("wakers");
  s.wakers_registered = k.at("registered").get<std::uint64_t>();
  s.wakers_released = k.at("released").get<std::uint64_t>();
  s.poll_duration_ns = decode_histogram(j.at("poll_duration_ns"));
  s.scheduled_latency_ns = decode_histogram(j.at("scheduled_latency_ns"));
  return s;
}

}  // namespace

json encode(const location& l) {
  if (!l.known()) return nullptr;
  return json{{"file", l.file}, {"line", l.line}, {"function", l.function}};
}

location decode_location(const json& j) {
  location l;
  if (j.is_null()) return l;
  l.file = j.at("file").get<std::string>();
  l.line = j.at("line").get<unsigned>();
  l.function = j.at("function").get<std::string>();
  return l;
}

json encode(const histogram_snapshot& h) {
  json buckets = json::array();
  h.for_each_bucket([&](const histogram_bucket& b) {
    if (b.count != 0) buckets.push_back(json::array({b.lower, b.upper, b.count}));
  });
  return json{{"count", h.count()},      {"sum", h.sum()},
              {"min", h.min()},          {"max", h.max()},
              {"p50", h.percentile(50)}, {"p90", h.percentile(90)},
              {"p99", h.percentile(99)}, {"buckets", std::move(buckets)}};
}

histogram_snapshot decode_histogram(const json& j) {
  std::vector<std::pair<std::size_t, std::uint64_t>> parts;
  for (const json& b : j.at("buckets")) {
    const auto low = b.at(0).get<std::uint64_t>();
    parts.emplace_back(histogram_layout::index(low), b.at(2).get<std::uint64_t>());
  }
  return histogram_snapshot::from_parts(parts, j.at("sum").get<std::uint64_t>(),
                                        j.at("min").get<std::uint64_t>(),
                                        j.at("max").get<std::uint64_t>());
}

json encode(const holder& h) {
  return json{{"task", h.task},
              {"acquired_at", encode(h.acquired_at)},
              {"held_s", h.held_s},
              {"in_frame", h.in_frame},
              {"in_container", h.in_container},
              {"via_object", h.via_object},
              {"via_element", h.via_element},
              {"via_object_element", h.via_object_element}};
}

holder decode_holder(const json& j) {
  holder h;
  h.task = j.at("task").get<task_id>();
  h.acquired_at = decode_location(j.at("acquired_at"));
  h.held_s = j.at("held_s").get<double>();
  h.in_frame = j.value("in_frame", false);          // absent in recordings made before it
  h.in_container = j.value("in_container", false);  // likewise
  h.via_object = j.value("via_object", false);      // likewise
  h.via_element = j.value("via_element", false);    // likewise
  h.via_object_element = j.value("via_object_element", false);  // likewise
  return h;
}

json encode(const wait& w) {
  json j{{"kind", w.kind},
         {"resource", w.resource},
         {"created_at", encode(w.created_at)},
         {"joined", w.joined},
         {"what", w.what},
         {"waiting_s", w.waiting_s},
         {"woken_by", w.woken_by},
         {"holders", encode_holders(w.holders)}};
  put_state(j, w);
  return j;
}

wait decode_wait(const json& j) {
  wait w;
  w.kind = j.at("kind").get<std::string>();
  w.resource = j.at("resource").get<resource_id>();
  w.created_at = decode_location(j.at("created_at"));
  w.joined = j.at("joined").get<task_id>();
  w.what = j.at("what").get<std::string>();
  w.waiting_s = j.at("waiting_s").get<double>();
  w.woken_by = j.at("woken_by").get<std::string>();
  w.holders = decode_holders(j.at("holders"));
  get_state(j, w);
  return w;
}

json encode(const task_view& t) {
  json branches = json::array();
  for (const strand_view& b : t.branches)
    branches.push_back(json{{"chain", encode_chain(b.chain)}, {"wait", encode_strand_wait(b)}});
  return json{{"id", t.id},
              {"parent", t.parent},
              {"name", t.name},
              {"runtime", t.runtime},
              {"state", t.state},
              {"spawned_at", encode(t.spawned_at)},
              {"cancel_requested", t.cancel_requested},
              {"worker", t.worker},
              {"running_s", t.running_s},
              {"finished_ago_s", t.finished_ago_s},
              {"chain", encode_chain(t.root.chain)},
              {"wait", encode_strand_wait(t.root)},
              {"branches", std::move(branches)},
              {"stats", encode_stats(t.stats)}};
}

task_view decode_task(const json& j) {
  task_view t;
  t.id = j.at("id").get<task_id>();
  t.parent = j.at("parent").get<task_id>();
  t.name = j.at("name").get<std::string>();
  t.runtime = j.at("runtime").get<std::uint64_t>();
  t.state = j.at("state").get<std::string>();
  t.spawned_at = decode_location(j.at("spawned_at"));
  t.cancel_requested = j.at("cancel_requested").get<bool>();
  t.worker = j.at("worker").get<int>();
  t.running_s = j.at("running_s").get<double>();
  t.finished_ago_s = j.at("finished_ago_s").get<double>();
  t.root = decode_strand(j);
  for (const json& b : j.at("branches"))
    t.branches.push_back(decode_strand(b));
  t.stats = decode_stats(j.at("stats"));
  return t;
}

json encode(const resource_view& r) {
  json waiters = json::array();
  for (const resource_view::waiter& w : r.waiters)
    waiters.push_back(json{{"task", w.task}, {"waiting_s", w.waiting_s}, {"at", encode(w.at)}});
  json j{{"id", r.id},
         {"kind", r.kind},
         {"created_at", encode(r.created_at)},
         {"holders", encode_holders(r.holders)},
         {"waiters", std::move(waiters)}};
  put_state(j, r);
  return j;
}

resource_view decode_resource(const json& j) {
  resource_view r;
  r.id = j.at("id").get<resource_id>();
  r.kind = j.at("kind").get<std::string>();
  r.created_at = decode_location(j.at("created_at"));
  r.holders = decode_holders(j.at("holders"));
  for (const json& w : j.at("waiters")) {
    resource_view::waiter out;
    out.task = w.at("task").get<task_id>();
    out.waiting_s = w.at("waiting_s").get<double>();
    out.at = decode_location(w.at("at"));
    r.waiters.push_back(std::move(out));
  }
  get_state(j, r);
  return r;
}

namespace {
constexpr const char* k_edge_kinds[] = {"waits_on", "held_by", "joins"};
}  // namespace

json encode(const graph_edge& e) {
  return json{{"kind", k_edge_kinds[static_cast<int>(e.kind)]},
              {"task", e.task},
              {"resource", e.resource},
              {"other", e.other}};
}

graph_edge decode_edge(const json& j) {
  graph_edge e{};
  const auto kind = j.at("kind").get<std::string>();
  if (kind == "waits_on") {
    e.kind = graph_edge::type::waits_on;
  } else if (kind == "held_by") {
    e.kind = graph_edge::type::held_by;
  } else if (kind == "joins") {
    e.kind = graph_edge::type::joins;
  } else {
    throw json::other_error::create(501, "unknown edge kind '" + kind + "'", &j);
  }
  e.task = j.at("task").get<task_id>();
  e.resource = j.at("resource").get<resource_id>();
  e.other = j.at("other").get<task_id>();
  return e;
}

json encode(const timed_warning& w) {
  return json{{"kind", w.w.kind}, {"task", w.w.task}, {"message", w.w.message}, {"t", w.t}};
}

timed_warning decode_warning(const json& j) {
  timed_warning w;
  w.w.kind = j.at("kind").get<std::string>();
  w.w.task = j.at("task").get<task_id>();
  w.w.message = j.at("message").get<std::string>();
  w.t = j.at("t").get<double>();
  return w;
}

json encode(const process_info& p) {
  return json{{"pid", p.pid}, {"program", p.program}, {"interval_ms", p.interval_ms}};
}

process_info decode_process(const json& j) {
  process_info p;
  p.pid = j.at("pid").get<long>();
  p.program = j.at("program").get<std::string>();
  p.interval_ms = j.at("interval_ms").get<unsigned>();
  return p;
}

std::string dump(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

json encode_runtime(const snapshot& s) {
  std::size_t idle = 0, scheduled = 0, running = 0;
  for (const task_view& t : s.tasks) {
    if (t.state == "idle") ++idle;
    if (t.state == "scheduled") ++scheduled;
    if (t.state == "running") ++running;
  }
  return json{{"runtimes", s.runtimes}, {"live", s.tasks.size()}, {"idle", idle},
              {"scheduled", scheduled}, {"running", running},     {"aggregation", s.aggregation}};
}

json sorted_by_id(json array) {
  std::sort(array.begin(), array.end(), [](const json& a, const json& b) {
    return a.at("id").get<std::uint64_t>() < b.at("id").get<std::uint64_t>();
  });
  return array;
}

}  // namespace lucid::console::wire::detail
