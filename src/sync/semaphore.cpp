// lucid::semaphore (see include/lucid/sync/semaphore.hpp).
#include "lucid/sync/semaphore.hpp"

#include <mutex>

#include "lucid/rt/detail/current.hpp"

namespace lucid {

semaphore_permit::semaphore_permit(semaphore* s, std::size_t n) noexcept : s_(s), n_(n) {
  if (s_ == nullptr) return;
  std::lock_guard g(s_->hdr_.lock);
  s_->hdr_.permits_held.add(&link_);
}

void semaphore_permit::take(semaphore_permit& o) noexcept {
  if (o.s_ != nullptr) {
    std::lock_guard g(o.s_->hdr_.lock);
    o.s_->hdr_.permits_held.move(&o.link_, &link_);
  }
  s_ = std::exchange(o.s_, nullptr);
  n_ = std::exchange(o.n_, 0);
}

void semaphore_permit::forget() noexcept {
  if (s_ != nullptr) {
    std::lock_guard g(s_->hdr_.lock);
    s_->hdr_.permits_held.remove(&link_);
  }
  s_ = nullptr;
  n_ = 0;
}

void semaphore_permit::reset() noexcept {
  if (s_ == nullptr || n_ == 0) {
    forget();  // nothing to give back: only the link
    return;
  }
  LUCID_OBSERVE(on_release, detail::current_task_id(), s_->hdr_.id);
  s_->release_raw(n_, &link_);
  s_ = nullptr;
  n_ = 0;
}

bool semaphore::acquire_or_park(node* n, detail::waker w) noexcept {
  std::lock_guard g(hdr_.lock);
  if (closed_) {
    n->closed = true;
    return true;
  }
  if (waiters_.empty() && permits_ >= n->n) {
    permits_ -= n->n;
    publish_permits();
    return true;
  }
  n->park(w, this, hdr_);
  waiters_.push_back(n);
  return false;
}

result<semaphore_permit> semaphore::acquire_awaiter::await_resume() noexcept {
  resumed_ = true;
  if (node_.granted) LUCID_OBSERVE(on_wait_end, node_.w.task(), s_->hdr_.id);
  if (node_.closed) return errc::closed;
  s_->hdr_.holder.take();
  LUCID_OBSERVE(on_acquire, detail::current_task_id(), s_->hdr_.id);
  return result<semaphore_permit>(std::in_place, s_, node_.n);  // made in place: linked once
}

result<semaphore_permit> semaphore::try_acquire(std::size_t n) noexcept {
  {
    std::lock_guard g(hdr_.lock);
    if (closed_) return errc::closed;
    if (!waiters_.empty() || permits_ < n) return errc::would_block;
    permits_ -= n;
    publish_permits();
  }
  hdr_.holder.take();
  LUCID_OBSERVE(on_acquire, detail::current_task_id(), hdr_.id);
  return result<semaphore_permit>(std::in_place, this, n);
}

void semaphore::grant_waiters() noexcept {
  while (node* f = waiters_.front()) {
    if (f->n > permits_) break;
    permits_ -= f->n;
    publish_permits();
    waiters_.unlink(f);
    f->grant(this);
  }
}

void semaphore::release(std::size_t n) noexcept {
  release_raw(n);
}

void semaphore::release_raw(std::size_t n, detail::handle_link* link) noexcept {
  std::lock_guard g(hdr_.lock);
  if (link != nullptr) hdr_.permits_held.remove(link);
  permits_ += n;
  publish_permits();
  grant_waiters();
}

void semaphore::close() noexcept {
  std::lock_guard g(hdr_.lock);
  closed_ = true;
  while (node* f = waiters_.pop_front()) {
    f->closed = true;
    f->grant(this);
  }
}

void semaphore::cancel(node* n) noexcept {
  std::lock_guard g(hdr_.lock);
  if (!n->linked()) return;  // granted meanwhile; the destructor gives the permits back
  bool was_front = waiters_.front() == n;
  waiters_.unlink(n);
  n->cancel_parked(this, hdr_.id);
  if (was_front) grant_waiters();  // a large head request may have blocked smaller ones
}

bool semaphore::is_closed() const noexcept {
  std::lock_guard g(hdr_.lock);
  return closed_;
}

std::size_t semaphore::available_permits() const noexcept {
  std::lock_guard g(hdr_.lock);
  return permits_;
}

}  // namespace lucid
