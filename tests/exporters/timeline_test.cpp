// The timeline (lucid/exporters/timeline.hpp), checked by an independent
// reader of the Chrome Trace Event format (check_timeline.py, python's json).
#include "lucid/exporters/timeline.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <memory>

#include "exporters_test_util.hpp"
#include "lucid/lucid.hpp"
#include "lucid/sync/notify.hpp"
#include "lucid/trace/dispatch.hpp"
#include "lucid/trace/subscriber/registry.hpp"

namespace {

using lucid_test::check_timeline;
using lucid_test::run;
using lucid_test::temp_path;

lucid::task<> waiter(lucid::notify& n) {
  co_await n.notified();
  auto s = LUCID_INFO_SPAN("after_wake", ("who", "waiter"), ("n", 7));
  auto g = s.enter();
  LUCID_INFO_F(("answer", 42), ("ok", true))("woken");
}

lucid::task<> notifier(lucid::notify& n) {
  n.notify_one();
  co_return;
}

lucid::task<> third() {
  LUCID_WARN_F(("x", 1.5))("third runs");
  co_return;
}

TEST(Timeline, ThreeTasksOneWakingAnotherGiveExactlyThatShape) {
  auto reg = std::make_shared<lucid::trace::registry>();
  reg->with_filter(
         std::make_shared<lucid::trace::max_level_filter>(lucid::trace::level_filter::trace))
      .with(lucid::exporters::timeline_layer());
  lucid::trace::scoped_default sub(reg);
  const std::string path = temp_path("shape.json");
  ASSERT_TRUE(lucid::exporters::start_timeline(path));
  EXPECT_TRUE(lucid::exporters::timeline_recording());
  {
    lucid::runtime rt = lucid::runtime::current_thread();
    rt.block_on([]() -> lucid::task<> {
      lucid::notify n;
      // current_thread runs them in spawn order: waiter suspends, notifier
      // wakes it, third runs, waiter runs again.
      auto a = lucid::spawn("waiter", waiter(n));
      auto b = lucid::spawn("notifier", notifier(n));
      auto c = lucid::spawn("third", third());
      co_await std::move(a);
      co_await std::move(b);
      co_await std::move(c);
    }());
  }
  lucid::exporters::stop_timeline();
  EXPECT_FALSE(lucid::exporters::timeline_recording());
  EXPECT_FALSE(lucid::detail::observing()) << "the observer is uninstalled on stop";

  auto j = check_timeline(path);
  ASSERT_TRUE(j["ok"].get<bool>()) << j.dump(2);
  EXPECT_EQ(j["processes"]["1"], "lucid threads");
  EXPECT_EQ(j["processes"]["2"], "lucid tasks");
  auto& tasks = j["tasks"];
  // The three named tasks, and block_on's own task: nothing else.
  ASSERT_EQ(tasks.size(), 4u) << tasks.dump(2);
  for (const char* t : {"waiter", "notifier", "third", "block_on"})
    EXPECT_TRUE(tasks.contains(t)) << t << " in " << tasks.dump(2);
  EXPECT_EQ(tasks["waiter"]["polls"], 2);
  EXPECT_EQ(tasks["notifier"]["polls"], 1);
  EXPECT_EQ(tasks["third"]["polls"], 1);
  // Exactly one wake-up between tasks: notifier's poll 1 -> waiter's poll 2.
  ASSERT_EQ(j["flows"].size(), 1u) << j["flows"].dump(2);
  auto& f = j["flows"][0];
  EXPECT_EQ(f["from"], "notifier");
  EXPECT_EQ(f["from_slice"], "notifier");
  EXPECT_EQ(f["from_poll"], 1);
  EXPECT_EQ(f["to"], "waiter");
  EXPECT_EQ(f["to_slice"], "waiter");
  EXPECT_EQ(f["to_poll"], 2);
  // The span on the waiter's track, with its fields; the events as instants.
  auto& ws = tasks["waiter"]["spans"];
  ASSERT_EQ(ws.size(), 1u) << ws.dump(2);
  EXPECT_EQ(ws[0]["name"], "after_wake");
  EXPECT_EQ(ws[0]["args"]["who"], "waiter");
  EXPECT_EQ(ws[0]["args"]["n"], 7);
  auto has_instant = [&](const std::string& task, const std::string& name) -> nlohmann::json {
    for (auto& i : tasks[task]["instants"])
      if (i["name"] == name) return i;
    return nullptr;
  };
  auto woken = has_instant("waiter", "woken");
  ASSERT_FALSE(woken.is_null()) << tasks["waiter"].dump(2);
  EXPECT_EQ(woken["args"]["answer"], 42);
  EXPECT_EQ(woken["args"]["ok"], true);
  EXPECT_EQ(woken["args"]["level"], "INFO");
  auto t3 = has_instant("third", "third runs");
  ASSERT_FALSE(t3.is_null());
  EXPECT_EQ(t3["args"]["x"], 1.5);
  for (const char* t : {"waiter", "notifier", "third"}) {
    EXPECT_FALSE(has_instant(t, "spawn").is_null()) << t;
    auto c = has_instant(t, "complete");
    ASSERT_FALSE(c.is_null()) << t;
    EXPECT_EQ(c["args"]["outcome"], "value");
  }
  EXPECT_GE(j["thread_slices"].get<int>(), 4) << "polls are slices on the thread's track too";
  std::remove(path.c_str());
}

TEST(Timeline, NotStartedInstallsNothing) {
  EXPECT_FALSE(lucid::exporters::timeline_recording());
  EXPECT_FALSE(lucid::detail::observing());
}

TEST(Timeline, ParsesSizesAndDurations) {
  lucid::exporters::timeline_options o;
  ASSERT_TRUE(lucid::exporters::parse_timeline_max("64M", o));
  EXPECT_EQ(o.max_bytes, 64u << 20);
  EXPECT_EQ(o.max_ns, 0u);
  ASSERT_TRUE(lucid::exporters::parse_timeline_max("512K", o));
  EXPECT_EQ(o.max_bytes, 512u << 10);
  ASSERT_TRUE(lucid::exporters::parse_timeline_max("4096", o));
  EXPECT_EQ(o.max_bytes, 4096u);
  ASSERT_TRUE(lucid::exporters::parse_timeline_max("30s", o));
  EXPECT_EQ(o.max_ns, 30'000'000'000u);
  EXPECT_EQ(o.max_bytes, 0u);
  ASSERT_TRUE(lucid::exporters::parse_timeline_max("250ms", o));
  EXPECT_EQ(o.max_ns, 250'000'000u);
  for (const char* bad : {"", "M", "12X", "-3s", "0", "1.5M"})
    EXPECT_FALSE(lucid::exporters::parse_timeline_max(bad, o)) << bad;
}

TEST(Timeline, EnvironmentRecordsAWholeProgramThatNestsAndClosesAtExit) {
  const std::string path = temp_path("busy.json");
  auto r = run("LUCID_TRACE_FILE=" + path + " " + LUCID_TIMELINE_PROGRAM + " busy 2>&1");
  ASSERT_EQ(r.status, 0) << r.out;
  auto j = check_timeline(path);
  ASSERT_TRUE(j["ok"].get<bool>()) << j.dump(2);
  auto& tasks = j["tasks"];
  // (a notify that stores a permit lets the next wait finish without a poll)
  EXPECT_GE(tasks["ping"]["polls"].get<int>(), 10);
  EXPECT_GE(tasks["pong"]["polls"].get<int>(), 10);
  EXPECT_TRUE(tasks.contains("worker-7"));
  // ping and pong wake each other: flows both ways, each bound to polls.
  int ping_to_pong = 0, pong_to_ping = 0;
  for (auto& f : j["flows"]) {
    if (f["from"] == "ping" && f["to"] == "pong") ++ping_to_pong;
    if (f["from"] == "pong" && f["to"] == "ping") ++pong_to_ping;
  }
  EXPECT_GT(ping_to_pong, 10);
  EXPECT_GT(pong_to_ping, 10);
  // Spans from trace::init()'s registry (LUCID_LOG-style filter "debug").
  bool step = false;
  for (auto& s : tasks["worker-3"]["spans"])
    if (s["name"] == "step" && s["args"]["k"] == 3 && s["args"]["label"] == "with \"quotes\"\n")
      step = true;
  EXPECT_TRUE(step) << tasks["worker-3"].dump(2);
  EXPECT_GE(j["threads"].size(), 1u);
  std::remove(path.c_str());
}

TEST(Timeline, ACrashLeavesAValidFileWithTheEventsBeforeIt) {
  const std::string path = temp_path("crash.json");
  auto r = run("LUCID_TRACE_FILE=" + path + " " + LUCID_TIMELINE_PROGRAM + " crash 2>&1");
  ASSERT_NE(r.status, 0) << r.out;
  auto j = check_timeline(path, /*allow_open=*/true);
  ASSERT_TRUE(j["ok"].get<bool>()) << j.dump(2);
  bool last_words = false;
  for (auto& i : j["tasks"]["crasher"]["instants"])
    if (i["name"] == "about to crash") last_words = true;
  EXPECT_TRUE(last_words) << "the pre-crash hook flushed the buffer: " << j["tasks"].dump();
  std::remove(path.c_str());
}

TEST(Timeline, ASizeLimitStopsWithANoteAndKeepsTheFileValid) {
  const std::string path = temp_path("flood.json");
  auto r = run("LUCID_TRACE_FILE=" + path + " LUCID_TRACE_FILE_MAX=256K " + LUCID_TIMELINE_PROGRAM +
               " flood 2>&1");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("LUCID_TRACE_FILE: size limit"), std::string::npos) << r.out;
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_LE(st.st_size, 256 * 1024);
  EXPECT_GT(st.st_size, 128 * 1024);
  auto j = check_timeline(path, /*allow_open=*/true);
  ASSERT_TRUE(j["ok"].get<bool>()) << j.dump(2);
  ASSERT_EQ(j["global_instants"].size(), 1u) << j.dump();
  EXPECT_NE(j["global_instants"][0].get<std::string>().find("recording stopped: size limit"),
            std::string::npos);
  std::remove(path.c_str());
}

TEST(Timeline, ADurationLimitStopsWithANote) {
  const std::string path = temp_path("flood_time.json");
  auto r = run("LUCID_TRACE_FILE=" + path + " LUCID_TRACE_FILE_MAX=1ms " + LUCID_TIMELINE_PROGRAM +
               " flood 2>&1");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("LUCID_TRACE_FILE: duration limit"), std::string::npos) << r.out;
  auto j = check_timeline(path, /*allow_open=*/true);
  ASSERT_TRUE(j["ok"].get<bool>()) << j.dump(2);
  ASSERT_EQ(j["global_instants"].size(), 1u) << j.dump();
  EXPECT_NE(j["global_instants"][0].get<std::string>().find("recording stopped: duration limit"),
            std::string::npos);
  std::remove(path.c_str());
}

