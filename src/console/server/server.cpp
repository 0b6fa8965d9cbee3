// The console server (docs/console-protocol.md): HTTP/1.1 on lucid::http,
// on its own thread and its own single-threaded runtime, started by
// LUCID_CONSOLE when the program's first runtime starts.
//
// Threads and state. Everything below belongs to the console thread: the
// feed (the encoder, the warnings with their times, the event log, the
// recorder) and the HTTP server; its tasks run one at a time on that thread,
// so they share the feed without locks. The only cross-thread state is
// `g_stop` (set by the exit handler) and the runtimes the snapshot reads,
// through rt's inspection interface (which never waits on a worker: a
// stalled or deadlocked program is still read).
//
// The feed. A ticker task, every 100 ms: moves warnings the detectors added
// into the event log (each a warning event, with the time it was seen), and
// every interval takes a snapshot and logs the delta from the previous one.
// The log keeps the last k_log_events events; the recorder writes each as it
// is logged. An events client keeps a cursor into the log and sends what is
// new every 100 ms; one whose cursor fell off the log gets the latest
// snapshot event again. A write blocked for k_write_timeout drops the client
// (http::server's write_timeout), so a stuck client holds at most one batch
// of events here and k_send_buffer in the kernel.
//
// The console's own runtime is not inspectable (runtime_options): it never
// shows in what it serves, and starting it does not run the start hook.
#include <fmt/format.h>
#include <unistd.h>

#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <future>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>

#include "assets.hpp"
#include "console_internal.hpp"
#include "lucid/console/wire.hpp"
#include "lucid/http/server.hpp"
#include "lucid/net/address.hpp"
#include "lucid/rt/runtime.hpp"
#include "lucid/rt/spawn.hpp"
#include "lucid/time/sleep.hpp"
#include "recorder.hpp"
#include "server.hpp"

namespace lucid::console::detail {

namespace {

using namespace std::chrono_literals;

constexpr std::size_t k_log_events = 64;
constexpr std::size_t k_max_warnings = 256;
constexpr auto k_tick = 100ms;
constexpr auto k_write_timeout = 5s;
constexpr std::size_t k_send_buffer = std::size_t{256} * 1024;  // per client, in the kernel
constexpr double k_keyframe_s = 60;

std::atomic<bool> g_stop{false};

// ------------------------------------------------------------ configuration

bool is_loopback(const net::socket_address& a) {
  const std::string ip = a.ip();
  return a.is_v4() ? ip.rfind("127.", 0) == 0 : ip == "::1";
}

std::uint64_t parse_size(const char* text, bool* ok) {
  char* end = nullptr;
  errno = 0;
  const unsigned long long v = std::strtoull(text, &end, 10);
  std::uint64_t mul = 1;
  if (end != nullptr && *end != '\0') {
    switch (*end) {
      case 'k':
      case 'K':
        mul = 1ull << 10;
        break;
      case 'm':
      case 'M':
        mul = 1ull << 20;
        break;
      case 'g':
      case 'G':
        mul = 1ull << 30;
        break;
      default:
        *ok = false;
        return 0;
    }
    if (end[1] != '\0') *ok = false;
  }
  // strtoull accepts a sign ("-1" is 2^64-1): a size has none. No overflow either.
  const bool digits = text[0] >= '0' && text[0] <= '9';
  *ok = *ok && digits && errno == 0 && end != text && v > 0 && v <= UINT64_MAX / mul;
  return *ok ? v * mul : 0;
}

}  // namespace

result<server_config> read_server_config(std::string* why) {
  server_config c;
  const char* on = std::getenv("LUCID_CONSOLE");
  if (on == nullptr || *on == '\0' || std::strcmp(on, "0") == 0 || std::strcmp(on, "off") == 0) {
    return c;  // off
  }
  c.on = true;
  std::string addr = std::strcmp(on, "1") == 0 ? std::string(k_default_address) : std::string(on);
  if (addr.rfind("http://", 0) == 0) addr.erase(0, 7);
  auto parsed = net::socket_address::parse(addr);
  if (!parsed) {
    *why =
        fmt::format("LUCID_CONSOLE={}: not an address (expected ip:port such as {}, or 1 for that)",
                    on, k_default_address);
    return errc::invalid_input;
  }
  c.address = parsed->to_string();
  if (const char* t = std::getenv("LUCID_CONSOLE_TOKEN"); t != nullptr && *t != '\0') c.token = t;
  if (!is_loopback(*parsed) && c.token.empty()) {
    *why = fmt::format(
        "refusing to listen on {} without LUCID_CONSOLE_TOKEN (only loopback "
        "addresses are served without a token)",
        c.address);
    return errc::invalid_input;
  }
  if (const char* iv = std::getenv("LUCID_CONSOLE_INTERVAL_MS"); iv != nullptr && *iv != '\0') {
    unsigned v = 0;
    auto r = std::from_chars(iv, iv + std::strlen(iv), v);
    if (r.ec != std::errc{} || *r.ptr != '\0' || v < 100 || v > 60000) {
      *why =
          fmt::format("LUCID_CONSOLE_INTERVAL_MS={}: expected milliseconds from 100 to 60000", iv);
      return errc::invalid_input;
    }
    c.interval_ms = v;
  }
  if (const char* r = std::getenv("LUCID_CONSOLE_RECORD"); r != nullptr && *r != '\0') c.record = r;
  if (const char* m = std::getenv("LUCID_CONSOLE_RECORD_MAX"); m != nullptr && *m != '\0') {
    bool ok = true;
    c.record_max = parse_size(m, &ok);
    if (!ok || c.record_max < 4096) {
      *why =
          fmt::format("LUCID_CONSOLE_RECORD_MAX={}: expected a size of at least 4k (64M, 1G)", m);
      return errc::invalid_input;
    }
  }
  return c;
}

namespace {

// ------------------------------------------------------------ the feed

std::string program_name() {
  std::ifstream f("/proc/self/comm");
  std::string name;
  std::getline(f, name);
  return name;
}

struct log_entry {
  std::uint64_t seq;
  const char* type;
  std::shared_ptr<const std::string> data;
};

class feed {
 public:
  explicit feed(const server_config& c)
      : cfg_(c),
        info_{static_cast<long>(::getpid()), program_name(), c.interval_ms},
        enc_(info_),
        start_(std::chrono::steady_clock::now()) {
    if (!c.record.empty()) {
      const auto unix_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
      rec_ = std::make_unique<recorder>(c.record, wire::encode_recording_header(info_, unix_ms),
                                        c.record_max);
    }
  }

