// W3C traceparent parsing (see include/lucid/trace/remote_parent.hpp).
#include "lucid/trace/remote_parent.hpp"

#include <algorithm>
#include <atomic>

#include "lucid/trace/context.hpp"

namespace lucid::trace {

namespace {

int hex_lower(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

bool all_hex(std::string_view s) noexcept {
  return std::all_of(s.begin(), s.end(), [](char c) { return hex_lower(c) >= 0; });
}

bool all_zero(std::string_view s) noexcept {
  return std::all_of(s.begin(), s.end(), [](char c) { return c == '0'; });
}

}  // namespace

std::optional<remote_parent> remote_parent::from_traceparent(std::string_view v) noexcept {
  // version "-" trace-id "-" parent-id "-" trace-flags
  //  2        1  32        1  16         1  2          = 55
  if (v.size() < 55 || v[2] != '-' || v[35] != '-' || v[52] != '-') return std::nullopt;
  const std::string_view version = v.substr(0, 2), tid = v.substr(3, 32), pid = v.substr(36, 16),
                         flags = v.substr(53, 2);
  if (!all_hex(version) || version == "ff") return std::nullopt;
  if (version == "00" ? v.size() != 55 : (v.size() > 55 && v[55] != '-')) return std::nullopt;
  if (!all_hex(tid) || !all_hex(pid) || !all_hex(flags)) return std::nullopt;
  if (all_zero(tid) || all_zero(pid)) return std::nullopt;
  remote_parent rp;
  std::copy(tid.begin(), tid.end(), rp.trace_id.begin());
  std::copy(pid.begin(), pid.end(), rp.parent_id.begin());
  rp.flags = static_cast<std::uint8_t>(hex_lower(flags[0]) * 16 + hex_lower(flags[1]));
  return rp;
}

namespace {
constinit std::atomic<propagator_fn> g_propagator{nullptr};
}  // namespace

void set_propagator(propagator_fn p) noexcept {
  // release/acquire: whatever the propagator reads was set up before it was published.
  g_propagator.store(p, std::memory_order_release);
}

bool inject_current(std::string& traceparent, std::string& tracestate) noexcept {
  propagator_fn p = g_propagator.load(std::memory_order_acquire);
  if (p == nullptr) return false;
  const span_id cur = detail::current_span_id();
  if (cur == 0) return false;
  return p(cur, traceparent, tracestate);
}

}  // namespace lucid::trace
