// The console server (docs/console-protocol.md) in real programs, over real
// sockets on 127.0.0.1: every endpoint against examples/console_demo (JSON
// checked field by field), the token rules, a program whose workers are all
// blocked, a client that stops reading, and a recording replayed to the
// same snapshot the live server served.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "lucid/console/wire.hpp"
#include "lucid/http/client.hpp"
#include "lucid/rt/runtime.hpp"

using json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

/// A program running in the background; its stdout and stderr go to a file.
class child {
 public:
  child(const std::string& program, std::vector<std::string> args,
        std::vector<std::pair<std::string, std::string>> env) {
    char tmpl[] = "/tmp/lucid-console-test-XXXXXX";
    const int fd = mkstemp(tmpl);
    out_path_ = tmpl;
    pid_ = fork();
    if (pid_ == 0) {
      dup2(fd, 1);
      dup2(fd, 2);
      for (auto& [k, v] : env)
        setenv(k.c_str(), v.c_str(), 1);
      unsetenv("LUCID_BACKTRACE");
      std::vector<char*> argv;
      argv.push_back(const_cast<char*>(program.c_str()));
      for (auto& a : args)
        argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(program.c_str(), argv.data());
      _exit(127);
    }
    close(fd);
  }
  ~child() {
    if (pid_ > 0 && !reaped_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    std::remove(out_path_.c_str());
  }
  child(const child&) = delete;
  child& operator=(const child&) = delete;

  std::string output() const {
    std::ifstream f(out_path_);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
  }
  /// Waits (up to `limit`) until the output contains `text`.
  bool wait_for(const std::string& text, std::chrono::seconds limit = 30s) const {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
      if (output().find(text) != std::string::npos) return true;
      std::this_thread::sleep_for(20ms);
    }
    return false;
  }
  /// The console's address, from its "serving on http://ADDR " line.
  std::string console_address() const {
    if (!wait_for("lucid console: serving on http://")) return "";
    const std::string out = output();
    const std::string tag = "lucid console: serving on http://";
    const auto p = out.find(tag) + tag.size();
    return out.substr(p, out.find(' ', p) - p);
  }
  /// Waits for the exit; the exit code, or -1 on a signal or past `limit`.
  int wait_exit(std::chrono::seconds limit = 60s) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        reaped_ = true;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      std::this_thread::sleep_for(20ms);
    }
    return -1;
  }

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
  std::string out_path_;
};

struct reply {
  int status = 0;
  std::string body;
  std::string content_type;
  std::string www_authenticate;
};

/// One request with lucid's own client, on a runtime of its own.
reply request(const std::string& address, const std::string& target, const std::string& token = "",
              const std::string& method = "GET") {
  lucid::runtime rt = lucid::runtime::current_thread();
  return rt.block_on(
      [](std::string a, std::string t, std::string tok, std::string m) -> lucid::task<reply> {
        lucid::http::client c(a);
        std::vector<lucid::http::header> hs;
        if (!tok.empty()) hs.push_back({"authorization", "Bearer " + tok});
        auto r = co_await c.send(m, t, {}, hs);
        reply out;
        if (!r) co_return out;
        out.status = r->status;
        out.body = r->body;
        out.content_type = std::string(r->header_value("content-type"));
        out.www_authenticate = std::string(r->header_value("www-authenticate"));
        co_return out;
      }(address, target, token, method));
}

json get_json(const std::string& address, const std::string& target) {
  reply r = request(address, target);
  EXPECT_EQ(r.status, 200) << target << ": " << r.body;
  EXPECT_EQ(r.content_type, "application/json") << target;
  return json::parse(r.body, nullptr, false);
}

const json* find_task(const json& snap, const std::string& name) {
  for (const json& t : snap.at("tasks"))
    if (t.at("name") == name) return &t;
  return nullptr;
}

/// Polls the snapshot until `pred` holds (the demo needs a moment to fill
/// its channel and take its lock); returns the last snapshot.
template <class Pred>
json snapshot_until(const std::string& address, Pred pred) {
  json s;
  for (int i = 0; i < 150; ++i) {
    s = get_json(address, "/api/v1/snapshot");
    if (!s.is_discarded() && pred(s)) return s;
    std::this_thread::sleep_for(100ms);
  }
  return s;
}

