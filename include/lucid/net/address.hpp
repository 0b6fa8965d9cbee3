// lucid::net::socket_address and resolve(): IPv4/IPv6 endpoints and name
// resolution.
//
// Contract: socket_address is a plain value (copyable, no allocation).
// parse() accepts numeric literals only ("127.0.0.1:80", "[::1]:8080");
// resolve() looks names up with getaddrinfo on the runtime's blocking pool,
// so it never blocks a worker. Errors are results, never exceptions:
// errc::invalid_input for a malformed string, errc::system (errno) or
// errc::not_found (with the getaddrinfo code in error::sys) for lookups.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "lucid/base/result.hpp"
#include "lucid/rt/task.hpp"

namespace lucid::net {

/// An IPv4 or IPv6 address and a port.
class socket_address {
 public:
  socket_address() noexcept;
  /// From a sockaddr of family AF_INET or AF_INET6 (e.g. what accept() filled).
  static socket_address from_sockaddr(const sockaddr* sa, socklen_t len) noexcept;
  /// Parses "a.b.c.d:port" or "[v6]:port" (numeric only; see resolve() for names).
  static result<socket_address> parse(std::string_view text) noexcept;
  /// A numeric IP literal and a port.
  static result<socket_address> from_ip(std::string_view ip, std::uint16_t port) noexcept;

  bool is_v4() const noexcept;
  bool is_v6() const noexcept;
  int family() const noexcept;
  std::uint16_t port() const noexcept;
  /// The IP alone ("127.0.0.1", "::1").
  std::string ip() const;
  /// "127.0.0.1:80" or "[::1]:80".
  std::string to_string() const;

  const sockaddr* data() const noexcept { return reinterpret_cast<const sockaddr*>(&ss_); }
  socklen_t size() const noexcept { return len_; }

  friend bool operator==(const socket_address& a, const socket_address& b) noexcept;

 private:
  sockaddr_storage ss_;
  socklen_t len_ = 0;
};

/// Resolves `host` (a name or an IP literal) and `port` to addresses, on the
/// blocking pool. An IP literal resolves without a lookup.
task<result<std::vector<socket_address>>> resolve(std::string host, std::uint16_t port);
/// Resolves "host:port" or "[v6]:port".
task<result<std::vector<socket_address>>> resolve(std::string host_and_port);

}  // namespace lucid::net
