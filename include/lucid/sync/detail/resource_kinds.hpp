// The resource kinds lucid::sync reports to runtime observers (see
// lucid/rt/observer.hpp): one constant per primitive, named as users know it.
#pragma once

#include "lucid/rt/observer.hpp"

namespace lucid::detail {

inline constexpr resource_kind mutex_resource{"mutex"};
inline constexpr resource_kind rw_lock_resource{"rw_lock"};
inline constexpr resource_kind semaphore_resource{"semaphore"};
inline constexpr resource_kind notify_resource{"notify"};
inline constexpr resource_kind oneshot_resource{"oneshot"};
inline constexpr resource_kind mpsc_resource{"mpsc"};

}  // namespace lucid::detail
