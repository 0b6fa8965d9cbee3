// lucid-console's model, recordings and text helpers (tools/console), on the
// hand-made recording tests/tools/fixtures/demo.jsonl: what the views show,
// without a terminal (console_tui_test.sh drives the terminal).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "connection.hpp"
#include "model.hpp"
#include "recording.hpp"
#include "text.hpp"

namespace lucid::console::tui {
namespace {

const std::string k_fixture = std::string(LUCID_TOOLS_TEST_DIR) + "/fixtures/demo.jsonl";

std::vector<recorded_event> fixture() {
  std::vector<recorded_event> ev;
  std::string error;
  EXPECT_TRUE(read_recording(k_fixture, ev, error)) << error;
  return ev;
}

// The model's state after every event up to time `t`.
frame at(double t) {
  model m;
  for (const recorded_event& e : fixture())
    if (e.t <= t) {
      EXPECT_TRUE(m.apply(e.json)) << e.json.substr(0, 80);
    }
  frame f;
  std::uint64_t v = 0;
  EXPECT_TRUE(m.take(f, v));
  return f;
}

std::vector<std::string> names(const std::vector<task_row>& rows) {
  std::vector<std::string> out;
  for (const task_row& r : rows)
    out.push_back(r.task->name);
  return out;
}

TEST(console_client, reads_a_recording_and_skips_its_partial_last_line) {
  auto ev = fixture();
  ASSERT_GT(ev.size(), 3u);
  EXPECT_EQ(ev[0].type, "header");
  EXPECT_EQ(ev[1].type, "snapshot");
  EXPECT_EQ(ev.back().t, 20.0);  // the cut line at t=21 is gone
  EXPECT_EQ(std::count_if(ev.begin(), ev.end(), [](auto& e) { return e.type == "warning"; }), 1);
}

TEST(console_client, a_missing_or_foreign_file_is_a_clear_error) {
  std::vector<recorded_event> ev;
  std::string error;
  EXPECT_FALSE(read_recording("/nonexistent/x.jsonl", ev, error));
  EXPECT_NE(error.find("cannot open recording /nonexistent/x.jsonl"), std::string::npos) << error;
  auto path = std::filesystem::temp_directory_path() / "lucid_console_client_test.txt";
  std::ofstream(path) << "{\"type\": \"snapshot\"}\n";
  EXPECT_FALSE(read_recording(path.string(), ev, error));
  EXPECT_NE(error.find("not a lucid-console recording"), std::string::npos) << error;
  std::filesystem::remove(path);
}

TEST(console_client, dump_at_a_time_uses_the_last_update_before_it) {
  std::ostringstream out;
  std::string error;
  ASSERT_TRUE(dump_at(fixture(), 12.4, out, error)) << error;
  EXPECT_NE(out.str().find("at t=12.0s (seq 13)"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("task 11 'late-task'"), std::string::npos);
  std::ostringstream none;
  auto ev = fixture();
  ev.erase(ev.begin() + 1, ev.end());  // the header alone
  EXPECT_FALSE(dump_at(ev, 5, none, error));
}

TEST(console_client, parses_times) {
  double s = 0;
  EXPECT_TRUE(parse_time("12s", s));
  EXPECT_EQ(s, 12);
  EXPECT_TRUE(parse_time("1500ms", s));
  EXPECT_DOUBLE_EQ(s, 1.5);
  EXPECT_TRUE(parse_time("2m", s));
  EXPECT_EQ(s, 120);
  EXPECT_FALSE(parse_time("soon", s));
  EXPECT_FALSE(parse_time("3h", s));
}

TEST(console_client, task_rows_sort_by_any_column_both_ways) {
  frame f = at(12);
  view_state v;
  EXPECT_EQ(names(task_rows(f, v)).front(), "main");  // by id
  v.task_sort = task_col::name;
  auto by_name = names(task_rows(f, v));
  EXPECT_TRUE(std::is_sorted(by_name.begin(), by_name.end()));
  EXPECT_EQ(by_name.front(), "acceptor");
  v.task_desc = true;
  EXPECT_EQ(names(task_rows(f, v)).front(), "zeta-consumer");
  v.task_sort = task_col::busy;  // producer is the busiest
  EXPECT_EQ(names(task_rows(f, v)).front(), "producer");
  v.task_sort = task_col::warn;  // alpha-worker has the deadlock warning
  EXPECT_EQ(names(task_rows(f, v)).front(), "alpha-worker");
  EXPECT_EQ(task_rows(f, v).front().cells[static_cast<int>(task_col::warn)], "!1");
}

TEST(console_client, the_filter_matches_name_state_location_and_fields) {
  frame f = at(12);
  view_state v;
  v.filter = "ZETA";
  EXPECT_EQ(names(task_rows(f, v)), std::vector<std::string>{"zeta-consumer"});
  v.filter = "running";
  EXPECT_EQ(names(task_rows(f, v)), std::vector<std::string>{"producer"});
  v.filter = "demo.cpp:66";
  EXPECT_EQ(names(task_rows(f, v)), std::vector<std::string>{"late-task"});
  v.filter = "mutex#4";  // what alpha-worker waits on (its Fields)
  EXPECT_EQ(names(task_rows(f, v)), std::vector<std::string>{"alpha-worker"});
  v.filter = "no such thing";
  EXPECT_TRUE(task_rows(f, v).empty());
}

TEST(console_client, the_tree_puts_children_under_their_parent) {
  frame f = at(12);
  view_state v;
  v.tree = true;
  auto rows = task_rows(f, v);
  ASSERT_EQ(rows.size(), 7u);
  EXPECT_EQ(rows[0].task->name, "main");
  EXPECT_EQ(rows[0].depth, 0);
  auto it = std::find_if(rows.begin(), rows.end(), [](auto& r) { return r.task->id == 8; });
  ASSERT_NE(it + 1, rows.end());
  EXPECT_EQ((it + 1)->task->name, "late-task");  // spawned by zeta-consumer
  EXPECT_EQ((it + 1)->depth, 2);
  EXPECT_EQ((it + 1)->cells[static_cast<int>(task_col::name)], "    late-task");
}

TEST(console_client, finished_tasks_are_listed_when_retained) {
  frame f = at(16);
  view_state v;
  v.filter = "late-task";
  auto rows = task_rows(f, v);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].task->state, "completed");
  EXPECT_EQ(rows[0].cells[static_cast<int>(task_col::fields)], "ended 1.00s ago");
}

TEST(console_client, the_graph_names_waits_holders_and_cycles) {
  frame f = at(12);
  auto lines = graph_lines(f.snap);
  auto has = [&](const std::string& s) {
    return std::any_of(lines.begin(), lines.end(),
                       [&](const std::string& l) { return l.find(s) != std::string::npos; });
  };
  EXPECT_TRUE(
      has("task 3 'alpha-worker' --waits on--> mutex#4 --held by--> task 5 'beta-worker'   [in "
          "cycle]"));
  EXPECT_TRUE(has("task 1 'main' --joins--> task 2 'acceptor'"));
  EXPECT_TRUE(has("task 8 'zeta-consumer' --waits on--> mpsc#7"));
  EXPECT_TRUE(
      has("CYCLE: task 3 'alpha-worker' --> mutex#4 --> task 5 'beta-worker' --> mutex#6 --> task "
          "3 'alpha-worker'"));
}

TEST(console_client, the_graph_names_each_holder_once) {
  snapshot s;
  task_view a, b;
  a.id = 1;
  a.name = "a";
  b.id = 2;
  b.name = "b";
  s.tasks = {a, b};
  resource_view r;
  r.id = 8;
  r.kind = "mutex";
  s.resources = {r};
  using k = graph_edge::type;
  s.edges = {{k::waits_on, 1, 8, 0}, {k::held_by, 2, 8, 0}, {k::held_by, 2, 8, 0}};
  auto lines = graph_lines(s);
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines[0], "task 1 'a' --waits on--> mutex#8 --held by--> task 2 'b'");
}

