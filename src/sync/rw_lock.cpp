// lucid::rw_lock (see include/lucid/sync/rw_lock.hpp).
#include "lucid/sync/rw_lock.hpp"

#include <atomic>
#include <mutex>

#include "lucid/rt/detail/current.hpp"

namespace lucid {

bool rw_lock::lock_or_park(node* n, detail::waker w) noexcept {
  std::lock_guard g(lock_);
  if (waiters_.empty() && !writer_ && (!n->write || readers_ == 0)) {
    if (n->write) {
      writer_ = true;
    } else {
      ++readers_;
      publish_readers();
    }
    return true;
  }
  n->park(w, this, hdr_);
  waiters_.push_back(n);
  return false;
}

void rw_lock::report_acquired(bool waited, task_id waiter) noexcept {
  hdr_.holder.take();  // the writer, or the latest reader (see the header)
  if (!detail::observing()) return;
  if (waited) LUCID_OBSERVE(on_wait_end, waiter, hdr_.id);
  LUCID_OBSERVE(on_acquire, detail::current_task_id(), hdr_.id);
}

void rw_lock::grant_waiters() noexcept {
  while (node* f = waiters_.front()) {
    if (f->write) {
      if (writer_ || readers_ != 0) break;
      writer_ = true;
      waiters_.unlink(f);
      f->grant(this);
      break;
    }
    if (writer_) break;
    ++readers_;
    publish_readers();
    waiters_.unlink(f);
    f->grant(this);
  }
}

void rw_lock::release_raw(bool write) noexcept {
  std::lock_guard g(lock_);
  if (write) {
    writer_ = false;
  } else {
    --readers_;
    publish_readers();
  }
  grant_waiters();
}

void rw_lock::unlock_read() noexcept {
  const task_id me = detail::current_task_id();
  // Forget this reader if it is the one recorded; before the release, so a
  // writer's record, which can only follow it, is never cleared.
  if (me != 0 && hdr_.holder.task.load(std::memory_order_relaxed) == me) hdr_.holder.give_back();
  LUCID_OBSERVE(on_release, me, hdr_.id);
  release_raw(false);
}

void rw_lock::unlock_write() noexcept {
  hdr_.holder.give_back();
  LUCID_OBSERVE(on_release, detail::current_task_id(), hdr_.id);
  release_raw(true);
}

std::optional<read_guard> rw_lock::try_read() noexcept {
  {
    std::lock_guard g(lock_);
    if (writer_ || !waiters_.empty()) return std::nullopt;
    ++readers_;
    publish_readers();
  }
  hdr_.holder.take();
  LUCID_OBSERVE(on_acquire, detail::current_task_id(), hdr_.id);
  return read_guard(this);
}

std::optional<write_guard> rw_lock::try_write() noexcept {
  {
    std::lock_guard g(lock_);
    if (writer_ || readers_ != 0 || !waiters_.empty()) return std::nullopt;
    writer_ = true;
  }
  hdr_.holder.take();
  LUCID_OBSERVE(on_acquire, detail::current_task_id(), hdr_.id);
  return write_guard(this);
}

void rw_lock::cancel(node* n) noexcept {
  std::lock_guard g(lock_);
  if (!n->linked()) return;  // granted meanwhile; the destructor releases
  bool was_front = waiters_.front() == n;
  waiters_.unlink(n);
  n->cancel_parked(this, hdr_.id);
  if (was_front) grant_waiters();  // a queued writer may have held back readers
}

}  // namespace lucid
