// The OTLP/HTTP exporter (lucid/exporters/otlp.hpp).
// The span it keeps and its encoding: otlp_internal.hpp, otlp_encode.cpp;
// the options read from the environment: otlp_options.cpp.
//
// State and who touches it:
//  - shards_ (one mutex each): the live spans this layer knows, by lucid
//    span id: their OpenTelemetry ids, sampling decision, start time and the
//    events logged inside them. Written by on_new_span/on_event/on_close on
//    any thread, read by the propagator.
//  - queue_ (queue_mu_): closed, sampled spans waiting for the sender;
//    bounded by max_queue. accepted_ counts every span that entered it.
//  - the sender thread owns its runtime and client; done_ (queue_mu_) counts
//    spans it finished with (sent or given up), which flush() waits on.
// The exporter object is never freed: the layer may still hold it at exit.
#include "lucid/exporters/otlp.hpp"

#include <fmt/format.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <exception>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <unordered_map>

#include "internal.hpp"
#include "lucid/http/client.hpp"
#include "lucid/rt/detail/inspect.hpp"
#include "lucid/rt/runtime.hpp"
#include "lucid/time/timeout.hpp"
#include "lucid/trace/init.hpp"
#include "lucid/trace/remote_parent.hpp"
#include "otlp_internal.hpp"
#include "protobuf.hpp"

namespace lucid::exporters {

namespace {

using namespace std::chrono_literals;

using detail::attribute;
using detail::encode_span;
using detail::hexval;
using detail::key_value;
using detail::kKindClient;
using detail::kKindInternal;
using detail::kKindServer;
using detail::program_name;
using detail::span_data;
using detail::span_event;
using detail::to_attribute;

std::uint64_t wall_ns() noexcept {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000u +
         static_cast<std::uint64_t>(ts.tv_nsec);
}

[[gnu::noinline]] std::uint64_t random64() noexcept {
  thread_local std::mt19937_64 rng([] {
    std::random_device rd;
    return (std::uint64_t{rd()} << 32) ^ rd() ^ static_cast<std::uint64_t>(::syscall(SYS_gettid));
  }());
  std::uint64_t v;
  do {
    v = rng();
  } while (v == 0);
  return v;
}

template <std::size_t N>
bool from_hex(std::string_view s, std::array<std::uint8_t, N>& out) noexcept {
  if (s.size() != 2 * N) return false;
  bool nonzero = false;
  for (std::size_t i = 0; i < N; ++i) {
    int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<std::uint8_t>(hi * 16 + lo);
    nonzero |= out[i] != 0;
  }
  return nonzero;
}

template <std::size_t N>
void to_hex(const std::array<std::uint8_t, N>& a, std::string& out) {
  static constexpr char d[] = "0123456789abcdef";
  for (std::uint8_t b : a) {
    out.push_back(d[b >> 4]);
    out.push_back(d[b & 15]);
  }
}

void put64(std::uint8_t* p, std::uint64_t v) noexcept {
  for (int i = 0; i < 8; ++i)
    p[i] = static_cast<std::uint8_t>(v >> (56 - 8 * i));
}

constexpr std::size_t kMaxEvents = 128;

// ------------------------------------------------------------ the exporter

struct endpoint {
  std::string host_port;
  std::string path;
};

bool parse_endpoint(std::string_view url, endpoint& ep) {
  constexpr std::string_view scheme = "http://";
  if (url.substr(0, scheme.size()) != scheme) return false;
  url.remove_prefix(scheme.size());
  std::size_t slash = url.find('/');
  std::string_view hp = url.substr(0, slash);
  if (hp.empty()) return false;
  ep.host_port.assign(hp);
  if (hp.find(':') == std::string_view::npos) ep.host_port += ":80";
  ep.path = slash == std::string_view::npos ? "/" : std::string(url.substr(slash));
  return true;
}

struct shard {
  std::mutex mu;
  std::unordered_map<trace::span_id, span_data> spans;
};

class exporter {
 public:
  exporter(otlp_options o, endpoint ep) : opts_(std::move(o)), ep_(std::move(ep)) {
    resource_ = encode_resource();
  }

  void start() {
    detail::exporter_thread_start blocked;
    thread_ = std::thread([this] { run(); });
  }

  // ------------------------------------------------------------ layer side

