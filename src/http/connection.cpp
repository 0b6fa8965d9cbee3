// The members of a server connection (see connection.hpp for the class, its
// buffers, its I/O, thread safety and cancellation): the run loop, the read
// buffer, routing, the responses and their writes, and serve_connection,
// the task's entry.
//
// Streamed responses (response::stream). The head goes into `out_` and the
// batch is flushed before the producer runs; then each body_writer::write()
// is one write of its own (the chunk's size line and CRLF in `out_` around
// the piece, which is borrowed, not copied; or the raw bytes for HTTP/1.0),
// under the slot kind `write` (a new generation per piece, so write_timeout
// bounds one piece), and the slot is back to `busy` between writes, so a
// producer that sleeps is never timed out. A write fails with
// errc::cancelled once `stopping` is set (checked before each write). A
// write that is itself cancelled while the socket is full drops the
// borrowed piece from what is pending and cuts the body (later writes fail
// with errc::cancelled). When the producer returns, the final chunk is
// flushed at once; after a failed or cancelled write, a producer that threw,
// or an HTTP/1.0 stream, the connection closes (a thrown producer or a cut
// body leaves the chunked body unterminated, so the client sees it cut short).
#include <sys/socket.h>
#include <sys/uio.h>

#include <cerrno>

#include <charconv>
#include <cstring>
#include <exception>
#include <memory>
#include <string>
#include <vector>

#include "connection.hpp"
#include "date.hpp"
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

bool has_token(std::string_view list, std::string_view token) {
  while (!list.empty()) {
    std::size_t c = list.find(',');
    std::string_view e = list.substr(0, c);
    while (!e.empty() && (e.front() == ' ' || e.front() == '\t'))
      e.remove_prefix(1);
    while (!e.empty() && (e.back() == ' ' || e.back() == '\t'))
      e.remove_suffix(1);
    if (iequals(e, token)) return true;
    if (c == std::string_view::npos) break;
    list.remove_prefix(c + 1);
  }
  return false;
}

/// A header a handler may not send as is: CR, LF or NUL (response splitting).
bool unsafe_header(const header& h) {
  constexpr std::string_view bad("\r\n\0", 3);
  return h.name.empty() || h.name.find_first_of(bad) != std::string::npos ||
         h.value.find_first_of(bad) != std::string::npos;
}

void append_uint(std::string& out, std::size_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, static_cast<std::size_t>(r.ptr - buf));
}

void append_hex(std::string& out, std::size_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v, 16);
  out.append(buf, static_cast<std::size_t>(r.ptr - buf));
}

