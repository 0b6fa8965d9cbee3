// The console protocol's JSON, one function pair per object of
// docs/console-protocol.md. Private to the wire library (and the console
// server, which builds the graph and error objects from the same pieces).
//
// Contract: encoders write every field the protocol lists, always (-1 or
// null where it does not apply), so that equal values give equal text.
// Decoders throw nlohmann::json::exception on a missing field or a wrong
// type; callers turn that into an error result.
#pragma once

#include <nlohmann/json.hpp>

#include "json_text.hpp"
#include "lucid/console/wire.hpp"

namespace lucid::console::wire::detail {

using json = nlohmann::json;

json encode(const location& l);
location decode_location(const json& j);

json encode(const histogram_snapshot& h);
histogram_snapshot decode_histogram(const json& j);

json encode(const holder& h);
holder decode_holder(const json& j);

json encode(const wait& w);
wait decode_wait(const json& j);

json encode(const task_view& t);
task_view decode_task(const json& j);

json encode(const resource_view& r);
resource_view decode_resource(const json& j);

json encode(const graph_edge& e);
graph_edge decode_edge(const json& j);

json encode(const timed_warning& w);
timed_warning decode_warning(const json& j);

json encode(const process_info& p);
process_info decode_process(const json& j);

/// The same objects written as text: byte for byte encode(x).dump() (see
/// json_text.hpp), without building the tree. For the objects a server
/// writes every update, hundreds at a time.
void write(json_text& w, const location& l);
void write(json_text& w, const histogram_snapshot& h);
void write(json_text& w, const holder& h);
void write(json_text& w, const wait& x);
void write(json_text& w, const task_view& t);
void write(json_text& w, const resource_view& r);
/// encode(x).dump() for the tree-built objects, with bytes that are not
/// valid UTF-8 replaced (as json_text does) instead of thrown on.
std::string dump(const json& j);

/// The "runtime" object: runtimes, live, idle, scheduled, running, aggregation.
json encode_runtime(const snapshot& s);

/// An array of objects sorted by their "id".
json sorted_by_id(json array);

}  // namespace lucid::console::wire::detail
