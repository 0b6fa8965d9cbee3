// lucid::http::server: configuration, the accept loop, the timeout sweeper
// and graceful shutdown (see include/lucid/http/server.hpp and
// server_state.hpp). Connections live in connection.hpp, connection.cpp and
// connection_write.cpp.
#include "lucid/http/server.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <stop_token>
#include <variant>

#include "lucid/rt/select.hpp"
#include "lucid/rt/spawn.hpp"
#include "lucid/time/sleep.hpp"
#include "lucid/trace/trace.hpp"
#include "server_state.hpp"

namespace lucid::http {

namespace detail {

server_state::server_state(server_options o) : opts(o) {}

lucid::duration server_state::tick() const noexcept {
  using namespace std::chrono;
  const nanoseconds shortest = std::min(
      {opts.header_read_timeout, opts.body_read_timeout, opts.idle_timeout, opts.write_timeout});
  return std::clamp<lucid::duration>(duration_cast<lucid::duration>(shortest / 8), milliseconds(1),
                                     seconds(1));
}

lucid::duration server_state::timeout_of(std::uint32_t kind) const noexcept {
  using std::chrono::duration_cast;
  using namespace std::chrono_literals;
  switch (kind) {
    case k_first:
      return duration_cast<lucid::duration>(std::min(opts.idle_timeout, opts.header_read_timeout));
    case k_idle:
      return duration_cast<lucid::duration>(opts.idle_timeout);
    case k_head:
      return duration_cast<lucid::duration>(opts.header_read_timeout);
    case k_body:
      return duration_cast<lucid::duration>(opts.body_read_timeout);
    case k_write:
      return duration_cast<lucid::duration>(opts.write_timeout);
    case k_linger:
      return duration_cast<lucid::duration>(
          std::min<std::chrono::nanoseconds>(opts.idle_timeout, 2s));
    default:
      return lucid::duration::max();
  }
}

void server_state::register_slot(conn_slot* s) {
  std::lock_guard g(mu);
  slots.push_back(s);
}

void server_state::unregister_slot(conn_slot* s) noexcept {
  std::lock_guard g(mu);
  if (s->linked()) slots.unlink(s);
}

void server_state::sweep(lucid::time_point now) noexcept {
  // seq_cst: pairs with the connection's CAS to `idle` followed by its load of
  // `stopping` (either it sees the flag, or we see its idle word).
  const bool stop = stopping.load(std::memory_order_seq_cst);
  std::lock_guard g(mu);
  slots.for_each([&](conn_slot* s) {
    // acquire: nothing to synchronise beyond the word itself, but keep the
    // kill decision ordered after the connection's own writes.
    std::uint32_t w = s->word.load(std::memory_order_seq_cst);
    const std::uint32_t kind = w & k_kind_mask;
    if (kind == k_busy || (w & k_killed) != 0) {
      s->seen_word = w;
      return;
    }
    if (w != s->seen_word) {
      s->seen_word = w;
      s->seen_at = now;
    }
    const bool idle_on_stop = stop && (kind == k_idle || kind == k_first);
    if (!idle_on_stop && now - s->seen_at < timeout_of(kind)) return;
    if (!s->word.compare_exchange_strong(w, w | k_killed, std::memory_order_seq_cst)) return;
    // Wakes the connection's pending read (end of stream) or write (EPIPE).
    ::shutdown(s->fd, kind == k_write ? SHUT_RDWR : SHUT_RD);
  });
}

void server_state::shutdown() noexcept {
  if (!stopping.exchange(true, std::memory_order_seq_cst)) stop_requested.notify_one();
}

namespace {

task<result<void>> serve_loop(std::shared_ptr<server_state> st) {
  if (!st->listener.is_open()) co_return lucid::error{errc::invalid_input};
  struct close_on_exit {  // also when serve() is cancelled
    server_state* st;
    ~close_on_exit() { st->listener.close(); }
  } closer{st.get()};
  const lucid::duration tick = st->tick();
  lucid::time_point next_sweep = lucid::time::now() + tick;
  while (!st->stopping.load(std::memory_order_acquire)) {
    // The sweep's timer comes first: under a flood of connections (accept
    // always ready) the lowest ready index wins, and timeouts must still run.
    auto r = co_await lucid::select(lucid::sleep_until(next_sweep), st->stop_requested.notified(),
                                    st->listener.accept());
    if (r.index() == 2) {
      auto& accepted = std::get<2>(r);
      if (!accepted) {
        // Out of descriptors or memory: say so, back off a little, go on.
        LUCID_EVENT_AT("lucid.http", trace::level::warn, ("error", accepted.error().describe()))
        ("accept failed");
        co_await lucid::sleep(std::chrono::milliseconds(20));
        continue;
      }
      st->live.fetch_add(1, std::memory_order_relaxed);
      (void)lucid::spawn("http.conn", serve_connection(st, std::move(*accepted)));  // detached
    } else if (r.index() == 0) {
      st->sweep(lucid::time::now());
      next_sweep = lucid::time::now() + tick;
    }
  }
  // Draining: no new connections; idle ones are closed by the sweeps, busy
  // ones finish their requests and close.
  st->listener.close();
  st->sweep(lucid::time::now());
  while (st->live.load(std::memory_order_acquire) != 0) {
    co_await lucid::select(st->drained.notified(), lucid::sleep(tick));
    st->sweep(lucid::time::now());
  }
  co_return result<void>{};
}

}  // namespace
}  // namespace detail

server::server(server_options options) : st_(std::make_shared<detail::server_state>(options)) {}
server::~server() = default;
server::server(server&&) noexcept = default;
server& server::operator=(server&&) noexcept = default;

server& server::route(method m, std::string path, handler h) {
  detail::path_routes& pr = st_->routes[std::move(path)];
  auto it = std::find_if(pr.by_method.begin(), pr.by_method.end(),
                         [m](const auto& e) { return e.first == m; });
  if (it != pr.by_method.end()) {
    it->second = std::move(h);
  } else {
    pr.by_method.emplace_back(m, std::move(h));
  }
  // Allow lists the methods in a fixed order; HEAD is implied by GET.
  pr.allow.clear();
  auto has = [&pr](method x) {
    return std::any_of(pr.by_method.begin(), pr.by_method.end(),
                       [x](const auto& e) { return e.first == x; });
  };
  for (int i = 0; i < static_cast<int>(method::other); ++i) {
    const auto x = static_cast<method>(i);
    if (has(x) || (x == method::head && has(method::get))) {
      if (!pr.allow.empty()) pr.allow += ", ";
      pr.allow += to_string(x);
    }
  }
  return *this;
}

server& server::fallback(handler h) {
  st_->fallback = std::move(h);
  return *this;
}

result<net::socket_address> server::bind(std::string_view address) {
  auto l = net::tcp_listener::bind(address);
  if (!l) return l.error();
  auto a = l->local_addr();
  if (!a) return a.error();
  st_->listener = std::move(*l);
  return a;
}

void server::listen(net::tcp_listener listener) {
  st_->listener = std::move(listener);
}

result<net::socket_address> server::local_addr() const {
  return st_->listener.local_addr();
}

task<result<void>> server::serve() {
  return detail::serve_loop(st_);
}

task<result<void>> server::serve(std::stop_token stop) {
  std::shared_ptr<detail::server_state> st = st_;
  auto on_stop = [st] { st->shutdown(); };
  std::stop_callback<decltype(on_stop)> cb(stop, on_stop);
  co_return co_await detail::serve_loop(st);
}

void server::shutdown() noexcept {
  st_->shutdown();
}

std::size_t server::connections() const noexcept {
  return st_->live.load(std::memory_order_relaxed);
}

const server_options& server::options() const noexcept {
  return st_->opts;
}

}  // namespace lucid::http
