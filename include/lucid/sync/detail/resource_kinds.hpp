// The resource kinds lucid::sync reports to runtime observers (see
// lucid/rt/observer.hpp): one constant per primitive, named as users know it.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "lucid/base/spin_lock.hpp"
#include "lucid/rt/detail/wait_record.hpp"
#include "lucid/rt/observer.hpp"
#include "lucid/sync/detail/handle_registry.hpp"

namespace lucid::detail {

inline constexpr resource_kind mutex_resource{"mutex"};
inline constexpr resource_kind rw_lock_resource{"rw_lock"};
inline constexpr resource_kind semaphore_resource{"semaphore"};
inline constexpr resource_kind notify_resource{"notify"};
inline constexpr resource_kind oneshot_resource{"oneshot"};
inline constexpr resource_kind mpsc_resource{"mpsc"};

/// The identity of a lock (mutex, rw_lock, semaphore), as the task dump and
/// the deadlock detector read it: who holds it (the mutex's holder, the
/// rw_lock's writer or latest reader, the semaphore's last acquirer) and a
/// count (rw_lock readers, semaphore permits available). Written by the
/// lock's users with relaxed stores; read racily.
struct lock_header : resource_header {
  holder_slot holder;
  std::atomic<std::int64_t> count{-1};
  /// true: `holder` holds it (mutex, rw_lock writer or reader); false: it is
  /// only the last acquirer (semaphore), not an edge of the wait-for graph.
  bool exclusive;

  /// `stack`: creation_stack(s), taken in the resource's inline constructor (owned).
  lock_header(const resource_kind& k, source_site s, bool excl,
              const std::uintptr_t* stack) noexcept;

 protected:
  lock_header(const resource_kind& k, source_site s, bool excl, const std::uintptr_t* stack,
              const resource_ops* ops) noexcept;
};

/// A semaphore's identity: a lock_header (its last acquirer, and its
/// permits available as `count`), the semaphore's lock, and where each
/// permit taken from it is (handle_registry.hpp): a permit links itself
/// when made, moves the link when moved, and unlinks when released or
/// forgotten, under `lock`. The console names the tasks whose frames hold
/// the permits a waiter waits for.
struct semaphore_header : lock_header {
  /// The semaphore's lock (it guards the semaphore's state too, see semaphore.hpp).
  mutable spin_lock lock;
  handle_registry permits_held;  ///< guarded by lock

  semaphore_header(source_site s, const std::uintptr_t* stack) noexcept;
};

}  // namespace lucid::detail
