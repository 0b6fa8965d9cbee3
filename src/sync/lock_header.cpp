// lucid::detail::lock_header (include/lucid/sync/detail/resource_kinds.hpp):
// how the task dump reads a lock's holder and count.
#include <atomic>
#include <mutex>

#include "lucid/sync/detail/resource_kinds.hpp"

namespace lucid::detail {

namespace {

const lock_header& as_lock(const void* h) noexcept {
  return *static_cast<const lock_header*>(static_cast<const resource_header*>(h));
}

std::size_t lock_holders(const void* h, holder_info* out, std::size_t max) noexcept {
  const lock_header& l = as_lock(h);
  if (max == 0 || !l.exclusive) return 0;
  out[0] = l.holder.read();
  return out[0].task != 0 ? 1 : 0;
}

void lock_state(const void* h, resource_state& out) noexcept {
  const lock_header& l = as_lock(h);
  std::int64_t n = l.count.load(std::memory_order_relaxed);
  if (l.kind == &rw_lock_resource) out.readers = n;
  if (l.kind == &semaphore_resource) out.permits = n;
}

constexpr resource_ops lock_ops{&lock_holders, &lock_state};

/// Where the permits taken from a semaphore are: every one, since only a
/// waiter asks (a waiter waits for any of them).
std::size_t semaphore_permits(const void* h, std::uintptr_t* out, std::size_t max) noexcept {
  const auto& sh = static_cast<const semaphore_header&>(as_lock(h));
  std::lock_guard g(sh.lock);
  return sh.permits_held.copy(out, max);
}

constexpr resource_ops semaphore_ops{&lock_holders, &lock_state, &semaphore_permits};

}  // namespace

lock_header::lock_header(const resource_kind& k, source_site s, bool excl,
                         const std::uintptr_t* stack) noexcept
    : lock_header(k, s, excl, stack, &lock_ops) {}

lock_header::lock_header(const resource_kind& k, source_site s, bool excl,
                         const std::uintptr_t* stack, const resource_ops* ops) noexcept
    : resource_header(k, s, ops, stack), exclusive(excl) {}

semaphore_header::semaphore_header(source_site s, const std::uintptr_t* stack) noexcept
    : lock_header(semaphore_resource, s, false, stack, &semaphore_ops) {}

}  // namespace lucid::detail
