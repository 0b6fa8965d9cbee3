// lucid::net::tcp_listener and tcp_stream: non-blocking TCP on the runtime's
// reactor (epoll).
//
// Contract: every operation returns result<T>; an OS failure is
// errc::system with errno in error::sys, an end of stream where bytes were
// required is errc::eof. Sockets are non-blocking and close-on-exec; a socket
// registers with the reactor of the runtime that first waits on it, and
// again with the waiting task's runtime once that one is destroyed (a
// listener may serve one runtime after another).
//
// Thread safety: a stream or listener is owned by one task at a time, except
// that one task may read while another writes the same stream. Several tasks
// may accept() on one listener.
//
// Cancellation: safe everywhere. Cancelling a pending read, write, accept or
// connect removes its reactor registration; a cancelled read_some/accept
// loses nothing; a cancelled write_all may have written a prefix (documented
// per call); a cancelled read_exact may have consumed a prefix.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "lucid/base/result.hpp"
#include "lucid/base/source_site.hpp"
#include "lucid/net/address.hpp"
#include "lucid/net/detail/resource_kinds.hpp"
#include "lucid/rt/detail/io.hpp"
#include "lucid/rt/task.hpp"

namespace lucid::net {

enum class shutdown_how { read, write, both };

/// A connected TCP socket.
class tcp_stream {
 public:
  tcp_stream() noexcept = default;
  /// Adopts a connected socket (made non-blocking here).
  explicit tcp_stream(int fd) noexcept;
  tcp_stream(tcp_stream&&) noexcept = default;
  tcp_stream& operator=(tcp_stream&&) noexcept = default;
  ~tcp_stream() = default;

  /// Connects to `addr`.
  static task<result<tcp_stream>> connect(socket_address addr);
  /// Resolves "host:port" and connects to the first address that accepts.
  static task<result<tcp_stream>> connect(std::string host_and_port);

  /// Reads at least one byte into `buf` once some are available; 0 means the
  /// peer closed its side (end of stream). Cancel-safe: nothing is lost.
  task<result<std::size_t>> read_some(std::span<std::byte> buf);
  task<result<std::size_t>> read_some(void* buf, std::size_t n) {
    return read_some(std::span<std::byte>(static_cast<std::byte*>(buf), n));
  }
  /// Fills `buf` completely; errc::eof if the stream ends first.
  task<result<void>> read_exact(std::span<std::byte> buf);
  /// Writes some bytes; returns how many (at least one).
  task<result<std::size_t>> write_some(std::span<const std::byte> buf);
  /// Writes all of `buf`. If cancelled, a prefix may have been written.
  task<result<void>> write_all(std::span<const std::byte> buf);
  task<result<void>> write_all(std::string_view s) {
    return write_all(
        std::span<const std::byte>(reinterpret_cast<const std::byte*>(s.data()), s.size()));
  }

  /// Shuts down one or both directions (the peer sees end of stream on write).
  result<void> shutdown(shutdown_how how = shutdown_how::write) noexcept;
  result<void> set_nodelay(bool on) noexcept;
  result<socket_address> local_addr() const noexcept;
  result<socket_address> peer_addr() const noexcept;
  /// Closes the socket now (the destructor does it otherwise).
  void close() noexcept { io_.close(); }
  bool is_open() const noexcept { return io_.fd() >= 0; }
  int native_handle() const noexcept { return io_.fd(); }
  /// lucid-internal, not a user API: the socket's reactor registration, for
  /// protocol code (lucid::http) that runs the readiness loop of
  /// detail/io.hpp inline in its own frame instead of awaiting read_some /
  /// write_all (a child coroutine per call).
  lucid::detail::io_source& io_source() noexcept { return io_; }

 private:
  friend class tcp_listener;
  struct nonblocking {};
  tcp_stream(int fd, nonblocking) noexcept : io_(fd, lucid::detail::tcp_stream_resource) {}
  detail::io_source io_;
};

/// A listening TCP socket.
class tcp_listener {
 public:
  tcp_listener() noexcept = default;
  tcp_listener(tcp_listener&&) noexcept = default;
  tcp_listener& operator=(tcp_listener&&) noexcept = default;

  /// Binds and listens on "ip:port" or "[v6]:port" (port 0 picks a free one).
  /// SO_REUSEADDR is set. Does not need a runtime.
  /// `site` names the listener in the task dump (where it was bound).
  static result<tcp_listener> bind(std::string_view address, int backlog = 1024,
                                   source_site site = source_site::current()) noexcept;
  static result<tcp_listener> bind(const socket_address& address, int backlog = 1024,
                                   source_site site = source_site::current()) noexcept;

  /// Waits for the next connection. Cancel-safe: no connection is lost.
  /// The peer's address is available from the stream's peer_addr().
  task<result<tcp_stream>> accept();

  result<socket_address> local_addr() const noexcept;
  void close() noexcept { io_.close(); }
  bool is_open() const noexcept { return io_.fd() >= 0; }
  int native_handle() const noexcept { return io_.fd(); }

 private:
  detail::io_source io_;
};

}  // namespace lucid::net
