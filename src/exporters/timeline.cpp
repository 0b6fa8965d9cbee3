// The timeline (lucid/exporters/timeline.hpp): an rt observer and a trace
// layer that format Chrome Trace Event JSON into a bounded buffer, and a
// writer thread that appends it to the file.
//
// State and who touches it:
//  - buf_, dropped_ (buf_mu_): appended by any thread in emit(), taken by
//    the writer thread or a flush.
//  - fd_, written_ (file_mu_): the writer thread, flush and stop. written_
//    is the offset of the closing "\n]}\n" that every write rewrites, so the
//    file is valid JSON between writes. written_shared_ is what the file
//    will hold once the chunk being written is (stored under buf_mu_ when a
//    chunk is taken from buf_), so emit() checks the size limit under
//    buf_mu_ alone and never admits bytes past it.
//  - tasks_ (one mutex per shard): name, poll count and the pending wake
//    flow of each task, touched by the observer callbacks.
//  - per thread: the poll in progress (t_poll) and whether the thread's
//    track was named in this timeline (t_named_gen).
// A timeline object is never freed: a callback or the layer may still hold
// it after stop; once stopped every callback returns at its first check.
#include "lucid/exporters/timeline.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "internal.hpp"
#include "json_out.hpp"
#include "lucid/rt/detail/inspect.hpp"
#include "lucid/rt/observer.hpp"
#include "lucid/trace/context.hpp"
#include "lucid/trace/init.hpp"

namespace lucid::exporters {

namespace detail {
namespace {
thread_local bool t_ignored = false;
}
[[gnu::noinline]] void ignore_this_thread() noexcept {
  t_ignored = true;
}
[[gnu::noinline]] bool this_thread_ignored() noexcept {
  return t_ignored;
}
namespace {
/// Every signal but the synchronous ones (a fault in the thread is its own).
sigset_t process_signals() noexcept {
  sigset_t all;
  sigfillset(&all);
  for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGTRAP, SIGSYS})
    sigdelset(&all, sig);
  return all;
}
}  // namespace

void become_exporter_thread(const char* name) noexcept {
  const sigset_t all = process_signals();
  pthread_sigmask(SIG_BLOCK, &all, nullptr);
  pthread_setname_np(pthread_self(), name);
  ignore_this_thread();
}

exporter_thread_start::exporter_thread_start() noexcept {
  const sigset_t all = process_signals();
  pthread_sigmask(SIG_BLOCK, &all, &old_);
}

exporter_thread_start::~exporter_thread_start() {
  pthread_sigmask(SIG_SETMASK, &old_, nullptr);
}
}  // namespace detail

namespace {

using namespace std::chrono_literals;

constexpr int kThreadsPid = 1;
constexpr int kTasksPid = 2;
constexpr std::string_view kClosing = "\n]}\n";

std::uint64_t now_ns() noexcept {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000u +
         static_cast<std::uint64_t>(ts.tv_nsec);
}

struct poll_state {
  task_id id = 0;
  std::uint64_t begin_ns = 0;
  std::uint64_t number = 0;
  wake_origin woken_by = wake_origin::runtime;
  bool woken_known = false;
};

struct thread_state {
  int tid = 0;
  std::uint64_t named_gen = 0;
  std::array<poll_state, 4> polls{};  // nested polls (block_on inside a poll): rare
  unsigned depth = 0;
};

[[gnu::noinline]] thread_state& this_thread() noexcept {
  thread_local thread_state t;
  if (t.tid == 0) t.tid = static_cast<int>(::syscall(SYS_gettid));
  return t;
}

struct task_info {
  std::string name;
  std::uint64_t polls = 0;
  std::string pending_flow;  // a formatted "s" event, emitted with its "f"
  std::uint64_t pending_flow_id = 0;
  wake_origin last_wake = wake_origin::runtime;
  bool woken = false;
};

struct shard {
  std::mutex mu;
  std::unordered_map<task_id, task_info> tasks;
};

std::atomic<std::uint64_t> g_generation{0};

class timeline final : public observer {
 public:
  timeline(int fd, timeline_options opts)
      : fd_(fd), opts_(opts), gen_(g_generation.fetch_add(1) + 1), t0_(now_ns()) {}

