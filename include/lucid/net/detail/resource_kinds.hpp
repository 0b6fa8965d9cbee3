// The resource kinds lucid::net reports to the task dump and runtime
// observers (see lucid/rt/observer.hpp): what a task waiting on a socket waits on.
#pragma once

#include "lucid/rt/observer.hpp"

namespace lucid::detail {

inline constexpr resource_kind tcp_listener_resource{"tcp listener"};
inline constexpr resource_kind tcp_stream_resource{"tcp stream"};

}  // namespace lucid::detail