TEST(console_client, resource_rows_show_holders_waiters_and_fill) {
  frame f = at(12);
  view_state v;
  auto rows = resource_rows(f, v);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].cells[static_cast<int>(res_col::holders)], "5");
  EXPECT_EQ(rows[0].cells[static_cast<int>(res_col::waiters)], "3");
  EXPECT_EQ(rows[2].cells[static_cast<int>(res_col::fill)], "0/16 queued, 1 sender");
  v.res_sort = res_col::kind;
  EXPECT_EQ(resource_rows(f, v).front().res->kind, "mpsc");
  v.res_desc = true;
  EXPECT_EQ(resource_rows(f, v).front().res->kind, "mutex");
}

TEST(console_client, replay_plays_with_timing_steps_and_changes_speed) {
  model m;
  replay r(fixture(), m);
  EXPECT_EQ(m.version(), 2u);  // the header and the snapshot at t=0
  r.advance(2.5);
  EXPECT_EQ(r.clock(), 2.5);
  frame f;
  std::uint64_t v = 0;
  ASSERT_TRUE(m.take(f, v));
  EXPECT_EQ(f.seq, 3u);
  r.toggle_pause();
  r.advance(10);  // paused: the clock stands
  EXPECT_EQ(r.clock(), 2.5);
  EXPECT_TRUE(r.step());
  EXPECT_EQ(r.clock(), 3.0);
  r.faster();
  EXPECT_EQ(r.status(), "replay t=3.0s x2 paused");
  for (int i = 0; i < 10; ++i)
    r.faster();
  EXPECT_EQ(r.speed(), 16);
  for (int i = 0; i < 10; ++i)
    r.slower();
  EXPECT_EQ(r.speed(), 0.25);
  while (r.step()) {
  }
  EXPECT_TRUE(r.done());
  EXPECT_EQ(r.clock(), 20.0);
}

TEST(console_client, text_helpers) {
  EXPECT_EQ(duration(0), "0s");
  EXPECT_EQ(duration(812e-9), "812ns");
  EXPECT_EQ(duration(4.5e-6), "4.5us");
  EXPECT_EQ(duration(0.0123), "12.3ms");
  EXPECT_EQ(duration(0.27), "270ms");
  EXPECT_EQ(duration(1.234), "1.23s");
  EXPECT_EQ(duration(723), "12m3s");
  EXPECT_EQ(fit("abcdef", 4), "abc~");
  EXPECT_EQ(fit("abcdef", 4, true), "~def");
  EXPECT_EQ(fit("ab", 4), "ab  ");
  EXPECT_EQ(normalize_address("http://localhost:7000/"), "localhost:7000");
  EXPECT_EQ(normalize_address(""), "127.0.0.1:6669");
  EXPECT_EQ(normalize_address("10.0.0.1"), "10.0.0.1:6669");
}

}  // namespace
}  // namespace lucid::console::tui