  bool start() {
    std::string head = "{\"traceEvents\":[\n";
    fmt::memory_buffer m;
    meta(m, kThreadsPid, 0, "process_name", "lucid threads", true);
    m.append(std::string_view(",\n"));
    meta(m, kTasksPid, 0, "process_name", "lucid tasks", false);
    head.append(m.data(), m.size());
    if (!write_at(0, head)) return false;
    written_ = head.size();
    written_shared_.store(written_, std::memory_order_relaxed);
    recording_.store(true, std::memory_order_release);
    add_observer(this);
    installed_ = true;  // before the writer starts: its limit stop clears it
    detail::exporter_thread_start blocked;
    writer_ = std::thread([this] { writer_loop(); });
    return true;
  }

  bool recording() const noexcept { return recording_.load(std::memory_order_acquire); }

  // ---------------------------------------------------------------- observer

  std::uint32_t observed_events() const noexcept override {
    return observer_events::on_spawn | observer_events::on_poll_begin |
           observer_events::on_poll_end | observer_events::on_wake | observer_events::on_complete;
  }

  void on_spawn(const spawn_info& s) noexcept override {
    if (!active()) return;
    std::string name = s.name.empty() ? fmt::format("task {}", s.id) : std::string(s.name);
    {
      shard& sh = shard_of(s.id);
      std::lock_guard g(sh.mu);
      sh.tasks[s.id].name = name;
    }
    fmt::memory_buffer m;
    meta(m, kTasksPid, s.id, "thread_name", name, false);
    m.append(std::string_view(",\n"));
    begin_event(m, "spawn", "task", 'i', kTasksPid, s.id, now_ns());
    m.append(std::string_view(",\"s\":\"t\",\"args\":{\"task\":"));
    fmt::format_to(fmt::appender(m), "{},\"parent\":{},\"span\":{},\"site\":", s.id, s.parent,
                   s.span);
    detail::json_string(m, fmt::format("{}:{}", s.site.file ? s.site.file : "?", s.site.line));
    m.append(std::string_view("}}"));
    emit(m);
  }

  void on_poll_begin(task_id id) noexcept override {
    if (!active()) return;
    thread_state& t = this_thread();
    name_thread(t);
    std::uint64_t n = 0;
    std::string flow;
    std::uint64_t flow_id = 0;
    bool named = true;
    std::string name;
    wake_origin w = wake_origin::runtime;
    bool woken = false;
    {
      shard& sh = shard_of(id);
      std::lock_guard g(sh.mu);
      auto [it, fresh] = sh.tasks.try_emplace(id);
      task_info& ti = it->second;
      if (fresh) {
        ti.name = fmt::format("task {}", id);
        named = false;
        name = ti.name;
      }
      n = ++ti.polls;
      flow.swap(ti.pending_flow);
      flow_id = std::exchange(ti.pending_flow_id, 0);
      w = ti.last_wake;
      woken = std::exchange(ti.woken, false);
    }
    const std::uint64_t ts = now_ns();
    if (t.depth < t.polls.size()) t.polls[t.depth] = poll_state{id, ts, n, w, woken};
    ++t.depth;
    if (!named || flow_id != 0) {
      fmt::memory_buffer m;
      if (!named) meta(m, kTasksPid, id, "thread_name", name, false);
      if (flow_id != 0) {
        if (!named) m.append(std::string_view(",\n"));
        m.append(flow);
        m.append(std::string_view(",\n"));
        begin_event(m, "wake", "wake", 'f', kTasksPid, id, ts);
        fmt::format_to(fmt::appender(m), ",\"bp\":\"e\",\"id\":{}}}", flow_id);
      }
      emit(m);
    }
  }

