// The process-wide instrument (include/lucid/rt/instrument.hpp), resource ids,
// and the names of the instrumentation enums.
#include "lucid/rt/instrument.hpp"

namespace lucid {

namespace detail {

std::atomic<instrument*> g_instrument{nullptr};
namespace {
std::atomic<std::uint64_t> g_next_resource{1};
}
std::uint64_t next_resource_id() noexcept {
  return g_next_resource.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace detail

std::string_view to_string(resource_kind k) noexcept {
  switch (k) {
    case resource_kind::mutex:
      return "mutex";
    case resource_kind::rw_lock:
      return "rw_lock";
    case resource_kind::semaphore:
      return "semaphore";
    case resource_kind::notify:
      return "notify";
    case resource_kind::oneshot:
      return "oneshot";
    case resource_kind::mpsc:
      return "mpsc";
    case resource_kind::timer:
      return "timer";
    case resource_kind::join_handle:
      return "join_handle";
    case resource_kind::io:
      return "io";
    case resource_kind::other:
      return "other";
  }
  return "?";
}
std::string_view to_string(wake_origin o) noexcept {
  switch (o) {
    case wake_origin::self:
      return "self";
    case wake_origin::other_task:
      return "other_task";
    case wake_origin::runtime:
      return "runtime";
    case wake_origin::external:
      return "external";
  }
  return "?";
}
std::string_view to_string(task_outcome o) noexcept {
  switch (o) {
    case task_outcome::value:
      return "value";
    case task_outcome::exception:
      return "exception";
    case task_outcome::cancelled:
      return "cancelled";
  }
  return "?";
}

instrument* set_instrument(instrument* i) noexcept {
  return detail::g_instrument.exchange(i, std::memory_order_acq_rel);
}

}  // namespace lucid