  void on_new_span(const trace::span_attributes& attrs) {
    span_data d;
    d.name = attrs.meta->name;
    d.start = wall_ns();
    std::string_view name = d.name;
    d.kind = name == "http.request"  ? kKindServer
             : name == "http.client" ? kKindClient
                                     : kKindInternal;
    put64(d.span_id.data(), random64());
    bool have_parent = false;
    bool parent_sampled = true;
    if (attrs.parent) {
      shard& sh = shard_of(attrs.parent.id);
      std::lock_guard g(sh.mu);
      auto it = sh.spans.find(attrs.parent.id);
      if (it != sh.spans.end()) {
        d.trace_id = it->second.trace_id;
        d.parent_id = it->second.span_id;
        d.has_parent = true;
        parent_sampled = it->second.sampled;
        have_parent = true;
      }
    }
    if (!have_parent) {
      std::string_view tid, pid;
      for (const trace::field_ref& f : attrs.fields) {
        if (f.val.kind != trace::value_kind::str) continue;
        if (std::string_view(f.name) == trace::remote_parent::trace_id_field) tid = f.val.str();
        if (std::string_view(f.name) == trace::remote_parent::parent_span_id_field)
          pid = f.val.str();
      }
      if (from_hex(tid, d.trace_id) && from_hex(pid, d.parent_id)) {
        d.has_parent = true;
        d.remote_parent = true;
        have_parent = true;  // a remote parent: its sampled flag is not carried; taken as set
      } else {
        put64(d.trace_id.data(), random64());
        put64(d.trace_id.data() + 8, random64());
      }
    }
    d.sampled = decide(have_parent, parent_sampled, d.trace_id);
    shard& sh = shard_of(attrs.id);
    std::lock_guard g(sh.mu);
    sh.spans[attrs.id] = std::move(d);
  }

  void on_event(const trace::event& e) {
    if (!e.parent) return;
    span_event ev;
    ev.time = wall_ns();
    fmt::memory_buffer m;
    e.format_message(fmt::appender(m));
    ev.name.assign(m.data(), m.size());
    ev.attrs.reserve(e.fields.size() + 1);
    attribute lvl;
    lvl.key = "level";
    lvl.s.assign(trace::to_string(e.meta->lvl));
    ev.attrs.push_back(std::move(lvl));
    for (const trace::field_ref& f : e.fields)
      if (f.val.kind != trace::value_kind::none) ev.attrs.push_back(to_attribute(f.name, f.val));
    const bool error = e.meta->lvl == trace::level::error;
    shard& sh = shard_of(e.parent.id);
    std::lock_guard g(sh.mu);
    auto it = sh.spans.find(e.parent.id);
    if (it == sh.spans.end() || !it->second.sampled) return;
    span_data& d = it->second;
    if (error && !d.error) {
      d.error = true;
      d.status_message = ev.name;
    }
    if (d.events.size() < kMaxEvents) {
      d.events.push_back(std::move(ev));
    } else {
      ++d.dropped_events;
    }
  }

  void on_close(trace::span_record& rec) {
    span_data d;
    {
      shard& sh = shard_of(rec.id);
      std::lock_guard g(sh.mu);
      auto it = sh.spans.find(rec.id);
      if (it == sh.spans.end()) return;
      d = std::move(it->second);
      sh.spans.erase(it);
    }
    if (!d.sampled) return;
    d.end = wall_ns();
    {
      std::lock_guard g(rec.lock);
      d.attrs.reserve(rec.fields.size());
      for (const trace::owned_field& f : rec.fields) {
        if (f.kind == trace::value_kind::none) continue;
        std::string_view n = f.name;
        if (d.remote_parent && (n == trace::remote_parent::trace_id_field ||
                                n == trace::remote_parent::parent_span_id_field))
          continue;
        if (n == "error") {
          d.error = true;
          d.status_message =
              f.kind == trace::value_kind::str || f.kind == trace::value_kind::display
                  ? f.text
                  : std::string("error");
        }
        d.attrs.push_back(to_attribute(f.name, f.view()));
      }
    }
    if (std::uncaught_exceptions() > 0 && !d.error) {
      d.error = true;
      d.status_message = "an exception unwound through the span (a panic)";
    }
    enqueue(std::move(d));
  }

