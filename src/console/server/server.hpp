// The console server's entry points (server.cpp; docs/console-protocol.md).
// Private to src/console.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "lucid/base/result.hpp"

namespace lucid::console::detail {

inline constexpr std::string_view k_default_address = "127.0.0.1:6669";

/// The console server's settings, from the environment.
struct server_config {
  bool on = false;
  std::string address;  ///< "ip:port"
  std::string token;    ///< empty: none required (loopback only)
  unsigned interval_ms = 1000;
  std::string record;  ///< the recording's path; empty: none
  std::uint64_t record_max = std::uint64_t{64} << 20;
};

/// Reads LUCID_CONSOLE, LUCID_CONSOLE_TOKEN, LUCID_CONSOLE_INTERVAL_MS,
/// LUCID_CONSOLE_RECORD and LUCID_CONSOLE_RECORD_MAX. errc::invalid_input
/// with `*why` set for a malformed value or a non-loopback address without a
/// token; `on` false when LUCID_CONSOLE is unset, empty, 0 or off.
result<server_config> read_server_config(std::string* why);

/// Starts the console server if LUCID_CONSOLE asks for it (once per
/// process; later calls do nothing). Prints why on stderr when the
/// configuration is refused; the program runs on either way.
void start_console_server() noexcept;

}  // namespace lucid::console::detail