  void on_poll_end(task_id id) noexcept override {
    if (!active()) return;
    thread_state& t = this_thread();
    if (t.depth == 0) return;
    --t.depth;
    if (t.depth >= t.polls.size()) return;
    poll_state p = t.polls[t.depth];
    if (p.id != id) return;
    const std::uint64_t end = now_ns();
    std::string name = task_name(id);
    fmt::memory_buffer m;
    for (int pid : {kThreadsPid, kTasksPid}) {
      if (pid == kTasksPid) m.append(std::string_view(",\n"));
      begin_event(m, name, "poll", 'X', pid, pid == kTasksPid ? id : t.tid, p.begin_ns);
      fmt::format_to(fmt::appender(m), ",\"dur\":{:.3f},\"args\":{{\"task\":{},\"poll\":{}",
                     static_cast<double>(end - p.begin_ns) / 1000.0, id, p.number);
      if (pid == kTasksPid) fmt::format_to(fmt::appender(m), ",\"thread\":{}", t.tid);
      if (p.woken_known) {
        m.append(std::string_view(",\"woken_by\":"));
        detail::json_string(m, to_string(p.woken_by));
      }
      m.append(std::string_view("}}"));
    }
    emit(m);
  }

  void on_wake(task_id id, wake_origin o, task_id by) noexcept override {
    if (!active()) return;
    // A flow starts only inside the waker's observed poll: wakes from a task's
    // completion or cancellation (after its last poll) have no slice to bind to.
    thread_state& t = this_thread();
    const bool flow = o == wake_origin::other_task && by != 0 && by != id && t.depth > 0 &&
                      t.depth <= t.polls.size() && t.polls[t.depth - 1].id == by;
    std::uint64_t ts = now_ns();
    shard& sh = shard_of(id);
    std::lock_guard g(sh.mu);
    task_info& ti = sh.tasks[id];
    if (ti.name.empty()) ti.name = fmt::format("task {}", id);
    if (ti.woken) return;  // already woken since its last poll: this wake changes nothing
    ti.woken = true;
    ti.last_wake = o;
    if (!flow) return;
    // The "s" end waits in the task's record until its next poll emits the
    // "f" end, so a flow whose task never polls again leaves no dangling end.
    std::uint64_t fid = next_flow_.fetch_add(1, std::memory_order_relaxed) + 1;
    fmt::memory_buffer m;
    begin_event(m, "wake", "wake", 's', kTasksPid, by, ts);
    fmt::format_to(fmt::appender(m), ",\"id\":{},\"args\":{{\"woken\":{}}}}}", fid, id);
    ti.pending_flow.assign(m.data(), m.size());
    ti.pending_flow_id = fid;
  }

  void on_complete(task_id id, task_outcome o) noexcept override {
    if (!active()) return;
    {
      shard& sh = shard_of(id);
      std::lock_guard g(sh.mu);
      sh.tasks.erase(id);
    }
    fmt::memory_buffer m;
    begin_event(m, "complete", "task", 'i', kTasksPid, id, now_ns());
    m.append(std::string_view(",\"s\":\"t\",\"args\":{\"outcome\":"));
    detail::json_string(m, to_string(o));
    m.append(std::string_view("}}"));
    emit(m);
  }

  // ------------------------------------------------------------ trace layer

  void span_edge(trace::span_record& rec, bool enter) {
    if (!active()) return;
    thread_state& t = this_thread();
    name_thread(t);
    const std::uint64_t task = trace::detail::current_task_id();
    fmt::memory_buffer m;
    const std::uint64_t ts = now_ns();
    begin_event(m, rec.meta->name, rec.meta->target, enter ? 'B' : 'E',
                task != 0 ? kTasksPid : kThreadsPid, task != 0 ? task : t.tid, ts);
    if (enter) {
      fmt::format_to(fmt::appender(m), ",\"args\":{{\"span\":{}", rec.id);
      std::lock_guard g(rec.lock);
      for (const trace::owned_field& f : rec.fields) {
        m.push_back(',');
        detail::json_string(m, f.name);
        m.push_back(':');
        detail::json_value(m, f.view());
      }
      m.push_back('}');
    }
    m.push_back('}');
    emit(m);
  }

