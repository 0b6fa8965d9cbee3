// One server connection (private to lucid_http): a task that reads, parses
// every buffered request, runs handlers in order, writes the batch of
// responses, repeat (see server.hpp for the behaviour and server_state.hpp
// for the slot protocol with the sweeper). The class is declared here; its
// members are defined in two files:
//   connection.cpp        the run loop (read, parse, route, handle), the
//                         read buffer and its per-thread cache, the polite
//                         close, and serve_connection, the task's entry;
//   connection_write.cpp  the responses: their serialisation into out_ and
//                         segs_, the batched sendmsg, flush, and streamed
//                         bodies (body_writer).
//
// Buffers. `in_` holds received bytes; [start_, len_) is not yet consumed,
// and a partially received request always starts at start_ (the parser's
// offsets are relative to it), so compaction moves it to the front only
// between reads. `out_` collects the heads (and small bodies) of one batch of
// responses; a larger body is not copied: it is moved (or, for a piece of a
// streamed body, borrowed) into `segs_`, each at its position in `out_`, and
// the batch leaves in one sendmsg (a writev with MSG_NOSIGNAL) over those
// pieces, repeated only if the socket takes less. `out_` keeps its capacity
// across requests (it shrinks back past 64 KiB). `in_` is handed back to a
// small per-thread cache of read buffers whenever the connection waits for
// a request with nothing buffered, so an idle keep-alive connection holds no
// read buffer, and a busy one takes a warm buffer back from the cache: no
// allocation per request once warm (a large request may grow `in_`; a grown
// one is freed when it empties).
//
// I/O. Reads and writes run the readiness loop of rt/detail/io.hpp inline:
// the syscall is made here and only the readiness wait is awaited (an
// awaiter in this coroutine's frame), so a request that needs no wait costs
// no coroutine frame for its I/O. A read that fills less than the room it
// was given drained the socket, so the readable bit is cleared then (only if
// no event arrived since the snapshot taken before the recv) and the next
// read waits for an edge instead of making a recv that would answer EAGAIN.
// A write waits only if the socket would block; the slot word moves to
// `write` then, not before.
//
// Thread safety: a connection is one task; only its slot word is shared
// (with the sweeper). Cancellation: destroying the task unregisters the
// slot, then closes the socket (the stream is a parameter of the coroutine,
// destroyed after its locals).
#pragma once

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "lucid/http/parser.hpp"
#include "lucid/http/server.hpp"
#include "lucid/trace/trace.hpp"
#include "server_state.hpp"

namespace lucid::http::detail {

inline constexpr std::size_t k_initial_in = std::size_t{8} * 1024;
inline constexpr std::size_t k_shrink_above = std::size_t{64} * 1024;
/// Flush a pipelined batch past this.
inline constexpr std::size_t k_flush_at = std::size_t{64} * 1024;
/// Larger bodies are sent from the response's string.
inline constexpr std::size_t k_copy_body = 1024;
inline constexpr std::size_t k_max_segs = 16;  // bodies not copied, per write
inline constexpr int k_max_iov = 2 * static_cast<int>(k_max_segs) + 1;
/// What a lingering close reads at most.
inline constexpr std::size_t k_linger_bytes = std::size_t{256} * 1024;
inline constexpr std::string_view k_last_chunk = "0\r\n\r\n";

/// What a handler or a body producer threw, for the log.
std::string exception_message(std::exception_ptr e);

/// Responses that never carry a body.
inline bool bodyless_status(int status) noexcept {
  return status < 200 || status == 204 || status == 304;
}

inline bool would_block(int e) noexcept {
  return e == EAGAIN || e == EWOULDBLOCK;
}

/// What a write attempt that does not wait answers.
enum class io_step : std::uint8_t { done, blocked, failed };

/// One accepted connection, served by run() (see the file comment).
class connection {
 public:
  connection(std::shared_ptr<server_state> st, net::tcp_stream& stream)
      : st_(std::move(st)),
        stream_(stream),
        parser_(parser_limits{st_->opts.max_header_bytes, st_->opts.max_body_bytes,
                              st_->opts.max_headers}) {
    slot_.fd = stream_.native_handle();
    st_->register_slot(&slot_);
  }
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;
  ~connection() { st_->unregister_slot(&slot_); }

