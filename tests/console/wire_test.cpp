// The console protocol's JSON (lucid/console/wire.hpp): what a server encodes
// a client decodes to the same values; deltas applied in order give exactly
// the server's snapshot; bad events are refused and change nothing.
#include "lucid/console/wire.hpp"

#include <gtest/gtest.h>

#include <sstream>
#include <string>

namespace lc = lucid::console;
namespace wire = lucid::console::wire;

namespace {

lc::task_view make_task(lucid::task_id id, std::string name, std::string state) {
  lc::task_view t;
  t.id = id;
  t.name = std::move(name);
  t.state = std::move(state);
  t.runtime = 1;
  t.spawned_at = {"app.cpp", "main", 10};
  t.root.chain = {{"app.cpp", "handle", 31}, {"app.cpp", "serve", 40}};
  return t;
}

lc::snapshot base_snapshot() {
  lc::snapshot s;
  s.runtimes = 1;
  s.aggregation = true;
  lc::task_view a = make_task(1, "holder", "idle");
  a.root.waiting = true;
  a.root.wait.kind = "timer";
  a.root.wait.woken_by = "driver";
  a.root.wait.waiting_s = 0.5;
  a.stats.known = true;
  a.stats.polls = 3;
  a.stats.busy_s = 0.25;
  a.stats.poll_duration_ns.record(1500);
  a.stats.poll_duration_ns.record(1'000'000, 2);
  lc::task_view b = make_task(2, "waiter", "idle");
  b.parent = 1;
  b.root.waiting = true;
  b.root.wait.kind = "mutex";
  b.root.wait.resource = 7;
  b.root.wait.created_at = {"app.cpp", "main", 5};
  b.root.wait.woken_by = "task";
  b.root.wait.holders.push_back({1, {"app.cpp", "handle", 30}, 0.5});
  lc::holder in_vector{1, {"app.cpp", "handle", 32}, 0};
  in_vector.in_container = true;  // found among a std::vector's elements
  b.root.wait.holders.push_back(in_vector);
  lc::holder in_object{1, {"app.cpp", "read_loop", 40}, 0};
  in_object.in_container = true;  // in a map in an object its frame points to
  in_object.via_object = true;
  b.root.wait.holders.push_back(in_object);
  s.tasks = {a, b};
  lc::resource_view r;
  r.id = 7;
  r.kind = "mutex";
  r.created_at = {"app.cpp", "main", 5};
  r.holders.push_back({1, {"app.cpp", "handle", 30}, 0.5});
  r.waiters.push_back({2, 0.4, {"app.cpp", "handle", 31}});
  s.resources = {r};
  s.edges.push_back({lc::graph_edge::type::waits_on, 2, 7, 0});
  s.edges.push_back({lc::graph_edge::type::held_by, 1, 7, 0});
  s.poll_duration_ns.record(4096, 5);
  return s;
}

}  // namespace