  void event(const trace::event& e) {
    if (!active()) return;
    thread_state& t = this_thread();
    name_thread(t);
    fmt::memory_buffer msg;
    e.format_message(fmt::appender(msg));
    fmt::memory_buffer m;
    begin_event(m, std::string_view(msg.data(), msg.size()), e.meta->target, 'i',
                e.task_id != 0 ? kTasksPid : kThreadsPid, e.task_id != 0 ? e.task_id : t.tid,
                now_ns());
    m.append(std::string_view(",\"s\":\"t\",\"args\":{\"level\":"));
    detail::json_string(m, trace::to_string(e.meta->lvl));
    if (e.parent) fmt::format_to(fmt::appender(m), ",\"span\":{}", e.parent.id);
    for (const trace::field_ref& f : e.fields) {
      m.push_back(',');
      detail::json_string(m, f.name);
      m.push_back(':');
      detail::json_value(m, f.val);
    }
    m.append(std::string_view("}}"));
    emit(m);
  }

  // ---------------------------------------------------------------- output

  /// Writes the buffer to the file. With a deadline (crash, exit), gives up
  /// on a lock it cannot take in time rather than hang.
  void flush(bool bounded) noexcept {
    std::unique_lock<std::mutex> fl(file_mu_, std::defer_lock);
    if (!lock_bounded(fl, bounded)) return;
    if (fd_ < 0) return;
    if (bounded) {
      // Crash or exit: write from the buffer in place and keep its memory
      // (no allocation or free inside a signal handler).
      std::unique_lock<std::mutex> bl(buf_mu_, std::defer_lock);
      if (!lock_bounded(bl, bounded)) return;
      if (!buf_.empty()) write_chunk(buf_);
      buf_.clear();
      return;
    }
    std::string chunk;
    {
      std::lock_guard bl(buf_mu_);
      take_buffer(chunk);
    }
    if (!chunk.empty()) write_chunk(chunk);
  }

  /// Moves buf_ into `chunk` and counts it as written already, so emit()
  /// does not admit more than the limit while it is being written.
  /// file_mu_ and buf_mu_ held.
  void take_buffer(std::string& chunk) noexcept {
    chunk.swap(buf_);
    written_shared_.store(written_ + chunk.size(), std::memory_order_relaxed);
  }

  /// Stops recording with a note (limit reached) or without (stop, exit).
  void stop(std::string_view reason) noexcept {
    bool was = recording_.exchange(false, std::memory_order_acq_rel);
    {
      std::lock_guard g(wake_mu_);
      quit_ = true;
    }
    wake_cv_.notify_all();
    // Joined also when the writer stopped itself at a limit (it has returned).
    if (writer_.joinable() && writer_.get_id() != std::this_thread::get_id()) writer_.join();
    if (was) finish(reason);
    if (installed_) {
      remove_observer(this);
      installed_ = false;
    }
  }

 private:
  bool active() const noexcept {
    // acquire: pairs with start()'s release, so a callback that sees the
    // timeline recording sees it fully set up.
    return recording_.load(std::memory_order_acquire) && !detail::this_thread_ignored();
  }

  static bool lock_bounded(std::unique_lock<std::mutex>& l, bool bounded) noexcept {
    if (!bounded) {
      l.lock();
      return true;
    }
    for (int i = 0; i < 200; ++i) {  // about 200 ms
      if (l.try_lock()) return true;
      std::this_thread::sleep_for(1ms);
    }
    return false;
  }

  shard& shard_of(task_id id) noexcept { return shards_[id % shards_.size()]; }