/// A TCP connection to the console at `address` ("127.0.0.1:PORT"), with an
/// optional receive buffer size; -1 on failure.
int connect_raw(const std::string& address, int rcvbuf = 0) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port =
      htons(static_cast<std::uint16_t>(std::stoi(address.substr(address.rfind(':') + 1))));
  inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (rcvbuf != 0) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  if (connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

/// Reads GET /api/v1/events with lucid's client, calling on_event(type, data)
/// for each event until it returns false; the head's status and content type.
template <class F>
std::pair<int, std::string> read_events(const std::string& address, F on_event) {
  lucid::runtime rt = lucid::runtime::current_thread();
  std::string pending;
  return rt.block_on([&]() -> lucid::task<std::pair<int, std::string>> {
    lucid::http::client c(address);
    auto head = co_await c.get_stream("/api/v1/events", [&](const lucid::http::response& h,
                                                            std::string_view piece) {
      if (h.status != 200) return false;
      pending.append(piece);
      for (std::size_t end; (end = pending.find("\n\n")) != std::string::npos;) {
        const std::string ev = pending.substr(0, end);
        pending.erase(0, end + 2);
        const auto type_at = ev.find("event: ") + 7;
        const auto data_at = ev.find("data: ");
        if (data_at == std::string::npos) continue;
        if (!on_event(ev.substr(type_at, ev.find('\n', type_at) - type_at), ev.substr(data_at + 6)))
          return false;
      }
      return true;
    });
    if (!head) co_return std::pair<int, std::string>{0, ""};
    co_return std::pair<int, std::string>{head->status,
                                          std::string(head->header_value("content-type"))};
  }());
}

bool has(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

class ConsoleDemo : public ::testing::Test {
 protected:
  void SetUp() override {
    demo_ = std::make_unique<child>(
        LUCID_CONSOLE_DEMO, std::vector<std::string>{"60"},
        std::vector<std::pair<std::string, std::string>>{{"LUCID_CONSOLE", "127.0.0.1:0"}});
    addr_ = demo_->console_address();
    ASSERT_FALSE(addr_.empty()) << demo_->output();
    ASSERT_TRUE(demo_->wait_for("console_demo: service on")) << demo_->output();
  }
  std::unique_ptr<child> demo_;
  std::string addr_;
};

TEST_F(ConsoleDemo, SnapshotShowsEveryTaskWhatItWaitsOnAndWhoHoldsIt) {
  json s = snapshot_until(addr_, [](const json& s) {
    const json* in = find_task(s, "ingest");
    bool held = false;
    for (const json& t : s.at("tasks"))
      if (t.at("wait").is_object() && t.at("wait").at("kind") == "mutex" &&
          !t.at("wait").at("holders").empty())
        held = true;
    return in != nullptr && in->at("wait").is_object() && in->at("wait").at("length") == 4 &&
           held && s.at("histograms").at("poll_duration_ns").at("count").get<int>() > 0;
  });
  ASSERT_FALSE(s.is_discarded());
  EXPECT_EQ(s.at("type"), "snapshot");
  EXPECT_EQ(s.at("version"), 1);
  EXPECT_GE(s.at("seq").get<int>(), 1);
  EXPECT_EQ(s.at("process").at("program"), "console_demo");
  EXPECT_EQ(s.at("process").at("interval_ms"), 1000);
  EXPECT_EQ(s.at("runtime").at("aggregation"), true);
  EXPECT_EQ(s.at("runtime").at("runtimes"), 1);  // the console's own runtime is not listed
  int workers = 0, clients = 0;
  for (const json& t : s.at("tasks")) {
    if (t.at("name") == "pool-worker") ++workers;
    if (t.at("name") == "order-client") ++clients;
    EXPECT_FALSE(has(t.at("name").get<std::string>(), "lucid.console")) << t;
    EXPECT_TRUE(t.at("stats").is_object()) << t;
  }
  EXPECT_EQ(workers, 4);
  EXPECT_EQ(clients, 3);
  ASSERT_NE(find_task(s, "slow-consumer"), nullptr);
  ASSERT_NE(find_task(s, "reporter"), nullptr);

  // The producer waits on the full channel: kind, fill, senders, where it was created.
  const json& ingest = *find_task(s, "ingest");
  const json& w = ingest.at("wait");
  EXPECT_EQ(w.at("kind"), "mpsc");
  EXPECT_EQ(w.at("capacity"), 4);
  EXPECT_EQ(w.at("length"), 4);
  EXPECT_EQ(w.at("senders"), 1);
  EXPECT_EQ(w.at("woken_by"), "task");
  EXPECT_EQ(w.at("created_at").at("file"), "examples/console_demo.cpp");
  EXPECT_EQ(ingest.at("chain").at(0).at("file"), "examples/console_demo.cpp");
  EXPECT_EQ(ingest.at("chain").at(0).at("function"), "ingest");
  EXPECT_EQ(ingest.at("spawned_at").at("file"), "examples/console_demo.cpp");
  EXPECT_GT(ingest.at("stats").at("polls").get<int>(), 0);

  // A request handler waits on the inventory mutex; its holder locked it in order().
  bool found = false;
  for (const json& t : s.at("tasks")) {
    const json& tw = t.at("wait");
    if (!tw.is_object() || tw.at("kind") != "mutex" || tw.at("holders").empty()) continue;
    found = true;
    EXPECT_EQ(tw.at("created_at").at("file"), "examples/console_demo.cpp");
    const json& h = tw.at("holders").at(0);
    EXPECT_GT(h.at("task").get<int>(), 0);
    EXPECT_EQ(h.at("acquired_at").at("file"), "examples/console_demo.cpp");
    EXPECT_EQ(h.at("acquired_at").at("function"), "order");
  }
  EXPECT_TRUE(found);
  bool mutex_resource = false;
  for (const json& r : s.at("resources"))
    if (r.at("kind") == "mutex" && !r.at("holders").empty()) mutex_resource = true;
  EXPECT_TRUE(mutex_resource);
  const json& h = s.at("histograms").at("poll_duration_ns");
  EXPECT_GT(h.at("buckets").size(), 0u);
  EXPECT_GE(h.at("p99").get<double>(), h.at("p50").get<double>());
}

TEST_F(ConsoleDemo, OneTaskTheGraphAndTheDump) {
  json s = snapshot_until(addr_, [](const json& s) { return find_task(s, "ingest") != nullptr; });
  const auto id = find_task(s, "ingest")->at("id").get<std::uint64_t>();
  json t = get_json(addr_, "/api/v1/tasks/" + std::to_string(id));
  EXPECT_EQ(t.at("id"), id);
  EXPECT_EQ(t.at("name"), "ingest");
  EXPECT_TRUE(t.contains("t"));
  EXPECT_TRUE(t.at("stats").at("poll_duration_ns").contains("buckets"));

  // ingest waits on its full channel most of the time (and on its timer
  // between sends): read the graph until it shows that wait.
  json g;
  bool edge = false;
  for (int i = 0; i < 100 && !edge; ++i) {
    g = get_json(addr_, "/api/v1/graph");
    for (const json& e : g.at("edges")) {
      if (e.at("from") == "task:" + std::to_string(id) && e.at("kind") == "waits_on") {
        edge = true;
        EXPECT_EQ(e.at("at").at("function"), "ingest");
        EXPECT_EQ(e.at("in_cycle"), false);
      }
    }
    if (!edge) std::this_thread::sleep_for(100ms);
  }
  EXPECT_TRUE(edge) << g.dump();
  EXPECT_TRUE(g.at("cycles").empty());

  reply d = request(addr_, "/api/v1/dump");
  EXPECT_EQ(d.status, 200);
  EXPECT_TRUE(has(d.body, "lucid task dump: ")) << d.body;
  EXPECT_TRUE(has(d.body, "'slow-consumer'")) << d.body;
  // Every task was spawned in the demo (which resource each waits on at this
  // instant varies: a pool worker may be asleep or on its channel).
  EXPECT_TRUE(has(d.body, "spawned at examples/console_demo.cpp:")) << d.body;
  EXPECT_TRUE(has(d.body, "╼ slow_consumer at examples/console_demo.cpp:")) << d.body;
}

TEST_F(ConsoleDemo, BadRequestsGetJsonErrorsAndTheProgramRunsOn) {
  struct bad {
    std::string target, method;
    int status;
    std::string says;
  };
  for (const bad& b : std::vector<bad>{
           {"/api/v1/tasks/abc", "GET", 400, "not a task id"},
           {"/api/v1/tasks/", "GET", 400, "not a task id"},
           {"/api/v1/tasks/99999999999999999999999999", "GET", 400, "not a task id"},
           {"/api/v1/tasks/987654321", "GET", 404, "no live or retained task with id 987654321"},
           {"/api/v1/nothing", "GET", 404, "no endpoint /api/v1/nothing"},
           {"/api/v1/snapshot?x=%zz", "GET", 400, "takes no query"},
           {"/api/v1/snapshot", "POST", 405, "only GET and HEAD"},
       }) {
    reply r = request(addr_, b.target, "", b.method);
    EXPECT_EQ(r.status, b.status) << b.target;
    EXPECT_EQ(r.content_type, "application/json") << b.target;
    json e = json::parse(r.body, nullptr, false);
    ASSERT_FALSE(e.is_discarded()) << r.body;
    EXPECT_EQ(e.at("status"), b.status);
    EXPECT_TRUE(has(e.at("error").get<std::string>(), b.says)) << r.body;
  }
  // A malformed request on a raw socket: 400, and the server answers the next.
  const int fd = connect_raw(addr_);
  ASSERT_GE(fd, 0);
  const std::string garbage = "GET /api/v1/snapshot HTTP/1.1\r\nHost: x\r\nbad header\r\n\r\n";
  ASSERT_EQ(write(fd, garbage.data(), garbage.size()), static_cast<ssize_t>(garbage.size()));
  char buf[256] = {};
  ASSERT_GT(read(fd, buf, sizeof buf - 1), 0);
  EXPECT_TRUE(has(buf, "HTTP/1.1 400")) << buf;
  close(fd);
  EXPECT_EQ(request(addr_, "/api/v1/snapshot").status, 200);
  EXPECT_TRUE(has(demo_->output(), "console_demo: service on")) << demo_->output();
}

TEST_F(ConsoleDemo, EventsStreamKeepsAReplicaEqualToTheServersSnapshot) {
  // One thread reads the events into a replica, keeping its state after each
  // delta; another polls the server's snapshot. Any seq both saw must match.
  std::map<std::uint64_t, std::string> replayed, served;
  std::atomic<bool> done{false};
  std::thread poller([&] {
    while (!done.load()) {
      reply s = request(addr_, "/api/v1/snapshot");
      json sj = json::parse(s.body, nullptr, false);
      if (!sj.is_discarded()) served[sj.at("seq").get<std::uint64_t>()] = s.body;
      std::this_thread::sleep_for(50ms);
    }
  });
  lucid::console::wire::replica r;
  std::string error;
  std::vector<std::string> types;
  const auto head = read_events(addr_, [&](const std::string& type, const std::string& data) {
    types.push_back(type);
    if (!r.apply(data, &error)) return false;
    if (type == "delta") replayed[r.seq()] = r.snapshot_json();
    return replayed.size() < 5;
  });
  EXPECT_EQ(head.first, 200);
  EXPECT_EQ(head.second, "text/event-stream");
  std::this_thread::sleep_for(300ms);
  done = true;
  poller.join();
  EXPECT_TRUE(error.empty()) << error;
  ASSERT_FALSE(types.empty());
  EXPECT_EQ(types.front(), "snapshot");
  EXPECT_EQ(replayed.size(), 5u);
  int compared = 0;
  for (const auto& [seq, text] : replayed) {
    auto it = served.find(seq);
    if (it == served.end()) continue;
    EXPECT_EQ(it->second, text) << "seq " << seq;
    ++compared;
  }
  EXPECT_GE(compared, 3);
  bool ingest = false;
  for (const auto& t : r.view().tasks)
    ingest = ingest || t.name == "ingest";
  EXPECT_TRUE(ingest);
}

TEST_F(ConsoleDemo, AStallWarningReachesTheSnapshot) {
  json s = snapshot_until(addr_, [](const json& s) {
    for (const json& w : s.at("warnings"))
      if (w.at("kind") == "stall") return true;
    return false;
  });
  bool stall = false;
  for (const json& w : s.at("warnings")) {
    if (w.at("kind") != "stall") continue;
    stall = true;
    EXPECT_EQ(w.at("task"), find_task(s, "reporter")->at("id"));
    EXPECT_TRUE(has(w.at("message").get<std::string>(), "examples/console_demo.cpp")) << w;
    EXPECT_GT(w.at("t").get<double>(), 0);
  }
  EXPECT_TRUE(stall) << s.at("warnings").dump();
}

TEST(ConsoleServer, AClientThatStopsReadingIsDroppedAndOthersAreServed) {
  // Updates every 100 ms fill the stuck client's socket buffers quickly.
  child demo(LUCID_CONSOLE_DEMO, {"60"},
             {{"LUCID_CONSOLE", "127.0.0.1:0"}, {"LUCID_CONSOLE_INTERVAL_MS", "100"}});
  const std::string addr_ = demo.console_address();  // NOLINT: named as in the fixture
  ASSERT_FALSE(addr_.empty()) << demo.output();
  const int fd = connect_raw(addr_, 4096);
  ASSERT_GE(fd, 0);
  const std::string req = "GET /api/v1/events HTTP/1.1\r\nHost: x\r\n\r\n";
  ASSERT_EQ(write(fd, req.data(), req.size()), static_cast<ssize_t>(req.size()));
  // It does not read for 12 s: its buffers fill, and a write that makes no
  // progress for 5 s drops it. Meanwhile the console keeps answering others.
  for (int i = 0; i < 24; ++i) {
    EXPECT_EQ(request(addr_, "/api/v1/snapshot").status, 200);
    std::this_thread::sleep_for(500ms);
  }
  // The server gave up on it: reading now drains what was buffered, then
  // ends (EOF or a reset) instead of blocking forever.
  timeval tv{20, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  char buf[65536];
  ssize_t n;
  std::size_t total = 0;
  while ((n = read(fd, buf, sizeof buf)) > 0)
    total += static_cast<std::size_t>(n);
  EXPECT_TRUE(n == 0 || errno == ECONNRESET) << "read " << n << " errno " << errno;
  EXPECT_GT(total, 0u);
  close(fd);
  EXPECT_EQ(request(addr_, "/api/v1/snapshot").status, 200);
}

TEST(ConsoleServer, AClientThatConnectsBetweenUpdatesGetsTheWarningsSinceTheLast) {
  // Updates every 10 s: the reporter's stall (at about 3 s) comes after the
  // first update; a client connecting then gets the snapshot of that first
  // update and the stall's warning event after it, before any delta.
  child demo(LUCID_CONSOLE_DEMO, {"60"},
             {{"LUCID_CONSOLE", "127.0.0.1:0"}, {"LUCID_CONSOLE_INTERVAL_MS", "10000"}});
  const std::string addr = demo.console_address();
  ASSERT_FALSE(addr.empty()) << demo.output();
  ASSERT_TRUE(demo.wait_for("lucid: stall: task")) << demo.output();
  std::this_thread::sleep_for(300ms);  // the server polls warnings every 100 ms
  lucid::console::wire::replica r;
  std::vector<std::string> types;
  (void)read_events(addr, [&](const std::string& type, const std::string& data) {
    types.push_back(type);
    EXPECT_TRUE(r.apply(data));
    return types.size() < 2;
  });
  ASSERT_EQ(types.size(), 2u);
  EXPECT_EQ(types[0], "snapshot");
  EXPECT_EQ(types[1], "warning");
  EXPECT_EQ(r.seq(), 1u);
  ASSERT_EQ(r.warnings().size(), 1u);
  EXPECT_EQ(r.warnings()[0].w.kind, "stall");
}

TEST(ConsoleServer, ATokenIsRequiredWhenSet) {
  child demo(LUCID_CONSOLE_DEMO, {"60"},
             {{"LUCID_CONSOLE", "127.0.0.1:0"}, {"LUCID_CONSOLE_TOKEN", "s3cret"}});
  const std::string addr = demo.console_address();
  ASSERT_FALSE(addr.empty()) << demo.output();
  for (const std::string& tok : {std::string(), std::string("wrong"), std::string("s3cre")}) {
    reply r = request(addr, "/api/v1/snapshot", tok);
    EXPECT_EQ(r.status, 401) << tok;
    EXPECT_EQ(r.www_authenticate, "Bearer");
    EXPECT_FALSE(has(r.body, "tasks")) << r.body;
    EXPECT_FALSE(has(r.body, "console_demo")) << r.body;
    EXPECT_EQ(request(addr, "/api/v1/dump", tok).status, 401);
  }
  reply ok;
  for (int i = 0; i < 50 && ok.status != 200; ++i) {
    ok = request(addr, "/api/v1/snapshot", "s3cret");
    if (ok.status != 200) std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(ok.status, 200);
  EXPECT_TRUE(has(ok.body, "\"tasks\""));
}

TEST(ConsoleServer, ANonLoopbackAddressWithoutATokenIsRefusedAndTheProgramRunsOn) {
  child demo(LUCID_CONSOLE_DEMO, {"1"}, {{"LUCID_CONSOLE", "0.0.0.0:0"}});
  EXPECT_EQ(demo.wait_exit(), 0) << demo.output();
  const std::string out = demo.output();
  EXPECT_TRUE(has(out,
                  "lucid console: refusing to listen on 0.0.0.0:0 without "
                  "LUCID_CONSOLE_TOKEN"))
      << out;
  EXPECT_FALSE(has(out, "serving on")) << out;
  EXPECT_TRUE(has(out, "console_demo: service on")) << out;
}

TEST(ConsoleServer, AMalformedAddressIsReportedAndTheProgramRunsOn) {
  child demo(LUCID_CONSOLE_DEMO, {"1"}, {{"LUCID_CONSOLE", "localhost:abc"}});
  EXPECT_EQ(demo.wait_exit(), 0) << demo.output();
  EXPECT_TRUE(has(demo.output(), "LUCID_CONSOLE=localhost:abc: not an address")) << demo.output();
}

TEST(ConsoleServer, ANegativeRecordingLimitIsReportedAndTheProgramRunsOn) {
  // strtoull read "-1" as 2^64-1: the limit silently became "no limit".
  child demo(LUCID_CONSOLE_DEMO, {"1"},
             {{"LUCID_CONSOLE", "127.0.0.1:0"}, {"LUCID_CONSOLE_RECORD_MAX", "-1"}});
  EXPECT_EQ(demo.wait_exit(), 0) << demo.output();
  EXPECT_TRUE(has(demo.output(), "LUCID_CONSOLE_RECORD_MAX=-1: expected a size")) << demo.output();
  EXPECT_FALSE(has(demo.output(), "serving on")) << demo.output();
}

TEST(ConsoleServer, SettingsItCannotReadAreNamedWithWhatIsUsedInstead) {
  // These used to fall back to their defaults without a word.
  child demo(LUCID_CONSOLE_DEMO, {"1"},
             {{"LUCID_CONSOLE", "127.0.0.1:0"},
              {"LUCID_DUMP_SIGNAL", "sometimes"},
              {"LUCID_CONSOLE_RETENTION", "forever"},
              {"LUCID_CONSOLE_RETENTION_MAX", "lots"}});
  EXPECT_EQ(demo.wait_exit(), 0) << demo.output();
  const std::string out = demo.output();
  EXPECT_TRUE(has(out, "LUCID_DUMP_SIGNAL=sometimes is not on or off; the dump stays on")) << out;
  EXPECT_TRUE(has(out, "LUCID_CONSOLE_RETENTION=forever is not a duration")) << out;
  EXPECT_TRUE(has(out, "LUCID_CONSOLE_RETENTION_MAX=lots is not a number of tasks")) << out;
  EXPECT_TRUE(has(out, "serving on")) << out;
}

TEST(ConsoleServer, AnswersWhileEveryWorkerIsBlocked) {
  child prog(LUCID_HANG_PROGRAM, {"all_blocked"},
             {{"LUCID_CONSOLE", "127.0.0.1:0"}, {"LUCID_STALL_MS", "off"}});
  const std::string addr = prog.console_address();
  ASSERT_FALSE(addr.empty()) << prog.output();
  ASSERT_TRUE(prog.wait_for("blocking now\nblocking now")) << prog.output();
  std::this_thread::sleep_for(300ms);  // both are inside sleep_for now
  reply d = request(addr, "/api/v1/dump");
  EXPECT_EQ(d.status, 200);
  EXPECT_TRUE(has(d.body, "'blocker' running on worker ")) << d.body;
  json g = get_json(addr, "/api/v1/graph");
  EXPECT_FALSE(g.is_discarded());
}

TEST(ConsoleServer, TheGraphMarksADeadlockCycle) {
  child prog(LUCID_HANG_PROGRAM, {"abba"},
             {{"LUCID_CONSOLE", "127.0.0.1:0"}, {"LUCID_DEADLOCK_MS", "300"}});
  const std::string addr = prog.console_address();
  ASSERT_FALSE(addr.empty()) << prog.output();
  json g;
  for (int i = 0; i < 100; ++i) {
    g = get_json(addr, "/api/v1/graph");
    if (!g.is_discarded() && !g.at("cycles").empty()) break;
    std::this_thread::sleep_for(100ms);
  }
  ASSERT_EQ(g.at("cycles").size(), 1u) << g.dump();
  EXPECT_EQ(g.at("cycles").at(0).size(), 4u);  // task, mutex, task, mutex
  int in_cycle = 0;
  for (const json& e : g.at("edges"))
    if (e.at("in_cycle") == true) ++in_cycle;
  EXPECT_EQ(in_cycle, 4) << g.dump();
}

/// Reads a recording (path.1 first when present) into a replica, up to and
/// including the update `until` (0: all of it).
lucid::console::wire::replica replay(const std::string& path, std::uint64_t until,
                                     std::string* error) {
  lucid::console::wire::replica r;
  for (const std::string& p : {path + ".1", path}) {
    std::ifstream f(p);
    std::string line;
    while (std::getline(f, line)) {
      if (until != 0 && r.ready() && r.seq() >= until) return r;
      if (!r.apply(line, error)) return r;
    }
  }
  return r;
}

TEST(ConsoleServer, ARecordingReplaysToTheSnapshotTheServerServed) {
  // Per process: two test runs on one machine must not share a recording.
  const std::string path =
      ::testing::TempDir() + "console-recording-" + std::to_string(getpid()) + ".jsonl";
  std::remove(path.c_str());
  std::remove((path + ".1").c_str());
  std::string live;
  std::uint64_t live_seq = 0;
  {
    child demo(LUCID_CONSOLE_DEMO, {"4"},
               {{"LUCID_CONSOLE", "127.0.0.1:0"}, {"LUCID_CONSOLE_RECORD", path}});
    const std::string addr = demo.console_address();
    ASSERT_FALSE(addr.empty()) << demo.output();
    json s = snapshot_until(addr, [](const json& s) { return s.at("seq").get<int>() >= 2; });
    live = request(addr, "/api/v1/snapshot").body;
    live_seq = json::parse(live).at("seq").get<std::uint64_t>();
    EXPECT_EQ(demo.wait_exit(), 0) << demo.output();
  }
  std::ifstream f(path);
  std::string header;
  std::getline(f, header);
  json h = json::parse(header);
  EXPECT_EQ(h.at("type"), "header");
  EXPECT_EQ(h.at("format"), "lucid-console-recording");
  EXPECT_EQ(h.at("program"), "console_demo");
  std::string error;
  auto r = replay(path, live_seq, &error);
  EXPECT_TRUE(error.empty()) << error;
  ASSERT_EQ(r.seq(), live_seq);
  EXPECT_EQ(r.snapshot_json(), live);
  // And the whole file replays (the run went on after that update).
  auto all = replay(path, 0, &error);
  EXPECT_TRUE(error.empty()) << error;
  EXPECT_GT(all.seq(), live_seq);
  std::remove(path.c_str());
  std::remove((path + ".1").c_str());
}

TEST(ConsoleServer, ARecordingStaysWithinItsBound) {
  const std::string path =
      ::testing::TempDir() + "console-bounded-" + std::to_string(getpid()) + ".jsonl";
  std::remove(path.c_str());
  std::remove((path + ".1").c_str());
  child demo(LUCID_CONSOLE_DEMO, {"5"},
             {{"LUCID_CONSOLE", "127.0.0.1:0"},
              {"LUCID_CONSOLE_RECORD", path},
              {"LUCID_CONSOLE_RECORD_MAX", "64k"},
              {"LUCID_CONSOLE_INTERVAL_MS", "100"}});
  EXPECT_EQ(demo.wait_exit(), 0) << demo.output();
  std::ifstream cur(path, std::ios::ate), old(path + ".1", std::ios::ate);
  ASSERT_TRUE(old.good()) << "no rotation happened";
  const auto size_now = static_cast<std::size_t>(cur.tellg());
  const auto size_old = static_cast<std::size_t>(old.tellg());
  std::string last_event_bound = std::string(40 * 1024, 'x');  // one snapshot of the demo
  EXPECT_LE(size_now + size_old, 64 * 1024 + 2 * last_event_bound.size());
  std::string error;
  auto r = replay(path, 0, &error);
  EXPECT_TRUE(error.empty()) << error;
  EXPECT_TRUE(r.ready());
  EXPECT_GT(r.seq(), 10u);
  std::remove(path.c_str());
  std::remove((path + ".1").c_str());
}

}  // namespace
