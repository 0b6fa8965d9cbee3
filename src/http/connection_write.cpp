// The write side of a server connection (see connection.hpp): responses
// serialised into out_ (status line, headers, small bodies) with larger
// bodies moved or borrowed into segs_, the batch written by one sendmsg
// (write_now, repeated on a partial write; flush waits), and streamed bodies
// (send_stream, send_piece and the body_writer a producer gets).
// It touches out_, segs_, seg_bytes_, sent_, write_errno_ and piece_cut_,
// and the slot word only through set_wait and check_killed; never the read
// buffer or the parser.
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
#include <exception>
#include <string>
#include <string_view>

#include "connection.hpp"
#include "date.hpp"
#include "lucid/rt/instrumented_task.hpp"
#include "lucid/trace/trace.hpp"

namespace lucid::http::detail {

namespace {

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

}  // namespace lucid::http::detail