  std::string task_name(task_id id) {
    shard& sh = shard_of(id);
    std::lock_guard g(sh.mu);
    auto it = sh.tasks.find(id);
    return it != sh.tasks.end() ? it->second.name : fmt::format("task {}", id);
  }

  void name_thread(thread_state& t) {
    if (t.named_gen == gen_) return;
    t.named_gen = gen_;
    char name[32] = {};
    pthread_getname_np(pthread_self(), name, sizeof name);
    fmt::memory_buffer m;
    meta(m, kThreadsPid, t.tid, "thread_name",
         name[0] != '\0' ? fmt::format("{} ({})", name, t.tid) : fmt::format("thread {}", t.tid),
         false);
    emit(m);
  }

  /// Opens an event object: {"name":..,"cat":..,"ph":..,"pid":..,"tid":..,"ts":..
  void begin_event(fmt::memory_buffer& m, std::string_view name, std::string_view cat, char ph,
                   int pid, std::uint64_t tid, std::uint64_t ts) const {
    m.append(std::string_view("{\"name\":"));
    detail::json_string(m, name);
    m.append(std::string_view(",\"cat\":"));
    detail::json_string(m, cat);
    fmt::format_to(fmt::appender(m), ",\"ph\":\"{}\",\"pid\":{},\"tid\":{},\"ts\":{:.3f}", ph, pid,
                   tid, ts >= t0_ ? static_cast<double>(ts - t0_) / 1000.0 : 0.0);
  }

  static void meta(fmt::memory_buffer& m, int pid, std::uint64_t tid, std::string_view what,
                   std::string_view name, bool first) {
    (void)first;  // metadata events carry no timestamp
    fmt::format_to(fmt::appender(m), "{{\"name\":\"{}\",\"ph\":\"M\",\"pid\":{},\"tid\":{},", what,
                   pid, tid);
    m.append(std::string_view("\"args\":{\"name\":"));
    detail::json_string(m, name);
    m.append(std::string_view("}}"));
  }

  void emit(const fmt::memory_buffer& m) noexcept {
    if (m.size() == 0) return;
    bool limit = false;
    bool big = false;
    {
      std::lock_guard g(buf_mu_);
      if (!recording_.load(std::memory_order_relaxed)) return;
      if (buf_.size() + m.size() + 2 > opts_.buffer_bytes) {
        ++dropped_;
        return;
      }
      // relaxed: written_shared_ is stored under buf_mu_ when a chunk is
      // taken (take_buffer); the store after the write repeats that value.
      if (opts_.max_bytes != 0 &&
          written_shared_.load(std::memory_order_relaxed) + buf_.size() + m.size() + 256 >
              opts_.max_bytes) {
        limit = true;
      } else {
        buf_.append(",\n");
        buf_.append(m.data(), m.size());
        big = buf_.size() > (std::size_t{1} << 20);
      }
    }
    if (limit) {
      limit_hit_.store(1, std::memory_order_relaxed);
      wake_cv_.notify_all();
    } else if (big) {
      wake_cv_.notify_all();
    }
  }

  /// Writes s then the closing "]}" at off, without allocating (the crash
  /// path runs in a signal handler).
  bool write_at(std::uint64_t off, std::string_view s) noexcept {
    auto at = static_cast<off_t>(off);
    for (std::string_view part : {s, kClosing}) {
      const char* p = part.data();
      std::size_t left = part.size();
      while (left > 0) {
        ssize_t n = ::pwrite(fd_, p, left, at);
        if (n < 0) {
          if (errno == EINTR) continue;
          return false;
        }
        p += n;
        left -= static_cast<std::size_t>(n);
        at += n;
      }
    }
    return true;
  }

  // file_mu_ held.
  void write_chunk(const std::string& chunk) noexcept {
    if (!write_at(written_, chunk)) {
      if (!write_failed_)
        std::fprintf(stderr, "lucid: LUCID_TRACE_FILE: write failed: %s\n", std::strerror(errno));
      write_failed_ = true;
      return;
    }
    written_ += chunk.size();
    written_shared_.store(written_, std::memory_order_relaxed);
  }

