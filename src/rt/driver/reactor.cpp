// The epoll reactor and the io_source glue of detail/io.hpp. See reactor.hpp
// for who may call what, and the registration lifetime.
#include "driver/reactor.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <ctime>

#include "context.hpp"
#include "lucid/base/assert.hpp"
#include "scheduler/scheduler.hpp"

namespace lucid::detail {

namespace {
/// Unlinks `w` from `io` and wakes its task; under io->lock (the waker contract).
void wake_waiter(scheduled_io* io, io_waiter* w) noexcept {
  io->waiters.unlink(w);
  w->woken = true;
  w->w.released(io);
  w->w.wake();
}
}  // namespace

reactor::reactor() {
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  LUCID_ASSERT(epoll_fd_ >= 0, "lucid: epoll_create1 failed (out of file descriptors?)");
  event_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  LUCID_ASSERT(event_fd_ >= 0, "lucid: eventfd failed (out of file descriptors?)");
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLET;
  ev.data.ptr = nullptr;
  int rc = ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, event_fd_, &ev);
  LUCID_ASSERT(rc == 0, "lucid: registering the reactor's eventfd failed");
}

reactor::~reactor() {
  free_released();
  ::close(event_fd_);
  ::close(epoll_fd_);
}

void reactor::unref() noexcept {
  // acq_rel: the last owner sees every other owner's writes before deleting.
  if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
}

void reactor::detach() noexcept {
  {
    std::lock_guard l(mu_);
    alive_ = false;
    // Sockets that outlive the runtime: whoever waits on them (a task of
    // another runtime) must not wait for events no driver will read.
    for (scheduled_io* io = ios_.front(); io != nullptr; io = ios_.next(io))
      orphan(io);
  }
  free_released();
  unref();
}

void reactor::orphan(scheduled_io* io) noexcept {
  std::lock_guard g(io->lock);
  std::uint32_t cur = io->readiness.load(std::memory_order_relaxed);
  // acq_rel: as in dispatch(); the tick makes a readiness snapshot stale.
  while (!io->readiness.compare_exchange_weak(cur, (cur + io_bits::tick_one) | io_bits::orphaned,
                                              std::memory_order_acq_rel,
                                              std::memory_order_relaxed)) {
  }
  while (io_waiter* w = io->waiters.front())
    wake_waiter(io, w);
}

scheduled_io* reactor::add(int fd) noexcept {
  auto* io = new scheduled_io;
  io->owner = this;
  refs_.fetch_add(1, std::memory_order_relaxed);
  {
    std::lock_guard l(mu_);
    ios_.push_back(io);
  }
  // release, paired with the acquire load after epoll_wait in poll(): the
  // driver that gets this registration's events sees it initialised (epoll
  // orders this too, but TSan cannot see through the kernel).
  live_.fetch_add(1, std::memory_order_release);
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
  ev.data.ptr = io;
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
    // Not pollable (a regular file) or out of memory: report it as an error
    // readiness, so the operation's next syscall returns the real error.
    io->readiness.store(io_bits::error, std::memory_order_relaxed);
  }
  return io;
}

void reactor::release(scheduled_io* io, int fd) noexcept {
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
  live_.fetch_sub(1, std::memory_order_relaxed);
  bool freed_now = false;
  {
    std::lock_guard l(mu_);
    ios_.unlink(io);
    if (alive_) {
      io->next_released = released_;
      released_ = io;
      has_released_.store(true, std::memory_order_relaxed);
    } else {
      freed_now = true;
    }
  }
  if (freed_now) delete io;
  unref();
}

void reactor::free_released() noexcept {
  scheduled_io* list = nullptr;
  {
    std::lock_guard l(mu_);
    list = std::exchange(released_, nullptr);
    has_released_.store(false, std::memory_order_relaxed);
  }
  while (list != nullptr) {
    scheduled_io* next = list->next_released;
    delete list;
    list = next;
  }
}

bool reactor::poll(std::int64_t timeout_ns) noexcept {
  // Anything released before this point is out of epoll and out of the last
  // batch (dispatch() ran before this poll), so it can go now.
  if (has_released_.load(std::memory_order_relaxed)) free_released();
  int n = -1;
  if (timeout_ns < 0) {
    n = ::epoll_wait(epoll_fd_, events_, kMaxEvents, -1);
  } else if (timeout_ns == 0) {
    n = ::epoll_wait(epoll_fd_, events_, kMaxEvents, 0);
  } else {
    if (have_pwait2_) {
      timespec ts{static_cast<time_t>(timeout_ns / 1000000000),
                  static_cast<long>(timeout_ns % 1000000000)};
      n = ::epoll_pwait2(epoll_fd_, events_, kMaxEvents, &ts, nullptr);
      if (n < 0 && errno == ENOSYS) have_pwait2_ = false;
    }
    if (!have_pwait2_) {
      // Millisecond resolution only (kernels before 5.11): round up, and cap
      // a far deadline at INT_MAX ms (the driver re-parks when it is reached).
      const std::int64_t ms = timeout_ns / 1000000 + (timeout_ns % 1000000 != 0 ? 1 : 0);
      n = ::epoll_wait(epoll_fd_, events_, kMaxEvents,
                       static_cast<int>(std::min<std::int64_t>(ms, INT_MAX)));
    }
  }
  n_events_ = n > 0 ? n : 0;
  (void)live_.load(std::memory_order_acquire);  // see add()
  bool io = false;
  for (int i = 0; i < n_events_; ++i) {
    if (events_[i].data.ptr != nullptr) {
      io = true;
      break;
    }
  }
  return io;
}