TEST(Wire, ASnapshotRoundTripsThroughTheReplica) {
  wire::delta_encoder enc({1234, "demo", 1000});
  const lc::snapshot s = base_snapshot();
  const std::string first = enc.update(s, {}, 1.0);
  EXPECT_EQ(first, enc.snapshot_event());
  wire::replica r;
  ASSERT_TRUE(r.apply(first));
  ASSERT_TRUE(r.ready());
  EXPECT_EQ(r.seq(), 1u);
  EXPECT_EQ(r.process().program, "demo");
  EXPECT_EQ(r.snapshot_json(), enc.snapshot_event());
  const lc::snapshot v = r.view();
  ASSERT_EQ(v.tasks.size(), 2u);
  EXPECT_EQ(v.tasks[1].name, "waiter");
  EXPECT_EQ(v.tasks[1].parent, 1u);
  EXPECT_EQ(v.tasks[1].root.chain.at(0).line, 31u);
  EXPECT_EQ(v.tasks[1].root.wait.holders.at(0).acquired_at.line, 30u);
  EXPECT_FALSE(v.tasks[1].root.wait.holders.at(0).in_container);
  EXPECT_TRUE(v.tasks[1].root.wait.holders.at(1).in_container);
  EXPECT_FALSE(v.tasks[1].root.wait.holders.at(1).in_frame);
  EXPECT_FALSE(v.tasks[1].root.wait.holders.at(1).via_object);
  EXPECT_TRUE(v.tasks[1].root.wait.holders.at(2).in_container);
  EXPECT_TRUE(v.tasks[1].root.wait.holders.at(2).via_object);
  EXPECT_EQ(v.tasks[0].stats.polls, 3u);
  EXPECT_EQ(v.tasks[0].stats.poll_duration_ns.count(), 3u);
  EXPECT_EQ(v.tasks[0].stats.poll_duration_ns.max(), 1'000'000u);
  EXPECT_EQ(v.tasks[0].stats.poll_duration_ns.percentile(50),
            s.tasks[0].stats.poll_duration_ns.percentile(50));
  EXPECT_FALSE(v.tasks[1].stats.known);
  ASSERT_EQ(v.resources.size(), 1u);
  EXPECT_EQ(v.resources[0].waiters.at(0).task, 2u);
  EXPECT_EQ(v.edges.size(), 2u);
  EXPECT_TRUE(v.aggregation);
  // The dump of the replica is the dump of the original.
  std::ostringstream a, b;
  lc::dump(a, s);
  lc::dump(b, v);
  EXPECT_EQ(a.str(), b.str());
  EXPECT_NE(a.str().find("mutex#7 (created at app.cpp:5)"), std::string::npos) << a.str();
}

TEST(Wire, DeltasAppliedInOrderGiveTheServersSnapshot) {
  wire::delta_encoder enc({1, "demo", 1000});
  wire::replica r;
  lc::snapshot s = base_snapshot();
  ASSERT_TRUE(r.apply(enc.update(s, {}, 1.0)));

  // Task 1 changes, task 2 goes, task 3 comes; a warning arrives first.
  s.tasks[0].stats.polls = 4;
  s.tasks.erase(s.tasks.begin() + 1);
  s.tasks.push_back(make_task(3, "new", "scheduled"));
  s.edges.clear();
  s.resources.clear();
  std::vector<wire::timed_warning> ws{{{"stall", 1, "task 1 blocked its worker"}, 1.5}};
  ASSERT_TRUE(r.apply(wire::encode_warning(ws[0], enc.seq())));
  const std::string d = enc.update(s, ws, 2.0);
  EXPECT_NE(d.find("\"type\":\"delta\""), std::string::npos);
  // Task 1 changed and task 3 is new: both upserted; task 2 removed.
  EXPECT_NE(d.find("\"remove\":[2]"), std::string::npos) << d;
  ASSERT_TRUE(r.apply(d));
  EXPECT_EQ(r.seq(), 2u);
  EXPECT_EQ(r.snapshot_json(), enc.snapshot_event());
  ASSERT_EQ(r.warnings().size(), 1u);
  EXPECT_EQ(r.warnings()[0].w.kind, "stall");

  // Nothing changes: the delta upserts nothing, and still matches.
  const std::string same = enc.update(s, ws, 3.0);
  EXPECT_NE(same.find("\"tasks\":{\"remove\":[],\"upsert\":[]}"), std::string::npos) << same;
  ASSERT_TRUE(r.apply(same));
  EXPECT_EQ(r.snapshot_json(), enc.snapshot_event());
}