  // Final write: what is buffered, the note, and the file closed.
  void finish(std::string_view reason) noexcept {
    std::lock_guard fl(file_mu_);
    if (fd_ < 0) return;
    std::string chunk;
    std::uint64_t dropped = 0;
    {
      std::lock_guard g(buf_mu_);
      take_buffer(chunk);
      dropped = dropped_;
    }
    if (!reason.empty() || dropped != 0) {
      fmt::memory_buffer m;
      std::string note = reason.empty() ? std::string("lucid: recording ended")
                                        : fmt::format("lucid: recording stopped: {}", reason);
      begin_event(m, note, "lucid", 'i', kThreadsPid, 0, now_ns());
      fmt::format_to(fmt::appender(m), ",\"s\":\"g\",\"args\":{{\"dropped_events\":{}}}}}",
                     dropped);
      chunk.append(",\n");
      chunk.append(m.data(), m.size());
    }
    if (!chunk.empty()) write_chunk(chunk);
    ::fsync(fd_);
    ::close(fd_);
    fd_ = -1;
    if (dropped != 0) {
      std::fprintf(stderr,
                   "lucid: LUCID_TRACE_FILE: %llu events were dropped (the in-memory buffer "
                   "was full)\n",
                   static_cast<unsigned long long>(dropped));
    }
  }

  void writer_loop() {
    detail::become_exporter_thread("lucid-timeline");
    // A thread of lucid's own: the "all tasks asleep" detector need not
    // suspect it of holding a waker.
    lucid::detail::known_thread_scope known;
    for (;;) {
      {
        std::unique_lock l(wake_mu_);
        wake_cv_.wait_for(
            l, 100ms, [this] { return quit_ || limit_hit_.load(std::memory_order_relaxed) != 0; });
        if (quit_) return;
      }
      std::string reason;
      if (limit_hit_.load(std::memory_order_relaxed) != 0) {
        reason = fmt::format("size limit LUCID_TRACE_FILE_MAX={} bytes reached", opts_.max_bytes);
      } else if (opts_.max_ns != 0 && now_ns() - t0_ >= opts_.max_ns) {
        reason = fmt::format("duration limit LUCID_TRACE_FILE_MAX={}s reached",
                             static_cast<double>(opts_.max_ns) / 1e9);
      }
      if (!reason.empty()) {
        std::fprintf(stderr, "lucid: LUCID_TRACE_FILE: %s; the recording stops here\n",
                     reason.c_str());
        bool was = recording_.exchange(false, std::memory_order_acq_rel);
        if (was) finish(reason);
        remove_observer(this);  // not a callback: allowed
        std::lock_guard g(wake_mu_);
        installed_ = false;
        return;
      }
      flush(false);
    }
  }

  int fd_;
  timeline_options opts_;
  std::uint64_t gen_;
  std::uint64_t t0_;
  std::atomic<bool> recording_{false};
  bool installed_ = false;  // written by start/stop and the writer's limit stop (not both: stop
                            // joins the writer first)
  std::atomic<std::uint64_t> next_flow_{0};
  std::array<shard, 64> shards_;

  std::mutex buf_mu_;
  std::string buf_;            // buf_mu_
  std::uint64_t dropped_ = 0;  // buf_mu_

  std::mutex file_mu_;
  std::uint64_t written_ = 0;  // file_mu_
  std::atomic<std::uint64_t> written_shared_{0};
  bool write_failed_ = false;  // file_mu_