void reactor::dispatch() noexcept {
  const int n = std::exchange(n_events_, 0);
  for (int i = 0; i < n; ++i) {
    auto* io = static_cast<scheduled_io*>(events_[i].data.ptr);
    if (io == nullptr) continue;  // the eventfd: its job (ending the wait) is done
    const std::uint32_t e = events_[i].events;
    std::uint32_t bits = 0;
    if (e & (EPOLLIN | EPOLLPRI)) bits |= io_bits::readable;
    if (e & EPOLLOUT) bits |= io_bits::writable;
    if (e & EPOLLRDHUP) bits |= io_bits::read_closed;
    if (e & EPOLLHUP) bits |= io_bits::read_closed | io_bits::write_closed;
    if (e & EPOLLERR) bits |= io_bits::error;
    std::lock_guard g(io->lock);
    std::uint32_t cur = io->readiness.load(std::memory_order_relaxed);
    std::uint32_t next;
    do {
      next = ((cur & ~io_bits::all) + io_bits::tick_one) | (cur & io_bits::all) | bits;
      // acq_rel: the woken task's syscall must not be ordered before this.
    } while (!io->readiness.compare_exchange_weak(cur, next, std::memory_order_acq_rel,
                                                  std::memory_order_relaxed));
    for (io_waiter* w = io->waiters.front(); w != nullptr;) {
      io_waiter* nx = io->waiters.next(w);
      if (next & w->mask) wake_waiter(io, w);
      w = nx;
    }
  }
}

void reactor::wake() noexcept {
  std::uint64_t one = 1;
  while (::write(event_fd_, &one, sizeof one) < 0) {
    if (errno == EINTR) continue;
    if (errno == EAGAIN) {  // counter full: drain it; the edge is still pending
      std::uint64_t v;
      (void)!::read(event_fd_, &v, sizeof v);
      continue;
    }
    break;
  }
}

// ------------------------------------------------------------------ io.hpp glue

bool io_arm(scheduled_io* io, io_waiter* w) noexcept {
  std::lock_guard g(io->lock);
  if (io->readiness.load(std::memory_order_acquire) & (w->mask | io_bits::orphaned)) return false;
  w->woken = false;
  io->waiters.push_back(w);
  w->w.registered(io);
  return true;
}

void io_disarm(scheduled_io* io, io_waiter* w) noexcept {
  std::lock_guard g(io->lock);
  if (w->linked()) {
    io->waiters.unlink(w);
    w->w.released(io);
  }
}

std::uint32_t io_readiness(const scheduled_io* io) noexcept {
  return io->readiness.load(std::memory_order_acquire);
}

void io_clear_readiness(scheduled_io* io, std::uint32_t mask, std::uint32_t snap) noexcept {
  // Only if no event came since `snap` (same tick): then the syscall's EAGAIN
  // is current and the bit may go.
  std::uint32_t expected = snap;
  io->readiness.compare_exchange_strong(expected, snap & ~mask, std::memory_order_acq_rel,
                                        std::memory_order_relaxed);
}

scheduled_io* io_register(int fd) noexcept {
  scheduler* s = current_scheduler();
  LUCID_ASSERT(s != nullptr, "lucid: socket I/O awaited outside a lucid runtime");
  LUCID_ASSERT(fd >= 0, "lucid: I/O awaited on a closed socket");
  return s->drv().io().add(fd);
}

void io_deregister(scheduled_io* io, int fd) noexcept {
  while (io != nullptr) {
    scheduled_io* older = std::exchange(io->retired, nullptr);
    io->owner->release(io, fd);
    io = older;
  }
}

scheduled_io* io_source::register_slow() noexcept {
  std::lock_guard g(reg_lock_);
  scheduled_io* old = io_.load(std::memory_order_relaxed);
  if (old != nullptr && !(io_readiness(old) & io_bits::orphaned)) return old;  // done meanwhile
  scheduled_io* fresh = io_register(fd_);
  // The orphaned one stays allocated until close(): another task of this
  // socket may have loaded its address for a readiness read.
  fresh->retired = old;
  // release: a task that loads the new registration sees it initialised.
  io_.store(fresh, std::memory_order_release);
  return fresh;
}

void io_source::close() noexcept {
  if (scheduled_io* io = io_.exchange(nullptr, std::memory_order_acq_rel)) io_deregister(io, fd_);
  if (fd_ >= 0) ::close(std::exchange(fd_, -1));
}

}  // namespace lucid::detail