  double t() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

  /// New warnings become warning events.
  void poll_warnings() {
    for (warning& w : detail::warnings_after(&warnings_seen_)) {
      wire::timed_warning tw{std::move(w), t()};
      std::string ev = wire::encode_warning(tw, enc_.seq());
      warnings_.push_back(std::move(tw));
      if (warnings_.size() > k_max_warnings) warnings_.pop_front();
      log("warning", std::move(ev), /*keyframe=*/false);
    }
  }

  /// Takes the next update.
  void update() {
    snapshot s = take_snapshot();
    const double now = t();
    std::vector<wire::timed_warning> ws(warnings_.begin(), warnings_.end());
    std::string ev = enc_.update(s, ws, now);
    const bool first = enc_.seq() == 1;
    const bool keyframe = first || now - last_keyframe_ >= k_keyframe_s;
    if (keyframe) last_keyframe_ = now;
    log(first ? "snapshot" : "delta", std::move(ev), keyframe);
    after_update_ = log_end();
  }

  const std::string& snapshot_event() const { return enc_.snapshot_event(); }
  std::uint64_t seq() const { return enc_.seq(); }
  std::uint64_t log_begin() const { return log_base_; }
  std::uint64_t log_end() const { return log_base_ + log_.size(); }
  /// The log position right after the latest update: a client that starts
  /// from snapshot_event() continues here (with the warnings seen since).
  std::uint64_t after_update() const { return std::max(after_update_, log_base_); }
  const log_entry& at(std::uint64_t i) const { return log_[i - log_base_]; }
  const server_config& config() const { return cfg_; }

 private:
  void log(const char* type, std::string ev, bool keyframe) {
    if (rec_ && rec_->ok()) {
      const bool snapshot_type = std::strcmp(type, "snapshot") == 0;
      if (keyframe && !snapshot_type) {
        (void)rec_->write(enc_.snapshot_event(), {});
      } else {
        (void)rec_->write(ev, std::strcmp(type, "delta") == 0
                                  ? std::string_view(enc_.snapshot_event())
                                  : std::string_view());
      }
    }
    log_.push_back({enc_.seq(), type, std::make_shared<const std::string>(std::move(ev))});
    if (log_.size() > k_log_events) {
      log_.pop_front();
      ++log_base_;
    }
  }