  std::mutex wake_mu_;
  std::condition_variable wake_cv_;
  bool quit_ = false;  // wake_mu_
  std::atomic<int> limit_hit_{0};
  std::thread writer_;
};

std::mutex g_start_mu;
std::atomic<timeline*> g_timeline{nullptr};

class timeline_layer_impl final : public trace::layer {
 public:
  void on_enter(trace::span_record& rec) override {
    if (timeline* t = g_timeline.load(std::memory_order_acquire)) t->span_edge(rec, true);
  }
  void on_exit(trace::span_record& rec) override {
    if (timeline* t = g_timeline.load(std::memory_order_acquire)) t->span_edge(rec, false);
  }
  void on_event(const trace::event& e, trace::span_record*) override {
    if (timeline* t = g_timeline.load(std::memory_order_acquire)) t->event(e);
  }
  void flush() override {
    // The crash handler's pre-crash hook reaches here through trace::flush().
    if (timeline* t = g_timeline.load(std::memory_order_acquire)) t->flush(true);
  }
};

std::shared_ptr<trace::layer>& layer_instance() {
  static auto* l = new std::shared_ptr<trace::layer>(std::make_shared<timeline_layer_impl>());
  return *l;
}

void stop_at_exit() {
  stop_timeline();
}

}  // namespace

bool parse_timeline_max(std::string_view text, timeline_options& opts) noexcept {
  if (text.empty()) return false;
  std::size_t i = 0;
  double v = 0;
  bool digits = false;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
    v = v * 10 + (text[i] - '0');
    digits = true;
    ++i;
  }
  if (!digits) return false;
  std::string_view unit = text.substr(i);
  auto size = [&](double mult) {
    opts.max_bytes = static_cast<std::uint64_t>(v * mult);
    opts.max_ns = 0;
    return opts.max_bytes > 0;
  };
  auto dur = [&](double mult) {
    opts.max_ns = static_cast<std::uint64_t>(v * mult);
    opts.max_bytes = 0;
    return opts.max_ns > 0;
  };
  if (unit.empty() || unit == "B" || unit == "b") return size(1);
  if (unit == "K" || unit == "k" || unit == "KB" || unit == "KiB") return size(1024.0);
  if (unit == "M" || unit == "m" || unit == "MB" || unit == "MiB") return size(1024.0 * 1024);
  if (unit == "G" || unit == "g" || unit == "GB" || unit == "GiB")
    return size(1024.0 * 1024 * 1024);
  if (unit == "ms") return dur(1e6);
  if (unit == "s") return dur(1e9);
  if (unit == "min") return dur(60e9);
  if (unit == "h") return dur(3600e9);
  return false;
}

bool start_timeline(const std::string& path, timeline_options opts) {
  std::lock_guard g(g_start_mu);
  if (timeline* cur = g_timeline.load(std::memory_order_acquire); cur && cur->recording()) {
    std::fprintf(stderr, "lucid: a timeline is already recording; %s not started\n", path.c_str());
    return false;
  }
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    std::fprintf(stderr, "lucid: LUCID_TRACE_FILE: cannot open %s: %s\n", path.c_str(),
                 std::strerror(errno));
    return false;
  }
  auto* t = new timeline(fd, opts);  // never freed: see the top of the file
  g_timeline.store(t, std::memory_order_release);
  if (!t->start()) {
    std::fprintf(stderr, "lucid: LUCID_TRACE_FILE: cannot write %s: %s\n", path.c_str(),
                 std::strerror(errno));
    ::close(fd);
    return false;
  }
  static bool registered = [] {
    trace::add_init_layer(layer_instance());
    std::atexit(&stop_at_exit);
    return true;
  }();
  (void)registered;
  return true;
}

void stop_timeline() noexcept {
  std::lock_guard g(g_start_mu);
  if (timeline* t = g_timeline.load(std::memory_order_acquire)) t->stop({});
}

void flush_timeline() noexcept {
  if (timeline* t = g_timeline.load(std::memory_order_acquire)) t->flush(true);
}

bool timeline_recording() noexcept {
  timeline* t = g_timeline.load(std::memory_order_acquire);
  return t != nullptr && t->recording();
}

std::shared_ptr<trace::layer> timeline_layer() {
  return layer_instance();
}

}  // namespace lucid::exporters
