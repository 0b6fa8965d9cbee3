// socket_address parsing and formatting, and resolve() on the blocking pool.
#include "lucid/net/address.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>

#include <cerrno>
#include <charconv>
#include <cstring>

#include "lucid/rt/spawn.hpp"

namespace lucid::net {

socket_address::socket_address() noexcept {
  std::memset(&ss_, 0, sizeof ss_);
}

socket_address socket_address::from_sockaddr(const sockaddr* sa, socklen_t len) noexcept {
  socket_address a;
  if (len > sizeof a.ss_) len = sizeof a.ss_;
  std::memcpy(&a.ss_, sa, len);
  a.len_ = len;
  return a;
}

namespace {

bool parse_port(std::string_view s, std::uint16_t& port) noexcept {
  if (s.empty() || s.size() > 5) return false;
  unsigned v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || p != s.data() + s.size() || v > 65535) return false;
  port = static_cast<std::uint16_t>(v);
  return true;
}

/// Splits "host:port" / "[v6]:port" into host (brackets removed) and port text.
bool split_host_port(std::string_view text, std::string_view& host, std::string_view& port) {
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return false;
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
    return !host.empty();
  }
  auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  host = text.substr(0, colon);
  port = text.substr(colon + 1);
  return host.find(':') == std::string_view::npos;  // a bare v6 literal needs brackets
}

}  // namespace

result<socket_address> socket_address::from_ip(std::string_view ip, std::uint16_t port) noexcept {
  char buf[INET6_ADDRSTRLEN + 1];
  if (ip.empty() || ip.size() >= sizeof buf) return errc::invalid_input;
  std::memcpy(buf, ip.data(), ip.size());
  buf[ip.size()] = '\0';
  socket_address a;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&a.ss_);
  if (::inet_pton(AF_INET, buf, &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    a.len_ = sizeof(sockaddr_in);
    return a;
  }
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&a.ss_);
  if (::inet_pton(AF_INET6, buf, &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    a.len_ = sizeof(sockaddr_in6);
    return a;
  }
  return errc::invalid_input;
}

result<socket_address> socket_address::parse(std::string_view text) noexcept {
  std::string_view host, port_text;
  std::uint16_t port = 0;
  if (!split_host_port(text, host, port_text) || !parse_port(port_text, port)) {
    return errc::invalid_input;
  }
  return from_ip(host, port);
}

bool socket_address::is_v4() const noexcept {
  return ss_.ss_family == AF_INET;
}
bool socket_address::is_v6() const noexcept {
  return ss_.ss_family == AF_INET6;
}
int socket_address::family() const noexcept {
  return ss_.ss_family;
}

std::uint16_t socket_address::port() const noexcept {
  if (is_v4()) return ntohs(reinterpret_cast<const sockaddr_in*>(&ss_)->sin_port);
  if (is_v6()) return ntohs(reinterpret_cast<const sockaddr_in6*>(&ss_)->sin6_port);
  return 0;
}

std::string socket_address::ip() const {
  char buf[INET6_ADDRSTRLEN] = "";
  if (is_v4()) {
    ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&ss_)->sin_addr, buf, sizeof buf);
  } else if (is_v6()) {
    ::inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&ss_)->sin6_addr, buf, sizeof buf);
  }
  return buf;
}

std::string socket_address::to_string() const {
  if (is_v6()) return "[" + ip() + "]:" + std::to_string(port());
  if (is_v4()) return ip() + ":" + std::to_string(port());
  return "(no address)";
}

bool operator==(const socket_address& a, const socket_address& b) noexcept {
  return a.len_ == b.len_ && a.family() == b.family() && a.port() == b.port() && a.ip() == b.ip();
}

task<result<std::vector<socket_address>>> resolve(std::string host, std::uint16_t port) {
  if (auto lit = socket_address::from_ip(host, port)) {
    co_return std::vector<socket_address>{*lit};
  }
  if (host.empty()) co_return errc::invalid_input;
  // A named job, not a temporary lambda inside co_await: GCC 12 mishandles
  // an init-capture of a coroutine parameter in a co_await operand.
  auto job = [host, port]() -> result<std::vector<socket_address>> {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_ADDRCONFIG | AI_NUMERICSERV;
    addrinfo* res = nullptr;
    std::string service = std::to_string(port);
    int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &res);
    if (rc == EAI_SYSTEM) return lucid::error{errc::system, errno};
    if (rc != 0) return lucid::error{errc::not_found, rc};
    std::vector<socket_address> out;
    for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
      if (ai->ai_family == AF_INET || ai->ai_family == AF_INET6) {
        out.push_back(socket_address::from_sockaddr(ai->ai_addr, ai->ai_addrlen));
      }
    }
    ::freeaddrinfo(res);
    if (out.empty()) return lucid::error{errc::not_found, EAI_NONAME};
    return out;
  };
  auto found = co_await spawn_blocking(std::move(job));
  co_return found;
}

task<result<std::vector<socket_address>>> resolve(std::string host_and_port) {
  std::string_view host, port_text;
  std::uint16_t port = 0;
  if (!split_host_port(host_and_port, host, port_text) || !parse_port(port_text, port)) {
    co_return errc::invalid_input;
  }
  co_return co_await resolve(std::string(host), port);
}

}  // namespace lucid::net
