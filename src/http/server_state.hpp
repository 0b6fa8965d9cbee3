// The shared state of a lucid::http::server: options, routes, the listener,
// the shutdown flags, and the registry of connection slots that serve()'s
// tick uses to enforce timeouts and to close idle connections on shutdown.
//
// Connection slot protocol. Each connection owns a conn_slot, registered in
// server_state::slots (under mu) for its whole life, and unregistered (under
// mu) before its socket is closed, so the sweeper never touches a closed or
// reused fd. slot.word is (generation << 8) | kind, where kind says what the
// connection waits for:
//   busy   - running handlers or parsing: never timed out
//   first  - a new connection's first byte (min(idle, header) timeout)
//   idle   - the next request on a keep-alive connection (idle_timeout)
//   head   - the rest of a request head (header_read_timeout, from the
//            first word the sweeper saw for this head: the generation is
//            kept across the reads of one head)
//   body   - more body bytes (body_read_timeout, restarted by every read)
//   write  - a write of responses, or of one piece of a streamed body
//            (write_timeout; a streamed response is busy between pieces)
//   linger - the peer's end of stream after we closed our side
// The connection is the only writer of the word, except that the sweeper
// may CAS it from a waiting word to (word | killed) and then shut the
// socket down (read side; both sides for `write`), which wakes the
// connection's pending read or write. The connection changes its word with
// a CAS from the value it last wrote, so it always learns of a kill.
//
// The sweeper (server_state::sweep, run by serve() every tick) times each
// waiting word from the first tick that saw it (seen_word/seen_at, touched
// only by the sweeper under mu): a timeout fires between `timeout` and
// `timeout + tick` after the wait began.
//
// Thread safety: opts, routes and fallback are read-only once serve() runs;
// stopping, live and slot words are atomics; slots and the sweeper fields are
// guarded by mu.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "lucid/base/clock.hpp"
#include "lucid/base/intrusive_list.hpp"
#include "lucid/http/server.hpp"
#include "lucid/net/tcp.hpp"
#include "lucid/sync/notify.hpp"

namespace lucid::http::detail {

enum wait_kind : std::uint32_t {
  k_busy = 0,
  k_first = 1,
  k_idle = 2,
  k_head = 3,
  k_body = 4,
  k_write = 5,
  k_linger = 6,
};
inline constexpr std::uint32_t k_killed = 0x80;
inline constexpr std::uint32_t k_kind_mask = 0x7f;

/// A connection's entry in the server's registry (see the file contract).
struct conn_slot : lucid::detail::list_node {
  std::atomic<std::uint32_t> word{k_busy};
  int fd = -1;
  std::uint32_t seen_word = 0;  // sweeper only, under server_state::mu
  lucid::time_point seen_at{};  // sweeper only, under server_state::mu
};

/// The routes of one path.
struct path_routes {
  std::vector<std::pair<method, handler>> by_method;
  std::string allow;  ///< the Allow header for 405 ("GET, HEAD, POST")
};

struct string_hash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept {
    return std::hash<std::string_view>{}(s);
  }
};

struct server_state {
  explicit server_state(server_options o);

  server_options opts;
  std::unordered_map<std::string, path_routes, string_hash, std::equal_to<>> routes;
  handler fallback;  ///< empty: 404
  net::tcp_listener listener;

  std::atomic<bool> stopping{false};
  lucid::notify stop_requested;  ///< shutdown() wakes serve()
  lucid::notify drained;         ///< the last connection ended
  std::atomic<std::size_t> live{0};

  std::mutex mu;
  lucid::detail::intrusive_list<conn_slot> slots;  // mu

  /// How often serve() runs sweep().
  lucid::duration tick() const noexcept;
  /// The timeout of a waiting kind.
  lucid::duration timeout_of(std::uint32_t kind) const noexcept;

  void register_slot(conn_slot* s);
  void unregister_slot(conn_slot* s) noexcept;
  /// Kills connections whose wait timed out, and idle ones when stopping.
  void sweep(lucid::time_point now) noexcept;
  void shutdown() noexcept;
};

/// Serves one accepted connection until it closes (spawned as "http.conn").
task<void> serve_connection(std::shared_ptr<server_state> st, net::tcp_stream stream);

}  // namespace lucid::http::detail