  bool traceparent(trace::span_id id, std::string& tp) {
    shard& sh = shard_of(id);
    std::lock_guard g(sh.mu);
    auto it = sh.spans.find(id);
    if (it == sh.spans.end()) return false;
    tp.assign("00-");
    to_hex(it->second.trace_id, tp);
    tp.push_back('-');
    to_hex(it->second.span_id, tp);
    tp.append(it->second.sampled ? "-01" : "-00");
    return true;
  }

  // ------------------------------------------------------------ control

  bool flush(std::chrono::milliseconds timeout) {
    std::unique_lock l(queue_mu_);
    const std::uint64_t target = accepted_;
    flush_requested_ = true;
    cv_.notify_all();
    bool ok = done_cv_.wait_for(l, timeout, [&] { return done_ >= target || stopped_; });
    return ok && done_ >= target;
  }

  void stop() {
    flush(5s);
    {
      std::lock_guard g(queue_mu_);
      if (quit_) return;
      quit_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) {
      // Bounded: a sender stuck on a collector that does not answer is left
      // behind (its request times out on its own).
      std::unique_lock l(queue_mu_);
      if (done_cv_.wait_for(l, 2s, [&] { return stopped_; })) {
        l.unlock();
        thread_.join();
      } else {
        thread_.detach();
      }
    }
    otlp_stats s;
    {
      // What the sender did not finish (stuck on a collector that does not
      // answer) is counted as lost, not forgotten.
      std::lock_guard g(queue_mu_);
      stats_.dropped_failed += accepted_ - done_;
      done_ = accepted_;
      abandoned_ = true;
      queue_.clear();
      s = stats_;
    }
    if (s.dropped_queue != 0 || s.dropped_failed != 0) {
      std::fprintf(stderr,
                   "lucid: OTLP exporter: %llu spans exported, %llu dropped because the queue "
                   "was full, %llu lost because the export failed\n",
                   static_cast<unsigned long long>(s.exported),
                   static_cast<unsigned long long>(s.dropped_queue),
                   static_cast<unsigned long long>(s.dropped_failed));
    }
  }

  otlp_stats stats() {
    std::lock_guard g(queue_mu_);
    return stats_;
  }

  bool quitting() {
    std::lock_guard g(queue_mu_);
    return quit_;
  }

 private:
  shard& shard_of(trace::span_id id) noexcept { return shards_[id % shards_.size()]; }

  bool ratio_ok(const std::array<std::uint8_t, 16>& tid) const noexcept {
    if (opts_.ratio >= 1.0) return true;
    if (opts_.ratio <= 0.0) return false;
    // The trace id's low 8 bytes against ratio * 2^64 (the same trace is
    // kept or dropped in every process that uses the same ratio).
    std::uint64_t low = 0;
    for (int i = 8; i < 16; ++i)
      low = (low << 8) | tid[i];
    return static_cast<double>(low) < opts_.ratio * 18446744073709551616.0;
  }

  bool decide(bool has_parent, bool parent_sampled, const std::array<std::uint8_t, 16>& tid) {
    switch (opts_.sampler) {
      case sampler_kind::always_on:
        return true;
      case sampler_kind::always_off:
        return false;
      case sampler_kind::traceidratio:
        return ratio_ok(tid);
      case sampler_kind::parentbased_always_on:
        return has_parent ? parent_sampled : true;
      case sampler_kind::parentbased_always_off:
        return has_parent ? parent_sampled : false;
      case sampler_kind::parentbased_traceidratio:
        return has_parent ? parent_sampled : ratio_ok(tid);
    }
    return true;
  }

  void enqueue(span_data&& d) {
    bool first_drop = false;
    bool wake = false;
    {
      std::lock_guard g(queue_mu_);
      if (quit_ || queue_.size() >= opts_.max_queue) {
        first_drop = stats_.dropped_queue++ == 0;
      } else {
        queue_.push_back(std::move(d));
        ++accepted_;
        wake = queue_.size() >= opts_.max_batch;
      }
    }
    if (first_drop) {
      std::fprintf(stderr,
                   "lucid: OTLP exporter: the queue is full (%zu spans): spans are dropped and "
                   "counted (the total is reported at exit)\n",
                   opts_.max_queue);
    }
    if (wake) cv_.notify_one();
  }