TEST(Wire, AGapOrBadEventIsRefusedAndChangesNothing) {
  wire::delta_encoder enc;
  wire::replica r;
  lc::snapshot s = base_snapshot();
  const std::string first = enc.update(s, {}, 1.0);
  const std::string d2 = enc.update(s, {}, 2.0);
  const std::string d3 = enc.update(s, {}, 3.0);
  std::string why;
  EXPECT_EQ(r.apply(d2, &why).error().code, lucid::errc::not_found);
  EXPECT_NE(why.find("before any snapshot"), std::string::npos);
  ASSERT_TRUE(r.apply(first));
  const std::string before = r.snapshot_json();
  EXPECT_EQ(r.apply(d3, &why).error().code, lucid::errc::not_found);
  EXPECT_NE(why.find("does not follow"), std::string::npos) << why;
  for (const char* bad : {"", "[]", "{", "{\"type\":\"delta\"}", "{\"type\":\"nope\"}",
                          "{\"type\":\"delta\",\"seq\":2,\"t\":1,\"runtime\":{\"runtimes\":1},"
                          "\"edges\":[{\"kind\":\"sideways\",\"task\":1,\"resource\":1,"
                          "\"other\":0}],\"cycles\":[],\"histograms\":{}}"}) {
    EXPECT_EQ(r.apply(bad, &why).error().code, lucid::errc::invalid_input) << bad;
    EXPECT_FALSE(why.empty());
    EXPECT_EQ(r.snapshot_json(), before);
  }
  EXPECT_TRUE(r.apply(d2));
}

TEST(Wire, TheGraphMarksACycle) {
  lc::snapshot s;
  lc::task_view a = make_task(1, "a", "idle"), b = make_task(2, "b", "idle");
  a.root.waiting = b.root.waiting = true;
  a.root.wait.kind = b.root.wait.kind = "mutex";
  a.root.wait.resource = 11;  // held by b
  b.root.wait.resource = 10;  // held by a
  s.tasks = {a, b};
  s.edges = {{lc::graph_edge::type::waits_on, 1, 11, 0},
             {lc::graph_edge::type::held_by, 2, 11, 0},
             {lc::graph_edge::type::waits_on, 2, 10, 0},
             {lc::graph_edge::type::held_by, 1, 10, 0}};
  s.cycles = {{1, 2}};
  const std::string g = wire::encode_graph(s, 5.0);
  EXPECT_NE(g.find("\"cycles\":[[\"task:1\",\"resource:11\",\"task:2\",\"resource:10\"]]"),
            std::string::npos)
      << g;
  EXPECT_EQ(g.find("\"in_cycle\":false"), std::string::npos) << g;
  EXPECT_NE(g.find("\"at\":{\"file\":\"app.cpp\",\"function\":\"handle\",\"line\":31}"),
            std::string::npos)
      << g;
}

TEST(Wire, ARecordingHeaderNamesTheProgramForTheReplica) {
  const std::string h = wire::encode_recording_header({4321, "shop \"v2\"\n", 500}, 1764662400000);
  EXPECT_NE(h.find("\"type\":\"header\""), std::string::npos) << h;
  EXPECT_NE(h.find("\"format\":\"lucid-console-recording\""), std::string::npos) << h;
  wire::replica r;
  ASSERT_TRUE(r.apply(h));
  EXPECT_FALSE(r.ready());  // a header is not a state
  EXPECT_EQ(r.process().pid, 4321);
  EXPECT_EQ(r.process().program, "shop \"v2\"\n");  // escaped on the way, whole on arrival
  EXPECT_EQ(r.process().interval_ms, 500u);
}

TEST(Snapshot, TasksAndResourcesAreFoundByIdSortedOrNot) {
  lc::snapshot s;
  for (lucid::task_id id : {2, 5, 9, 12})
    s.tasks.push_back(make_task(id, "t" + std::to_string(id), "idle"));
  lc::resource_view r;
  r.id = 7;
  s.resources = {r};
  ASSERT_NE(s.task(9), nullptr);
  EXPECT_EQ(s.task(9)->name, "t9");
  EXPECT_EQ(s.task(2)->name, "t2");
  EXPECT_EQ(s.task(12)->name, "t12");
  EXPECT_EQ(s.task(3), nullptr);
  EXPECT_EQ(s.task(13), nullptr);
  EXPECT_EQ(s.resource(7), &s.resources[0]);
  EXPECT_EQ(s.resource(8), nullptr);
  // A snapshot built by hand in another order is still searched right.
  std::swap(s.tasks[0], s.tasks[3]);
  EXPECT_EQ(s.task(2)->name, "t2");
  EXPECT_EQ(s.task(12)->name, "t12");
  EXPECT_EQ(s.task(3), nullptr);
}
