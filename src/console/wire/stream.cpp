// The event stream of the console protocol: the server's delta_encoder and
// the client's replica (see lucid/console/wire.hpp).
//
// The state both ends hold is the snapshot event's JSON object. Tasks,
// finished tasks and resources are kept by id (std::map: ascending, the
// order the protocol sends them in), each with its JSON (the encoder keeps
// the text it sent, the replica the parsed object); a delta carries the
// objects whose text changed and the ids that went away, and the small
// parts (runtime, edges, cycles, histograms) whole. Warnings travel as their
// own events; the state keeps the last k_max_warnings.
//
// Contract: plain values; no I/O. replica::apply validates an event fully
// (every object decodes) before it changes anything.
#include <map>
#include <string>
#include <utility>

#include "codec.hpp"

namespace lucid::console::wire {

using detail::json;

namespace {

constexpr std::size_t k_max_warnings = 256;

/// One collection of objects with ids (tasks, finished tasks, resources).
struct keyed {
  std::map<std::uint64_t, json> objects;

  json array() const {
    json a = json::array();
    for (const auto& [id, o] : objects)
      a.push_back(o);
    return a;
  }
};

const char* const k_collections[] = {"tasks", "finished", "resources"};

json warnings_array(const std::vector<timed_warning>& ws) {
  json a = json::array();
  const std::size_t from = ws.size() > k_max_warnings ? ws.size() - k_max_warnings : 0;
  for (std::size_t i = from; i < ws.size(); ++i)
    a.push_back(detail::encode(ws[i]));
  return a;
}

json edges_array(const snapshot& s) {
  json a = json::array();
  for (const graph_edge& e : s.edges)
    a.push_back(detail::encode(e));
  return a;
}

/// The whole-state event from its parts.
json snapshot_object(std::uint64_t seq, double t, const json& process, const json& runtime,
                     const keyed (&c)[3], const json& edges, const json& cycles,
                     const json& histograms, const json& warnings) {
  return json{{"type", "snapshot"},
              {"version", k_version},
              {"seq", seq},
              {"t", t},
              {"process", process},
              {"runtime", runtime},
              {"tasks", c[0].array()},
              {"finished", c[1].array()},
              {"resources", c[2].array()},
              {"edges", edges},
              {"cycles", cycles},
              {"histograms", histograms},
              {"warnings", warnings}};
}

}  // namespace

// ------------------------------------------------------------ encoders

std::string encode_task(const task_view& task, double t) {
  json j = detail::encode(task);
  j["t"] = t;
  return detail::dump(j);
}

std::string encode_error(int status, std::string_view message) {
  return detail::dump(json{{"error", std::string(message)}, {"status", status}});
}

std::string encode_warning(const timed_warning& w, std::uint64_t seq) {
  return detail::dump(
      json{{"type", "warning"}, {"seq", seq}, {"t", w.t}, {"warning", detail::encode(w)}});
}

std::string encode_recording_header(const process_info& p, std::int64_t started_unix_ms) {
  json j = detail::encode(p);
  j["type"] = "header";
  j["format"] = "lucid-console-recording";
  j["version"] = k_version;
  j["started_unix_ms"] = started_unix_ms;
  return detail::dump(j);
}

struct delta_encoder::impl {
  std::string process_json;
  std::uint64_t seq = 0;
  /// Per collection: each object's text as last sent, by id.
  std::map<std::uint64_t, std::string> text[3];
  std::string snapshot_event;
};

delta_encoder::delta_encoder(process_info p) : p_(std::make_unique<impl>()) {
  p_->process_json = detail::dump(detail::encode(p));
}
delta_encoder::~delta_encoder() = default;
delta_encoder::delta_encoder(delta_encoder&&) noexcept = default;
delta_encoder& delta_encoder::operator=(delta_encoder&&) noexcept = default;

// The events are written as text (json_text.hpp), each object once: the
// same bytes as dumping the snapshot_object() and delta trees, keys in
// nlohmann's ascending order, at a fraction of the cost (a server writes
// every task every interval).
std::string delta_encoder::update(const snapshot& s, const std::vector<timed_warning>& warnings,
                                  double t) {
  impl& st = *p_;
  const bool first = st.seq == 0;
  ++st.seq;
  const std::string runtime = detail::dump(detail::encode_runtime(s));
  const std::string edges = detail::dump(edges_array(s));
  const std::string cycles = detail::dump(json(s.cycles));
  std::string histograms;
  {
    detail::json_text w(histograms);
    w.begin_object();
    w.key("poll_duration_ns");
    detail::write(w, s.poll_duration_ns);
    w.key("scheduled_latency_ns");
    detail::write(w, s.scheduled_latency_ns);
    w.end_object();
  }

  // Per collection: the objects whose text changed, and the ids gone.
  const std::vector<task_view>* lists[2] = {&s.tasks, &s.finished};
  std::string changes[3];
  for (int k = 0; k < 3; ++k) {
    std::map<std::uint64_t, std::string> now;
    auto add = [&](std::uint64_t id, const auto& v) {
      auto [it, fresh] = now.try_emplace(id);
      if (!fresh) return;  // the first object with an id wins
      detail::json_text w(it->second);
      detail::write(w, v);
    };
    if (k < 2) {
      for (const task_view& v : *lists[k])
        add(v.id, v);
    } else {
      for (const resource_view& r : s.resources)
        add(r.id, r);
    }
    std::string& c = changes[k];
    detail::json_text w(c);
    w.begin_object();
    w.key("remove").begin_array();
    for (const auto& [id, d] : st.text[k]) {
      if (now.find(id) == now.end()) w.value(id);
    }
    w.end_array();
    w.key("upsert").begin_array();
    for (const auto& [id, d] : now) {
      auto old = st.text[k].find(id);
      if (old == st.text[k].end() || old->second != d) w.raw(d);
    }
    w.end_array();
    w.end_object();
    st.text[k] = std::move(now);
  }

  auto whole = [&](detail::json_text& w, int k) {
    w.begin_array();
    for (const auto& [id, d] : st.text[k])
      w.raw(d);
    w.end_array();
  };
  json warns = warnings_array(warnings);
  std::string& snap = st.snapshot_event;
  snap.clear();
  {
    detail::json_text w(snap);
    w.begin_object();
    w.key("cycles").raw(cycles);
    w.key("edges").raw(edges);
    w.key("finished");
    whole(w, 1);
    w.key("histograms").raw(histograms);
    w.key("process").raw(st.process_json);
    w.key("resources");
    whole(w, 2);
    w.key("runtime").raw(runtime);
    w.key("seq").value(st.seq);
    w.key("t").value(t);
    w.key("tasks");
    whole(w, 0);
    w.key("type").value("snapshot");
    w.key("version").value(k_version);
    w.key("warnings").raw(detail::dump(warns));
    w.end_object();
  }
  if (first) return snap;

  std::string delta;
  delta.reserve(changes[0].size() + changes[1].size() + changes[2].size() + edges.size() +
                histograms.size() + runtime.size() + 256);
  detail::json_text w(delta);
  w.begin_object();
  w.key("cycles").raw(cycles);
  w.key("edges").raw(edges);
  w.key("finished").raw(changes[1]);
  w.key("histograms").raw(histograms);
  w.key("resources").raw(changes[2]);
  w.key("runtime").raw(runtime);
  w.key("seq").value(st.seq);
  w.key("t").value(t);
  w.key("tasks").raw(changes[0]);
  w.key("type").value("delta");
  w.end_object();
  return delta;
}

const std::string& delta_encoder::snapshot_event() const noexcept {
  return p_->snapshot_event;
}

std::uint64_t delta_encoder::seq() const noexcept {
  return p_->seq;
}

// ------------------------------------------------------------ replica

struct replica::impl {
  bool ready = false;
  std::uint64_t seq = 0;
  double t = 0;
  process_info process;
  json process_json = detail::encode(process_info{});
  json runtime = json::object();
  keyed c[3];
  json edges = json::array(), cycles = json::array(), histograms = json::object();
  std::vector<timed_warning> warnings;
};

replica::replica() : p_(std::make_unique<impl>()) {}
replica::~replica() = default;
replica::replica(replica&&) noexcept = default;
replica& replica::operator=(replica&&) noexcept = default;

namespace {

/// Decodes every object of a collection (throws on a bad one).
void check_objects(const json& a, int k) {
  for (const json& o : a) {
    if (k < 2) {
      (void)detail::decode_task(o);
    } else {
      (void)detail::decode_resource(o);
    }
  }
}

void check_common(const json& e) {
  (void)e.at("runtime").at("runtimes").get<std::size_t>();
  for (const json& x : e.at("edges"))
    (void)detail::decode_edge(x);
  (void)e.at("cycles").get<std::vector<std::vector<task_id>>>();
  (void)detail::decode_histogram(e.at("histograms").at("poll_duration_ns"));
  (void)detail::decode_histogram(e.at("histograms").at("scheduled_latency_ns"));
}

}  // namespace

result<void> replica::apply(std::string_view event_json, std::string* why) {
  auto fail = [&](errc e, std::string msg) -> result<void> {
    if (why != nullptr) *why = std::move(msg);
    return e;
  };
  json e = json::parse(event_json, nullptr, /*allow_exceptions=*/false);
  if (e.is_discarded() || !e.is_object()) return fail(errc::invalid_input, "not a JSON object");
  impl& st = *p_;
  // What a snapshot and a delta both carry whole, and the update's number and time.
  auto take_whole_parts = [&](std::uint64_t seq, double t) {
    st.runtime = std::move(e["runtime"]);
    st.edges = std::move(e["edges"]);
    st.cycles = std::move(e["cycles"]);
    st.histograms = std::move(e["histograms"]);
    st.seq = seq;
    st.t = t;
  };
  try {
    const std::string type = e.at("type").get<std::string>();
    if (type == "header") {
      if (e.at("version").get<int>() != k_version)
        return fail(errc::invalid_input, "a recording of another protocol version");
      process_info p = detail::decode_process(e);
      st.process = std::move(p);
      st.process_json = detail::encode(st.process);
      return {};
    }
    if (type == "warning") {
      timed_warning w = detail::decode_warning(e.at("warning"));
      st.warnings.push_back(std::move(w));
      if (st.warnings.size() > k_max_warnings)
        st.warnings.erase(
            st.warnings.begin(),
            st.warnings.begin() + static_cast<std::ptrdiff_t>(st.warnings.size() - k_max_warnings));
      return {};
    }
    if (type == "snapshot") {
      if (e.at("version").get<int>() != k_version)
        return fail(errc::invalid_input, "a snapshot of another protocol version");
      check_common(e);
      for (int k = 0; k < 3; ++k)
        check_objects(e.at(k_collections[k]), k);
      process_info p = detail::decode_process(e.at("process"));
      std::vector<timed_warning> ws;
      for (const json& w : e.at("warnings"))
        ws.push_back(detail::decode_warning(w));
      const auto seq = e.at("seq").get<std::uint64_t>();
      const auto t = e.at("t").get<double>();
      // Validated: apply.
      st.process = std::move(p);
      st.process_json = e["process"];
      st.warnings = std::move(ws);
      for (int k = 0; k < 3; ++k) {
        st.c[k].objects.clear();
        for (json& o : e[k_collections[k]]) {
          const auto id = o.at("id").get<std::uint64_t>();
          st.c[k].objects.emplace(id, std::move(o));
        }
      }
      take_whole_parts(seq, t);
      st.ready = true;
      return {};
    }
    if (type != "delta") return fail(errc::invalid_input, "unknown event type '" + type + "'");
    const auto seq = e.at("seq").get<std::uint64_t>();
    if (!st.ready || seq != st.seq + 1) {
      return fail(errc::not_found, st.ready ? "delta " + std::to_string(seq) + " does not follow " +
                                                  std::to_string(st.seq) +
                                                  ": start again from a snapshot"
                                            : "a delta before any snapshot");
    }
    check_common(e);
    for (int k = 0; k < 3; ++k) {
      const json& part = e.at(k_collections[k]);
      check_objects(part.at("upsert"), k);
      (void)part.at("remove").get<std::vector<std::uint64_t>>();
    }
    const auto t = e.at("t").get<double>();
    for (int k = 0; k < 3; ++k) {
      json& part = e[k_collections[k]];
      for (const json& id : part["remove"])
        st.c[k].objects.erase(id.get<std::uint64_t>());
      for (json& o : part["upsert"]) {
        const auto id = o.at("id").get<std::uint64_t>();
        st.c[k].objects[id] = std::move(o);
      }
    }
    take_whole_parts(seq, t);
    return {};
  } catch (const json::exception& x) {
    return fail(errc::invalid_input, std::string("malformed event: ") + x.what());
  }
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
  const impl& st = *p_;
  snapshot s;
  if (!st.ready) return s;
  s.taken_at_s = st.t;
  s.runtimes = st.runtime.at("runtimes").get<std::size_t>();
  s.aggregation = st.runtime.at("aggregation").get<bool>();
  for (const auto& [id, o] : st.c[0].objects)
    s.tasks.push_back(detail::decode_task(o));
  for (const auto& [id, o] : st.c[1].objects)
    s.finished.push_back(detail::decode_task(o));
  for (const auto& [id, o] : st.c[2].objects)
    s.resources.push_back(detail::decode_resource(o));
  for (const json& e : st.edges)
    s.edges.push_back(detail::decode_edge(e));
  s.cycles = st.cycles.get<std::vector<std::vector<task_id>>>();
  s.poll_duration_ns = detail::decode_histogram(st.histograms.at("poll_duration_ns"));
  s.scheduled_latency_ns = detail::decode_histogram(st.histograms.at("scheduled_latency_ns"));
  return s;
}

std::vector<timed_warning> replica::warnings() const {
  return p_->warnings;
}

std::string replica::snapshot_json() const {
  const impl& st = *p_;
  if (!st.ready) return {};
  json w = json::array();
  for (const timed_warning& x : st.warnings)
    w.push_back(detail::encode(x));
  return detail::dump(snapshot_object(st.seq, st.t, st.process_json, st.runtime, st.c, st.edges,
                                      st.cycles, st.histograms, w));
}

}  // namespace lucid::console::wire
