// tcp_stream and tcp_listener: non-blocking syscalls, with the readiness loop
// of detail/io.hpp around each one. Every failure becomes a result.
#include "lucid/net/tcp.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace lucid::net {

using detail::io_interest;

namespace {

lucid::error last_error() noexcept {
  return lucid::error{errc::system, errno};
}

bool would_block(int e) noexcept {
  return e == EAGAIN || e == EWOULDBLOCK;
}

result<socket_address> sock_name(int fd, bool peer) noexcept {
  if (fd < 0) return lucid::error{errc::system, EBADF};
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  auto* sa = reinterpret_cast<sockaddr*>(&ss);
  int rc = peer ? ::getpeername(fd, sa, &len) : ::getsockname(fd, sa, &len);
  if (rc != 0) return last_error();
  return socket_address::from_sockaddr(sa, len);
}

}  // namespace

// ------------------------------------------------------------------ tcp_stream

tcp_stream::tcp_stream(int fd) noexcept : io_(fd, lucid::detail::tcp_stream_resource) {
  if (fd >= 0) {
    int fl = ::fcntl(fd, F_GETFL);
    if (fl >= 0 && !(fl & O_NONBLOCK)) ::fcntl(fd, F_SETFL, fl | O_NONBLOCK);
  }
}

task<result<tcp_stream>> tcp_stream::connect(socket_address addr) {
  int fd = ::socket(addr.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) co_return last_error();
  tcp_stream s(fd, nonblocking{});
  if (::connect(fd, addr.data(), addr.size()) == 0) co_return s;
  if (errno != EINPROGRESS && errno != EINTR) co_return last_error();
  for (;;) {
    co_await s.io_.ready(io_interest::write);
    int err = 0;
    socklen_t len = sizeof err;
    if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) co_return last_error();
    if (err == 0) co_return s;
    if (err != EINPROGRESS && err != EALREADY) co_return lucid::error{errc::system, err};
  }
}

task<result<tcp_stream>> tcp_stream::connect(std::string host_and_port) {
  auto addrs = co_await resolve(std::move(host_and_port));
  if (!addrs) co_return addrs.error();
  lucid::error last{errc::not_found, 0};
  for (const socket_address& a : *addrs) {
    auto s = co_await connect(a);
    if (s) co_return std::move(*s);
    last = s.error();
  }
  co_return last;
}

task<result<std::size_t>> tcp_stream::read_some(std::span<std::byte> buf) {
  LUCID_ASSERT(!buf.empty(), "read_some into an empty buffer (0 would mean end of stream)");
  for (;;) {
    const std::uint32_t snap = io_.readiness();
    ssize_t n = ::recv(io_.fd(), buf.data(), buf.size(), 0);
    if (n >= 0) co_return static_cast<std::size_t>(n);
    if (errno == EINTR) continue;
    if (!would_block(errno)) co_return last_error();
    io_.clear_readiness(io_interest::read, snap);
    co_await io_.ready(io_interest::read);
  }
}

task<result<void>> tcp_stream::read_exact(std::span<std::byte> buf) {
  for (std::size_t done = 0; done < buf.size();) {
    auto n = co_await read_some(buf.subspan(done));
    if (!n) co_return n.error();
    if (*n == 0) co_return errc::eof;
    done += *n;
  }
  co_return result<void>{};
}

task<result<std::size_t>> tcp_stream::write_some(std::span<const std::byte> buf) {
  for (;;) {
    const std::uint32_t snap = io_.readiness();
    ssize_t n = ::send(io_.fd(), buf.data(), buf.size(), MSG_NOSIGNAL);
    if (n >= 0) co_return static_cast<std::size_t>(n);
    if (errno == EINTR) continue;
    if (!would_block(errno)) co_return last_error();
    io_.clear_readiness(io_interest::write, snap);
    co_await io_.ready(io_interest::write);
  }
}

task<result<void>> tcp_stream::write_all(std::span<const std::byte> buf) {
  for (std::size_t done = 0; done < buf.size();) {
    auto n = co_await write_some(buf.subspan(done));
    if (!n) co_return n.error();
    done += *n;
  }
  co_return result<void>{};
}

result<void> tcp_stream::shutdown(shutdown_how how) noexcept {
  int h = how == shutdown_how::read ? SHUT_RD : how == shutdown_how::write ? SHUT_WR : SHUT_RDWR;
  if (::shutdown(io_.fd(), h) != 0) return last_error();
  return {};
}

result<void> tcp_stream::set_nodelay(bool on) noexcept {
  int v = on ? 1 : 0;
  if (::setsockopt(io_.fd(), IPPROTO_TCP, TCP_NODELAY, &v, sizeof v) != 0) return last_error();
  return {};
}

result<socket_address> tcp_stream::local_addr() const noexcept {
  return sock_name(io_.fd(), false);
}
result<socket_address> tcp_stream::peer_addr() const noexcept {
  return sock_name(io_.fd(), true);
}

// ------------------------------------------------------------------ tcp_listener

result<tcp_listener> tcp_listener::bind(std::string_view address, int backlog,
                                        source_site site) noexcept {
  auto a = socket_address::parse(address);
  if (!a) return a.error();
  return bind(*a, backlog, site);
}

result<tcp_listener> tcp_listener::bind(const socket_address& address, int backlog,
                                        source_site site) noexcept {
  int fd = ::socket(address.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return last_error();
  tcp_listener l;
  l.io_ = lucid::detail::io_source(fd, lucid::detail::tcp_listener_resource, site);
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(fd, address.data(), address.size()) != 0) return last_error();
  if (::listen(fd, backlog) != 0) return last_error();
  return l;
}

task<result<tcp_stream>> tcp_listener::accept() {
  for (;;) {
    const std::uint32_t snap = io_.readiness();
    int fd = ::accept4(io_.fd(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0) co_return tcp_stream(fd, tcp_stream::nonblocking{});
    const int e = errno;
    // A connection reset before we took it, or a signal: try the next one.
    if (e == EINTR || e == ECONNABORTED || e == EPROTO) continue;
    if (!would_block(e)) co_return lucid::error{errc::system, e};
    io_.clear_readiness(io_interest::read, snap);
    co_await io_.ready(io_interest::read);
  }
}

result<socket_address> tcp_listener::local_addr() const noexcept {
  return sock_name(io_.fd(), false);
}

}  // namespace lucid::net