  std::string encode_resource() const {
    detail::pb_writer r;  // Resource
    bool has_name = false;
    for (const auto& [k, v] : opts_.resource_attributes) {
      attribute a;
      a.key = k;
      a.s = (k == "service.name" && !opts_.service_name.empty()) ? opts_.service_name : v;
      has_name |= k == "service.name";
      r.bytes_field(1, key_value(a));
    }
    if (!has_name) {
      attribute a;
      a.key = "service.name";
      a.s = opts_.service_name;
      r.bytes_field(1, key_value(a));
    }
    for (auto [k, v] : {std::pair<const char*, const char*>{"telemetry.sdk.name", "lucid"},
                        {"telemetry.sdk.language", "cpp"}}) {
      attribute a;
      a.key = k;
      a.s = v;
      r.bytes_field(1, key_value(a));
    }
    return std::move(r.bytes());
  }

  std::string encode_request(const std::vector<span_data>& batch) const {
    detail::pb_writer scope;  // InstrumentationScope
    scope.bytes_field(1, "lucid");
    detail::pb_writer ss;  // ScopeSpans
    ss.bytes_field(1, scope.bytes());
    for (const span_data& s : batch)
      ss.bytes_field(2, encode_span(s));
    detail::pb_writer rs;  // ResourceSpans
    rs.bytes_field(1, resource_);
    rs.bytes_field(2, ss.bytes());
    detail::pb_writer req;  // ExportTraceServiceRequest
    req.bytes_field(1, rs.bytes());
    return std::move(req.bytes());
  }

  /// One POST; 0 on success, else the HTTP status or -1 for a transport error.
  int post(lucid::runtime& rt, http::client& cli, const std::string& body) {
    std::vector<http::header> headers;
    headers.reserve(opts_.headers.size());
    for (const auto& [k, v] : opts_.headers)
      headers.push_back({k, v});
    auto op = [&]() -> task<int> {
      auto r = co_await lucid::timeout(opts_.request_timeout,
                                       cli.post(ep_.path, body, "application/x-protobuf", headers));
      if (!r || !*r) {
        cli.close();
        last_error_ = !r ? std::string("timed out") : (*r).error().describe();
        co_return -1;
      }
      int st = (*r)->status;
      if (st >= 200 && st < 300) co_return 0;
      last_error_ = fmt::format("HTTP status {}", st);
      co_return st;
    };
    return rt.block_on(op());
  }

  void run() {
    detail::become_exporter_thread("lucid-otlp");
    lucid::detail::known_thread_scope known;  // lucid's own (see timeline.cpp)
    // The sender's own requests (its http.client spans) are not exported:
    // the layer ignores this thread (a scoped default subscriber would turn
    // every callsite's cached interest into "ask each time" for everyone).
    lucid::runtime_options ro = lucid::runtime_options::current_thread();
    ro.inspectable = false;
    ro.crash_handler = false;
    lucid::runtime rt(ro);
    http::client cli(ep_.host_port);
    bool reported_failure = false;
    std::vector<span_data> batch;
    for (;;) {
      {
        std::unique_lock l(queue_mu_);
        cv_.wait_for(l, opts_.schedule_delay,
                     [&] { return quit_ || flush_requested_ || queue_.size() >= opts_.max_batch; });
        if (queue_.empty()) {
          flush_requested_ = false;
          done_cv_.notify_all();
          if (quit_) break;
          continue;
        }
        const std::size_t n = std::min(queue_.size(), opts_.max_batch);
        batch.clear();
        for (std::size_t i = 0; i < n; ++i) {
          batch.push_back(std::move(queue_.front()));
          queue_.pop_front();
        }
      }
      const std::string body = encode_request(batch);
      bool sent = false;
      auto backoff = opts_.initial_backoff;
      for (int attempt = 0; attempt < opts_.max_attempts; ++attempt) {
        int st = post(rt, cli, body);
        if (st == 0) {
          sent = true;
          break;
        }
        {
          std::lock_guard g(queue_mu_);
          ++stats_.failed_attempts;
        }
        const bool retryable = st == -1 || st == 429 || st == 502 || st == 503 || st == 504;
        if (!retryable || attempt + 1 == opts_.max_attempts) break;
        std::unique_lock l(queue_mu_);
        if (cv_.wait_for(l, backoff, [&] { return quit_; })) break;
        backoff *= 2;
      }
      {
        std::lock_guard g(queue_mu_);
        if (abandoned_) break;  // stop() counted this batch already
        if (sent) {
          stats_.exported += batch.size();
          ++stats_.requests;
        } else {
          stats_.dropped_failed += batch.size();
        }
        done_ += batch.size();
      }
      done_cv_.notify_all();
      if (!sent && !reported_failure) {
        reported_failure = true;
        std::fprintf(stderr,
                     "lucid: OTLP exporter: cannot export %zu spans to http://%s%s (%s); spans "
                     "that fail are counted (the total is reported at exit)\n",
                     batch.size(), ep_.host_port.c_str(), ep_.path.c_str(), last_error_.c_str());
      }
    }
    std::lock_guard g(queue_mu_);
    stopped_ = true;
    done_cv_.notify_all();
  }