  server_config cfg_;
  wire::process_info info_;
  wire::delta_encoder enc_;
  std::chrono::steady_clock::time_point start_;
  std::deque<wire::timed_warning> warnings_;
  std::uint64_t warnings_seen_ = 0;
  std::deque<log_entry> log_;
  std::uint64_t log_base_ = 0;
  std::uint64_t after_update_ = 0;
  std::unique_ptr<recorder> rec_;
  double last_keyframe_ = 0;
};

task<void> run_ticker(feed& f) {
  auto next = std::chrono::steady_clock::now() + std::chrono::milliseconds(f.config().interval_ms);
  while (!g_stop.load(std::memory_order_relaxed)) {
    f.poll_warnings();
    if (std::chrono::steady_clock::now() >= next) {
      f.update();
      next += std::chrono::milliseconds(f.config().interval_ms);
      if (next < std::chrono::steady_clock::now())
        next = std::chrono::steady_clock::now() + std::chrono::milliseconds(f.config().interval_ms);
    }
    co_await lucid::sleep(k_tick);
  }
}

// ------------------------------------------------------------ HTTP

http::response json_response(int status, std::string body) {
  return http::response(status, std::move(body))
      .with_header("content-type", "application/json")
      .with_header("cache-control", "no-store");
}

http::response error_response(int status, std::string_view message) {
  return json_response(status, wire::encode_error(status, message));
}

std::string sse(const char* type, std::uint64_t seq, const std::string& data) {
  std::string out;
  out.reserve(data.size() + 40);
  out += "event: ";
  out += type;
  out += "\nid: ";
  out += std::to_string(seq);
  out += "\ndata: ";
  out += data;
  out += "\n\n";
  return out;
}

task<void> stream_events(feed& f, http::body_writer& w) {
  // The latest snapshot, then everything logged after it.
  while (f.seq() == 0) {
    if (g_stop.load(std::memory_order_relaxed) || w.stopping()) co_return;
    co_await lucid::sleep(k_tick);
  }
  std::uint64_t cursor = f.after_update();
  if (!co_await w.write(sse("snapshot", f.seq(), f.snapshot_event()))) co_return;
  while (!g_stop.load(std::memory_order_relaxed) && !w.stopping()) {
    co_await lucid::sleep(k_tick);
    if (cursor < f.log_begin()) {
      // Fell behind the log: start again from the latest snapshot.
      cursor = f.after_update();
      if (!co_await w.write(sse("snapshot", f.seq(), f.snapshot_event()))) co_return;
      continue;
    }
    std::string batch;
    while (cursor < f.log_end()) {
      const log_entry& e = f.at(cursor++);
      batch += sse(e.type, e.seq, *e.data);
    }
    if (!batch.empty() && !co_await w.write(batch)) co_return;
  }
}

bool token_ok(const http::request& req, const std::string& token) {
  if (token.empty()) return true;
  std::string_view auth = req.header("authorization");
  constexpr std::string_view bearer = "Bearer ";
  if (auth.size() < bearer.size() || !http::iequals(auth.substr(0, bearer.size()), bearer))
    return false;
  auth.remove_prefix(bearer.size());
  // Compare in time independent of where they differ.
  unsigned char diff = auth.size() == token.size() ? 0 : 1;
  for (std::size_t i = 0; i < token.size(); ++i)
    diff |= static_cast<unsigned char>(token[i] ^ (i < auth.size() ? auth[i] : 0));
  return diff == 0;
}

task<http::response> handle(feed& f, http::request& req) {
  if (req.method != http::method::get && req.method != http::method::head) {
    co_return error_response(405, "only GET and HEAD are served").with_header("allow", "GET, HEAD");
  }
  // The web page and its assets need no token: the page asks for it.
  if (auto page = web_response(req.path)) co_return std::move(*page);
  if (!token_ok(req, f.config().token)) {
    co_return error_response(401, "a valid 'Authorization: Bearer <token>' header is required")
        .with_header("www-authenticate", "Bearer");
  }
  const std::string_view path = req.path;
  if (!req.query.empty()) {
    co_return error_response(400, fmt::format("{} takes no query ('{}')", path, req.query));
  }
  if (path == "/api/v1/snapshot") {
    if (f.seq() == 0) co_return error_response(503, "the first update is not taken yet");
    co_return json_response(200, f.snapshot_event());
  }
  if (path == "/api/v1/graph")
    co_return json_response(200, wire::encode_graph(take_snapshot(), f.t()));
  if (path == "/api/v1/dump") {
    std::ostringstream os;
    dump(os, take_snapshot());
    co_return http::response::text(200, os.str()).with_header("cache-control", "no-store");
  }
  if (path == "/api/v1/events") {
    co_return http::response::streamed(
        200, [&f](http::body_writer& w) -> task<void> { co_await stream_events(f, w); })
        .with_header("content-type", "text/event-stream")
        .with_header("cache-control", "no-store");
  }
  constexpr std::string_view tasks_prefix = "/api/v1/tasks/";
  if (path.rfind(tasks_prefix, 0) == 0) {
    const std::string_view digits = path.substr(tasks_prefix.size());
    task_id id = 0;
    auto r = std::from_chars(digits.data(), digits.data() + digits.size(), id);
    if (digits.empty() || r.ec != std::errc{} || r.ptr != digits.data() + digits.size() ||
        id == 0) {
      co_return error_response(
          400, fmt::format("'{}' is not a task id (a decimal number from 1)", digits));
    }
    snapshot s = take_snapshot();
    for (const auto* list : {&s.tasks, &s.finished}) {
      for (const task_view& t : *list) {
        if (t.id == id) co_return json_response(200, wire::encode_task(t, f.t()));
      }
    }
    co_return error_response(404, fmt::format("no live or retained task with id {}", id));
  }
  co_return error_response(404, fmt::format("no endpoint {} (see docs/console-protocol.md)", path));
}

// ------------------------------------------------------------ the thread

std::promise<void>* g_done = nullptr;
std::mutex g_server_mu;
http::server* g_server = nullptr;  // guarded by g_server_mu: the exit handler's

void serve_console(server_config c, std::promise<void>* started) {
  untrack_this_thread();
  lucid::runtime_options o = lucid::runtime_options::current_thread();
  o.inspectable = false;
  o.crash_handler = false;
  lucid::runtime rt(o);
  http::server_options so;
  so.write_timeout = k_write_timeout;
  so.send_buffer = k_send_buffer;
  so.idle_timeout = 120s;
  http::server srv(so);
  feed f(c);
  srv.fallback([&f](http::request& req) { return handle(f, req); });
  auto bound = srv.bind(c.address);
  if (!bound) {
    std::fprintf(stderr, "lucid console: cannot listen on %s: %s; the program runs on without it\n",
                 c.address.c_str(), std::string(message(bound.error().code)).c_str());
    started->set_value();
    return;
  }
  f.update();  // the first snapshot exists before anyone can ask for it
  std::fprintf(stderr, "lucid console: serving on http://%s (lucid-console %s)\n",
               bound->to_string().c_str(), bound->to_string().c_str());
  {
    std::lock_guard g(g_server_mu);
    g_server = &srv;
  }
  started->set_value();
  rt.block_on([](http::server& s, feed& fd) -> task<void> {
    auto ticker = lucid::spawn("lucid.console.ticker", run_ticker(fd));
    (void)co_await s.serve();
    g_stop.store(true);
    (void)co_await std::move(ticker);
  }(srv, f));
  std::lock_guard g(g_server_mu);
  g_server = nullptr;
}

}  // namespace

void start_console_server() noexcept {
  static std::once_flag once;
  std::call_once(once, [] {
    std::string why;
    auto c = read_server_config(&why);
    if (!c) {
      std::fprintf(stderr, "lucid console: %s; the console does not start\n", why.c_str());
      return;
    }
    if (!c->on) return;
    // The console shows busy, scheduled and idle time from the first task.
    enable_aggregation(true);
    static std::promise<void> done;
    g_done = &done;
    std::promise<void> started;
    auto ready = started.get_future();
    std::thread([cfg = *c, &started] {
      serve_console(cfg, &started);
      g_done->set_value();
    }).detach();
    ready.wait();
    // At exit: stop serving, let the recording end on a whole line.
    std::atexit([] {
      {
        std::lock_guard g(g_server_mu);
        if (g_server == nullptr) return;
        g_stop.store(true);
        g_server->shutdown();
      }
      (void)g_done->get_future().wait_for(2s);
    });
  });
}

}  // namespace lucid::console::detail
