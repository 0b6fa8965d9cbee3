// The run loop of a server connection (see connection.hpp for the class,
// its buffers and its I/O): read, parse every buffered request, route it,
// run its handler, hand the response to the write side
// (connection_write.cpp), repeat; with the read buffer and its per-thread
// cache, the polite close, and serve_connection, the task's entry.
// It touches the read state (in_, cap_, start_, len_, may_read_, first_),
// the parser, and the slot word (set_wait, check_killed); the write state
// only through the write side's members, except the interim
// "100 Continue" that run() appends to out_.
#include <sys/socket.h>

#include <cerrno>

#include <cstring>
#include <exception>
#include <memory>
#include <string>
#include <vector>

#include "connection.hpp"
#include "lucid/http/parser.hpp"
#include "lucid/http/server.hpp"
#include "lucid/rt/instrumented_task.hpp"
#include "lucid/trace/remote_parent.hpp"
#include "lucid/trace/trace.hpp"
#include "server_state.hpp"

namespace lucid::http::detail {

namespace {

/// Read buffers of k_initial_in bytes that idle connections gave back, per
/// thread (a few; the rest are freed). A keep-alive connection waiting for
/// its next request holds no read buffer.
constexpr std::size_t k_cached_in_buffers = 32;
thread_local std::vector<std::unique_ptr<char[]>> t_in_buffers;

std::unique_ptr<char[]> take_in_buffer() {
  if (t_in_buffers.empty()) return std::make_unique_for_overwrite<char[]>(k_initial_in);
  std::unique_ptr<char[]> b = std::move(t_in_buffers.back());
  t_in_buffers.pop_back();
  return b;
}

void give_in_buffer(std::unique_ptr<char[]> b) {
  if (t_in_buffers.size() < k_cached_in_buffers) t_in_buffers.push_back(std::move(b));
}

/// The request span: http.request{method, path, status, [trace_id, parent_span_id]}.
trace::span request_span(const request& req) {
  trace::remote_parent rp;
  bool remote = false;
  auto parse_remote = [&]() {
    const header_view* h = req.find_header("traceparent");
    if (h == nullptr) return false;
    auto p = trace::remote_parent::from_traceparent(h->value);
    if (!p) return false;
    rp = *p;
    return true;
  };
  // The field list is evaluated only when the span is enabled, left to right.
  return LUCID_INFO_SPAN(
      "http.request", ("method", req.method_name), ("path", req.path), ("status", trace::empty),
      ("trace_id",
       (remote = parse_remote()) ? trace::value::of_str(rp.trace_id_hex()) : trace::value{}),
      ("parent_span_id", remote ? trace::value::of_str(rp.parent_id_hex()) : trace::value{}));
}

}  // namespace

/// What a handler or a body producer threw, for the log.
std::string exception_message(std::exception_ptr e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& x) {
    return x.what();
  } catch (...) {
    return "an exception not derived from std::exception";
  }
}

void connection::ensure_space() {
  if (start_ == len_) {
    start_ = len_ = 0;
    if (cap_ > k_shrink_above) {
      in_.reset();
      cap_ = 0;
    }
  } else if (start_ > 0) {
    std::memmove(in_.get(), in_.get() + start_, len_ - start_);
    len_ -= start_;
    start_ = 0;
  }
  if (cap_ == 0) {
    cap_ = k_initial_in;
    in_ = take_in_buffer();
  } else if (len_ == cap_) {
    // The parser answers 431/413 before a request outgrows its limits, so
    // this stays below max head + max body + one read.
    const std::size_t ncap = cap_ * 2;
    auto bigger = std::make_unique_for_overwrite<char[]>(ncap);
    std::memcpy(bigger.get(), in_.get(), len_);
    in_ = std::move(bigger);
    cap_ = ncap;
  }
}