  otlp_options opts_;
  endpoint ep_;
  std::string resource_;
  std::array<shard, 64> shards_;

  std::mutex queue_mu_;
  std::condition_variable cv_, done_cv_;
  std::deque<span_data> queue_;   // queue_mu_
  std::uint64_t accepted_ = 0;    // queue_mu_
  std::uint64_t done_ = 0;        // queue_mu_
  bool flush_requested_ = false;  // queue_mu_
  bool quit_ = false;             // queue_mu_
  bool stopped_ = false;          // queue_mu_
  bool abandoned_ = false;        // queue_mu_: stop() counted what was left
  otlp_stats stats_;              // queue_mu_
  std::string last_error_;        // sender thread
  std::thread thread_;
};

std::mutex g_start_mu;
std::atomic<exporter*> g_exporter{nullptr};

exporter* current() noexcept {
  return g_exporter.load(std::memory_order_acquire);
}

class otlp_layer_impl final : public trace::layer {
 public:
  void on_new_span(const trace::span_attributes& attrs, trace::span_record&) override {
    if (exporter* e = current(); e != nullptr && !detail::this_thread_ignored())
      e->on_new_span(attrs);
  }
  void on_event(const trace::event& ev, trace::span_record*) override {
    if (exporter* e = current()) e->on_event(ev);
  }
  void on_close(trace::span_record& rec) override {
    if (exporter* e = current()) e->on_close(rec);
  }
};

std::shared_ptr<trace::layer>& layer_instance() {
  static auto* l = new std::shared_ptr<trace::layer>(std::make_shared<otlp_layer_impl>());
  return *l;
}

bool propagate(std::uint64_t span, std::string& traceparent, std::string& tracestate) noexcept {
  (void)tracestate;  // lucid keeps no vendor trace state of its own
  exporter* e = current();
  return e != nullptr && e->traceparent(span, traceparent);
}

void stop_at_exit() {
  stop_otlp();
}

}  // namespace

bool start_otlp(otlp_options opts) {
  std::lock_guard g(g_start_mu);
  if (current() != nullptr && !current()->quitting()) {
    std::fprintf(stderr, "lucid: the OTLP exporter is already started\n");
    return false;
  }
  endpoint ep;
  if (!parse_endpoint(opts.endpoint, ep)) {
    std::fprintf(stderr,
                 "lucid: OTLP exporter: cannot use endpoint \"%s\" (expected "
                 "http://host:port/path; https is not supported); not exporting\n",
                 opts.endpoint.c_str());
    return false;
  }
  if (opts.max_batch > opts.max_queue) opts.max_batch = opts.max_queue;
  if (opts.service_name.empty()) opts.service_name = "unknown_service:" + program_name();
  auto* e = new exporter(std::move(opts), std::move(ep));  // never freed: see the top
  e->start();
  g_exporter.store(e, std::memory_order_release);
  trace::set_propagator(&propagate);
  static bool registered = [] {
    trace::add_init_layer(layer_instance());
    std::atexit(&stop_at_exit);
    return true;
  }();
  (void)registered;
  return true;
}

bool flush_otlp(std::chrono::milliseconds timeout) noexcept {
  exporter* e = current();
  return e == nullptr || e->flush(timeout);
}

void stop_otlp() noexcept {
  std::lock_guard g(g_start_mu);
  exporter* e = current();
  if (e == nullptr) return;
  trace::set_propagator(nullptr);
  e->stop();
}

otlp_stats otlp_statistics() noexcept {
  exporter* e = current();
  return e != nullptr ? e->stats() : otlp_stats{};
}

std::shared_ptr<trace::layer> otlp_layer() {
  return layer_instance();
}

}  // namespace lucid::exporters
