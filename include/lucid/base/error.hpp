// lucid::errc and lucid::error: the error codes of expected failures.
//
// Contract: plain values, no allocation; safe to use from any thread and from
// signal handlers (message() returns a static string).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace lucid {

/// Expected failures of lucid operations, carried by lucid::result<T>.
enum class errc : std::uint8_t {
  ok = 0,
  timed_out,  ///< a timeout() expired before the operation finished
  closed,     ///< the channel, semaphore or resource is closed
  cancelled,  ///< the operation or task was cancelled (aborted)
  full,       ///< a try_send found a bounded channel full
  empty,      ///< a try_recv found a channel empty
  would_block,
  panicked,       ///< the task ended with an exception
  system,         ///< an OS error; error::sys holds errno
  eof,            ///< the stream ended before the bytes an operation needed
  invalid_input,  ///< malformed input (an address, a request, a filter string)
  not_found,      ///< a name lookup found nothing; error::sys holds the resolver's code
  too_large,      ///< input over a configured limit
};

/// A short, static description of an error code.
std::string_view message(errc e) noexcept;

/// An error: a code and, for errc::system, the errno value.
struct error {
  errc code = errc::ok;
  int sys = 0;

  constexpr error() = default;
  constexpr error(errc c, int s = 0) : code(c), sys(s) {}  // NOLINT: implicit on purpose

  friend constexpr bool operator==(error a, error b) { return a.code == b.code && a.sys == b.sys; }
  friend constexpr bool operator==(error a, errc b) { return a.code == b; }
  std::string_view message() const noexcept { return lucid::message(code); }
  /// message(), plus strerror(sys) (or the resolver's text) where there is one.
  /// Not signal-safe (it builds a string).
  std::string describe() const;
};

}  // namespace lucid