inline void connection::release_in() noexcept {
  if (cap_ == k_initial_in) {
    give_in_buffer(std::move(in_));
  } else {
    in_.reset();
  }
  cap_ = start_ = len_ = 0;
}

/// Sends what is pending, then closes politely: our side first, then read
/// (and drop) what the peer still sends until it closes, so that it gets the
/// response instead of a reset.
task<void> connection::close_after_response() {
  // Named, not awaited inside the `if`: GCC 12.2 lays out the frame of a
  // coroutine with no local variable wrongly when its `if` condition holds a
  // co_await (docs/debugging.md, "Two GCC 12 bugs").
  const bool flushed = co_await flush();
  if (!flushed) co_return;
  if (!stream_.shutdown(net::shutdown_how::write)) co_return;
  if (killed_ != 0) co_return;  // the read side is shut already
  if (!set_wait(k_linger, true)) co_return;
  std::size_t dropped = 0;
  ensure_space();
  while (dropped < k_linger_bytes) {
    auto r = co_await stream_.read_some(in_.get(), cap_);
    if (!r || *r == 0) break;
    dropped += *r;
  }
}

inline const handler* connection::route(const request& req, response& resp) const {
  if (!st_->routes.empty()) {
    auto it = st_->routes.find(req.path);
    if (it != st_->routes.end()) {
      const method m = req.method;
      for (const auto& e : it->second.by_method) {
        if (e.first == m) return &e.second;
      }
      if (m == method::head) {
        for (const auto& e : it->second.by_method) {
          if (e.first == method::get) return &e.second;
        }
      }
      resp = response::text(405, "Method Not Allowed\n");
      resp.headers.push_back({"allow", it->second.allow});
      return nullptr;
    }
  }
  if (st_->fallback) return &st_->fallback;
  resp = response::text(404, "Not Found\n");
  return nullptr;
}

