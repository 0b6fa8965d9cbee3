// The `date` header value (RFC 9110 IMF-fixdate), cached per thread and
// refreshed when the second changes.
//
// Contract: http_date() returns a view of a per-thread buffer holding e.g.
// "Sun, 06 Nov 1994 08:49:37 GMT" (29 characters), valid on this thread
// until the next call. It reads the coarse real-time clock (a vDSO call) and
// formats only once per second per thread. Not inlined, so a coroutine that
// moved to another worker never uses the previous thread's buffer.
// Thread safety: each thread has its own buffer; signal-unsafe.
#pragma once

#include <ctime>
#include <string_view>

namespace lucid::http::detail {

/// The current time as an HTTP date (see the file contract).
[[gnu::noinline]] std::string_view http_date() noexcept;

/// Formats `t` (seconds since the epoch) as an HTTP date into out[0..29).
void format_http_date(std::time_t t, char* out) noexcept;

}  // namespace lucid::http::detail
