// lucid::notify (see include/lucid/sync/notify.hpp).
#include "lucid/sync/notify.hpp"

#include <mutex>

namespace lucid {

bool notify::take_or_park(node* n, std::uint32_t gen, detail::waker w) noexcept {
  std::lock_guard g(lock_);
  // relaxed: written only under lock_, which we hold. The low 32 bits (see notify.hpp).
  if (static_cast<std::uint32_t>(waiters_gen_.load(std::memory_order_relaxed)) != gen)
    return true;  // notify_waiters() since notified()
  if (permit_) {
    permit_ = false;
    return true;
  }
  n->park(w, this, hdr_);
  waiters_.push_back(n);
  return false;
}

void notify::notify_one_locked() noexcept {
  if (node* f = waiters_.pop_front()) {
    f->by_one = true;
    f->grant(this);
  } else {
    permit_ = true;
  }
}

void notify::notify_one() noexcept {
  std::lock_guard g(lock_);
  notify_one_locked();
}

void notify::notify_waiters() noexcept {
  std::lock_guard g(lock_);
  // release: pairs with the acquire load in notified() (see notify.hpp).
  waiters_gen_.fetch_add(1, std::memory_order_release);
  while (node* f = waiters_.pop_front()) {
    f->by_one = false;
    f->grant(this);
  }
}

void notify::cancel(node* n) noexcept {
  std::lock_guard g(lock_);
  if (!n->linked()) return;  // granted meanwhile; the destructor passes it on
  waiters_.unlink(n);
  n->cancel_parked(this, hdr_.id);
}

}  // namespace lucid