task<void> connection::run() {
  lucid::detail::io_source& io = stream_.io_source();
  for (;;) {
    // Handle every complete request already buffered (a pipelined burst).
    while (start_ < len_) {
      const std::string_view avail(in_.get() + start_, len_ - start_);
      const parse_result pr = parser_.parse(avail);
      if (pr.status == parse_status::need_more) {
        if (parser_.head_complete() && parser_.get().expect_continue && !continue_sent_) {
          out_.append("HTTP/1.1 100 Continue\r\n\r\n");
          continue_sent_ = true;
        }
        break;
      }
      if (pr.status == parse_status::error) {
        LUCID_DEBUG_F(("status", pr.error_status), ("reason", pr.reason))("rejecting a request");
        append_error(pr.error_status);
        co_await close_after_response();
        co_return;
      }
      (void)set_wait(k_busy, false);  // a kill now still lets us answer, then close

      // The request, handled here rather than in a child coroutine.
      request& req = parser_.get();
      response resp;
      const handler* h = route(req, resp);
      trace::span span = request_span(req);
      if (h != nullptr) {
        bool threw = false;
        std::string message;
        try {
          if (span) {
            resp = co_await trace::instrument((*h)(req), span);
          } else {
            resp = co_await (*h)(req);
          }
        } catch (...) {
          threw = true;
          message = exception_message(std::current_exception());
        }
        if (threw) {
          auto g = span.enter();
          LUCID_ERROR_F(("exception", message))("handler threw; answering 500");
          resp = response::text(500, "Internal Server Error\n");
        }
      }
      if (span) span.record("status", resp.status);
      // After the handler: a shutdown that began while it ran closes the connection.
      bool keep = req.keep_alive && killed_ == 0 && !st_->stopping.load(std::memory_order_relaxed);
      keep = append_response(req, resp, keep);
      if (resp.stream && req.method != method::head && !bodyless_status(resp.status)) {
        keep = co_await send_stream(resp.stream, span, req.version_minor == 1, keep);
      }

      start_ += pr.consumed;
      parser_.reset();
      continue_sent_ = false;
      if (!keep) {
        co_await close_after_response();
        co_return;
      }
      if (pending_bytes() >= k_flush_at || segs_.size() >= k_max_segs) {
        const io_step s = write_now();
        if (s == io_step::failed || (s == io_step::blocked && !co_await flush())) co_return;
      }
    }
    if (has_pending()) {
      const io_step s = write_now();
      if (s == io_step::failed || (s == io_step::blocked && !co_await flush())) co_return;
    }

    // Read more bytes, waiting (under the timeout that fits) only if the
    // socket has none.
    if (killed_ != 0) {
      const std::uint32_t k = killed_kind();
      if ((k == k_head || k == k_body) && start_ < len_) {
        append_error(408);
        co_await close_after_response();
      }
      co_return;
    }
    if (start_ == len_) start_ = len_ = 0;  // nothing buffered: between requests
    std::uint32_t kind = k_idle;
    if (len_ > 0) {
      kind = parser_.head_complete() ? k_body : k_head;
    } else if (first_) {
      kind = k_first;
    }
    bool waiting = false;  // the slot word says `kind`
    ssize_t got = 0;
    int err = 0;
    for (;;) {
      if (!may_read_) {
        if (!waiting) {
          if (!set_wait(kind, kind != k_head)) break;  // killed: handled above
          if ((kind == k_idle || kind == k_first) &&
              st_->stopping.load(std::memory_order_seq_cst)) {
            co_return;  // shutting down: an idle connection just closes
          }
          waiting = true;
        }
        // Waiting between requests: no read buffer is held.
        if (len_ == 0 && cap_ != 0) release_in();
        co_await io.ready(lucid::detail::io_interest::read);
        may_read_ = true;
      }
      ensure_space();
      const std::size_t room = cap_ - len_;
      const std::uint32_t snap = io.readiness();
      got = ::recv(stream_.native_handle(), in_.get() + len_, room, 0);
      if (got > 0) {
        if (static_cast<std::size_t>(got) < room) {
          // Drained: the next read waits for an edge (see connection.hpp).
          io.clear_readiness(lucid::detail::io_interest::read, snap);
          may_read_ = false;
        }
        break;
      }
      if (got == 0) break;
      err = errno;
      if (err == EINTR) continue;
      if (!would_block(err)) break;
      io.clear_readiness(lucid::detail::io_interest::read, snap);
      may_read_ = false;
    }
    if (killed_ != 0 && !waiting) continue;  // killed before the wait: handled above
    if (got > 0) {
      len_ += static_cast<std::size_t>(got);
      first_ = false;
      (void)check_killed();  // serve what arrived, then close
      continue;
    }
    if (check_killed()) continue;  // timed out or shutting down
    co_return;                     // end of stream or a socket error: the peer is gone
  }
}

namespace {

/// Counts the connection out when its task ends (or is destroyed).
struct live_guard {
  server_state* st;
  explicit live_guard(server_state* s) noexcept : st(s) {}
  live_guard(const live_guard&) = delete;
  live_guard& operator=(const live_guard&) = delete;
  ~live_guard() {
    // acq_rel: serve() reads the count (acquire) before it returns.
    if (st->live.fetch_sub(1, std::memory_order_acq_rel) == 1) st->drained.notify_one();
  }
};

}  // namespace

task<void> serve_connection(std::shared_ptr<server_state> st, net::tcp_stream stream) {
  live_guard counted{st.get()};  // destroyed last: the socket is closed before serve() may return
  if (st->opts.nodelay) (void)stream.set_nodelay(true);
  if (st->opts.send_buffer != 0) {
    const int bytes = static_cast<int>(st->opts.send_buffer);
    (void)::setsockopt(stream.native_handle(), SOL_SOCKET, SO_SNDBUF, &bytes, sizeof bytes);
  }
  {
    connection c(st, stream);
    co_await c.run();
  }
  stream.close();
}

}  // namespace lucid::http::detail