  task<void> run();  // connection.cpp
  /// One piece of a streamed body (see body_writer): a chunk when `chunked`,
  /// else the raw bytes. Fails with errc::timed_out when the sweeper killed
  /// the write. (connection_write.cpp)
  task<result<void>> send_piece(std::string_view piece, bool chunked);
  bool stopping() const noexcept {
    // acquire: pairs with shutdown()'s store; nothing else is published.
    return st_->stopping.load(std::memory_order_acquire);
  }

 private:
  /// A body sent after out_[0, at) without being copied into out_.
  struct body_seg {
    std::size_t at = 0;
    std::string owned;          ///< a response's body, moved in
    std::string_view borrowed;  ///< a streamed piece (alive until its write ends)
    std::string_view data() const noexcept {
      return owned.empty() ? borrowed : std::string_view(owned);
    }
  };

  /// Moves the slot word to `kind` (a new generation when `restart` or the
  /// kind changes). False if the sweeper killed the connection meanwhile;
  /// then killed_ holds the kind it was killed in.
  bool set_wait(std::uint32_t kind, bool restart) noexcept {
    if (killed_ != 0) return false;
    if ((word_ & k_kind_mask) == kind && !restart) return true;
    const std::uint32_t next = ((word_ >> 8) + 1) << 8 | kind;
    std::uint32_t expect = word_;
    // seq_cst: see server_state::sweep (the idle word vs the stopping flag).
    if (!slot_.word.compare_exchange_strong(expect, next, std::memory_order_seq_cst)) {
      killed_ = (expect & k_kind_mask) | k_killed;
      return false;
    }
    word_ = next;
    return true;
  }
  /// After a read: did the sweeper kill us while we waited?
  bool check_killed() noexcept {
    if (killed_ != 0) return true;
    // acquire: pairs with the sweeper's CAS.
    const std::uint32_t w = slot_.word.load(std::memory_order_acquire);
    if ((w & k_killed) == 0) return false;
    killed_ = w;
    return true;
  }
  std::uint32_t killed_kind() const noexcept { return killed_ & k_kind_mask; }

  // connection.cpp: the read buffer, routing, the polite close. The two
  // always inlined are used and defined there only: run(), their one caller,
  // inlines them as it did when this class had no header (GCC does not
  // inline a called-once inline member by itself).

  /// Makes room for a read in in_ (allocating, compacting or growing it).
  void ensure_space();
  /// Hands the (empty) read buffer back while the connection waits idle.
  [[gnu::always_inline]] inline void release_in() noexcept;
  /// The handler for `req`, or nullptr with `resp` set to the 404/405 answer.
  [[gnu::always_inline]] inline const handler* route(const request& req, response& resp) const;
  task<void> close_after_response();

  // connection_write.cpp: responses into out_ and segs_, and their writes.

  bool has_pending() const noexcept { return !out_.empty() || !segs_.empty(); }
  std::size_t pending_bytes() const noexcept { return out_.size() + seg_bytes_; }
  /// Writes what is pending without waiting: done (all of it left), blocked
  /// (the socket is full; the rest is kept), failed (write_errno_ says why;
  /// the rest is dropped).
  io_step write_now() noexcept;
  void clear_pending() noexcept;
  /// Writes what is pending, waiting as needed; false if the write failed.
  task<bool> flush();
  void append_error(int status);
  bool append_response(const request& req, response& resp, bool keep);
  task<bool> send_stream(const body_producer& producer, const trace::span& span, bool chunked,
                         bool keep);

  std::shared_ptr<server_state> st_;
  net::tcp_stream& stream_;
  conn_slot slot_;
  std::uint32_t word_ = k_busy;  // what we last wrote to slot_.word
  std::uint32_t killed_ = 0;     // the killed word once known
  request_parser parser_;
  std::unique_ptr<char[]> in_;
  std::size_t cap_ = 0, start_ = 0, len_ = 0;
  std::string out_;
  std::vector<body_seg> segs_;
  std::size_t seg_bytes_ = 0;  // the bytes in segs_
  std::size_t sent_ = 0;       // the bytes of out_ + segs_ already written
  int write_errno_ = 0;
  bool piece_cut_ = false;  // a streamed piece's write was cancelled part way
  bool may_read_ = true;    // false: the last read drained the socket (wait before recv)
  bool first_ = true;
  bool continue_sent_ = false;
};

}  // namespace lucid::http::detail