TEST(Timeline, ABadLimitIsReportedAndRecordingGoesOn) {
  const std::string path = temp_path("badmax.json");
  auto r = run("LUCID_TRACE_FILE=" + path + " LUCID_TRACE_FILE_MAX=lots " + LUCID_TIMELINE_PROGRAM +
               " busy 2>&1");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("LUCID_TRACE_FILE_MAX: cannot read \"lots\""), std::string::npos) << r.out;
  EXPECT_TRUE(check_timeline(path)["ok"].get<bool>());
  std::remove(path.c_str());
}

TEST(Timeline, TheWriterThreadLeavesProcessSignalsToTheProgram) {
  const std::string path = temp_path("sigwait.json");
  auto r = run("LUCID_TRACE_FILE=" + path + " " + LUCID_TIMELINE_PROGRAM + " sigwait 2>&1");
  EXPECT_EQ(r.status, 0) << "killed by a signal the program waits for: " << r.out;
  EXPECT_TRUE(check_timeline(path)["ok"].get<bool>());
  std::remove(path.c_str());
}

TEST(Timeline, AnUnwritablePathIsReportedAndTheProgramRuns) {
  auto r = run(std::string("LUCID_TRACE_FILE=/nonexistent/dir/t.json ") + LUCID_TIMELINE_PROGRAM +
               " busy 2>&1");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("cannot open /nonexistent/dir/t.json"), std::string::npos) << r.out;
}

}  // namespace