void append_status_line(std::string& out, int status) {
  if (status == 200) {
    out.append("HTTP/1.1 200 OK\r\n");
    return;
  }
  out.append("HTTP/1.1 ");
  append_uint(out, static_cast<std::size_t>(status));
  out.push_back(' ');
  out.append(reason_phrase(status));
  out.append("\r\n");
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

void connection::clear_pending() noexcept {
  out_.clear();
  if (out_.capacity() > k_shrink_above) out_.shrink_to_fit();
  segs_.clear();
  seg_bytes_ = 0;
  sent_ = 0;
}

io_step connection::write_now() noexcept {
  lucid::detail::io_source& io = stream_.io_source();
  const std::size_t total = pending_bytes();
  while (sent_ < total) {
    // The pieces in order: out_ up to the first body, that body, out_ up to
    // the next, ..., the rest of out_; minus the sent_ bytes already gone.
    iovec iov[k_max_iov];
    int n = 0;
    std::size_t skip = sent_;
    auto add = [&](const char* p, std::size_t len) {
      if (skip >= len) {
        skip -= len;
        return;
      }
      p += skip;
      len -= skip;
      skip = 0;
      if (n < k_max_iov) iov[n++] = iovec{const_cast<char*>(p), len};
    };
    std::size_t from = 0;
    for (const body_seg& b : segs_) {
      add(out_.data() + from, b.at - from);
      const std::string_view d = b.data();
      add(d.data(), d.size());
      from = b.at;
    }
    add(out_.data() + from, out_.size() - from);
    msghdr m{};
    m.msg_iov = iov;
    m.msg_iovlen = static_cast<std::size_t>(n);
    const std::uint32_t snap = io.readiness();
    const ssize_t w = ::sendmsg(stream_.native_handle(), &m, MSG_NOSIGNAL);
    if (w >= 0) {
      sent_ += static_cast<std::size_t>(w);
      continue;
    }
    if (errno == EINTR) continue;
    if (would_block(errno)) {
      io.clear_readiness(lucid::detail::io_interest::write, snap);
      return io_step::blocked;
    }
    write_errno_ = errno;
    clear_pending();
    return io_step::failed;
  }
  clear_pending();
  return io_step::done;
}

task<bool> connection::flush() {
  bool waited = false;
  for (;;) {
    const io_step s = write_now();
    if (s != io_step::blocked) {
      // Back to busy: what follows (a read that need not wait, a handler) is not timed.
      if (waited && s == io_step::done) (void)set_wait(k_busy, false);
      co_return s == io_step::done;
    }
    if (!waited) {
      (void)set_wait(k_write, true);  // a kill can only come from this very wait
      waited = true;
    }
    co_await stream_.io_source().ready(lucid::detail::io_interest::write);
  }
}

/// Sends what is pending, then closes politely: our side first, then read
/// (and drop) what the peer still sends until it closes, so that it gets the
/// response instead of a reset.
task<void> connection::close_after_response() {
  if (!co_await flush()) co_return;
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

void connection::append_error(int status) {
  const std::string_view reason = reason_phrase(status);
  append_status_line(out_, status);
  out_.append("content-type: text/plain; charset=utf-8\r\ncontent-length: ");
  append_uint(out_, reason.size() + 1);
  out_.append("\r\ndate: ");
  out_.append(http_date());
  out_.append("\r\nconnection: close\r\n\r\n");
  out_.append(reason);
  out_.push_back('\n');
}

bool connection::append_response(const request& req, response& resp, bool keep) {
  int status = resp.status;
  if (status < 100 || status > 999) status = 500;
  append_status_line(out_, status);
  bool own_date = false;
  for (const header& h : resp.headers) {
    if (unsafe_header(h)) {
      LUCID_WARN_F(("header", h.name))("dropping a response header with CR, LF or NUL");
      continue;
    }
    if (iequals(h.name, "content-length") || iequals(h.name, "transfer-encoding")) continue;
    if (iequals(h.name, "connection")) {
      if (has_token(h.value, "close")) keep = false;
      continue;
    }
    if (iequals(h.name, "date")) own_date = true;
    out_.append(h.name);
    out_.append(": ");
    out_.append(h.value);
    out_.append("\r\n");
  }
  const bool no_body = bodyless_status(status);
  if (!no_body) {
    if (!resp.stream) {
      out_.append("content-length: ");
      append_uint(out_, resp.body.size());
      out_.append("\r\n");
    } else if (req.version_minor == 1) {
      out_.append("transfer-encoding: chunked\r\n");
    } else if (req.method != method::head) {
      keep = false;  // HTTP/1.0: the body ends with the connection
    }
  }
  if (!own_date) {
    out_.append("date: ");
    out_.append(http_date());
    out_.append("\r\n");
  }
  if (!keep) {
    out_.append("connection: close\r\n");
  } else if (req.version_minor == 0) {
    out_.append("connection: keep-alive\r\n");
  }
  out_.append("\r\n");
  if (!no_body && req.method != method::head && !resp.stream && !resp.body.empty()) {
    if (resp.body.size() <= k_copy_body) {
      out_.append(resp.body);
    } else {
      seg_bytes_ += resp.body.size();
      segs_.push_back(body_seg{out_.size(), std::move(resp.body), {}});
    }
  }
  return keep;
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

namespace {

/// The body_writer a producer gets: forwards to its connection, and makes a
/// failure sticky.
class stream_writer final : public body_writer {
 public:
  stream_writer(connection& c, bool chunked) noexcept : c_(c), chunked_(chunked) {}

  task<result<void>> write(std::string_view piece) override {
    if (failed_.code != errc::ok) co_return failed_;
    if (c_.stopping()) {
      failed_ = errc::cancelled;
      co_return failed_;
    }
    if (piece.empty()) co_return result<void>{};
    auto r = co_await c_.send_piece(piece, chunked_);
    if (!r) failed_ = r.error();
    co_return r;
  }
  bool stopping() const noexcept override { return c_.stopping(); }

  /// The first error a write answered (errc::ok if none).
  lucid::error failed() const noexcept { return failed_; }

 private:
  connection& c_;
  bool chunked_;
  lucid::error failed_;
};

}  // namespace

task<result<void>> connection::send_piece(std::string_view piece, bool chunked) {
  if (piece_cut_) co_return lucid::error{errc::cancelled};
  if (!set_wait(k_write, true)) co_return lucid::error{errc::timed_out};
  // Cancelled while the socket was full: the piece (borrowed) is dropped
  // from what is pending and the body is cut, so the connection closes.
  struct cut_guard {
    connection* c;
    ~cut_guard() {
      if (c == nullptr) return;
      c->clear_pending();
      c->piece_cut_ = true;
    }
  } guard{this};
  // Nothing is pending: the head was flushed before the producer ran. The
  // piece itself is not copied (it lives until this write ends).
  if (chunked) {
    append_hex(out_, piece.size());
    out_.append("\r\n");
  }
  seg_bytes_ += piece.size();
  segs_.push_back(body_seg{out_.size(), {}, piece});
  if (chunked) out_.append("\r\n");
  io_step s = write_now();
  while (s == io_step::blocked) {
    co_await stream_.io_source().ready(lucid::detail::io_interest::write);
    s = write_now();
  }
  guard.c = nullptr;
  const int err = write_errno_;
  // Back to busy: the producer's time between writes is not timed.
  if (!set_wait(k_busy, false) || check_killed()) co_return lucid::error{errc::timed_out};
  if (s == io_step::failed) co_return lucid::error{errc::system, err};
  co_return result<void>{};
}

/// Runs a streamed response's producer once its head is pending; answers
/// whether the connection stays open.
task<bool> connection::send_stream(const body_producer& producer, const trace::span& span,
                                   bool chunked, bool keep) {
  // The head leaves now, so that the client sees it before the first piece.
  if (!co_await flush()) co_return false;
  if (!set_wait(k_busy, false)) {
    // Killed meanwhile (the write timed out, or the read side ended just as
    // this request arrived): the body ends empty and the connection closes.
    if (chunked) out_.append(k_last_chunk);
    co_return false;
  }
  stream_writer w(*this, chunked);
  bool threw = false;
  std::string message;
  try {
    if (span) {
      co_await trace::instrument(producer(w), span);
    } else {
      co_await producer(w);
    }
  } catch (...) {
    threw = true;
    message = exception_message(std::current_exception());
  }
  if (threw) {
    auto g = span.enter();
    LUCID_ERROR_F(("exception", message))("body producer threw; closing the connection");
    co_return false;  // the chunked body stays unterminated: the client sees it cut short
  }
  const errc failed = w.failed().code;
  if (piece_cut_) co_return false;  // a write was cancelled part way: the body is cut
  if (failed != errc::ok && failed != errc::cancelled)
    co_return false;              // the peer or the write failed
  if (!chunked) co_return false;  // the body ends with the connection
  out_.append(k_last_chunk);
  if (failed == errc::cancelled || stopping()) co_return false;  // close_after_response flushes
  if (!co_await flush()) co_return false;
  co_return keep;
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
