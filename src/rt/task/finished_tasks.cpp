// The finished-task store (lucid/rt/detail/finished_tasks.hpp).
#include "lucid/rt/detail/finished_tasks.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace lucid::detail {

namespace {
std::size_t record_bytes(const finished_task& r) noexcept {
  return finished_tasks::kRecordBytes + (r.name.empty() ? 0 : r.name.capacity() + 1);
}
}  // namespace

bool parse_retention(const char* text, std::chrono::nanoseconds& out) noexcept {
  if (text == nullptr || *text == '\0') return false;
  char* end = nullptr;
  double v = std::strtod(text, &end);
  if (end == text || v < 0) return false;
  double scale = 1e9;
  if (std::strcmp(end, "") == 0 || std::strcmp(end, "s") == 0) {
    scale = 1e9;
  } else if (std::strcmp(end, "ms") == 0) {
    scale = 1e6;
  } else if (std::strcmp(end, "m") == 0) {
    scale = 60e9;
  } else if (std::strcmp(end, "h") == 0) {
    scale = 3600e9;
  } else {
    return false;
  }
  if (!(v * scale < 9.2e18)) return false;  // beyond the clock (and NaN)
  out = std::chrono::nanoseconds(static_cast<std::int64_t>(v * scale));
  return true;
}

finished_tasks& finished_tasks::global() {
  // Leaked: tasks may finish during static destruction (a runtime in a static).
  static finished_tasks* g = [] {
    std::chrono::nanoseconds retention = kDefaultRetention;
    std::size_t max = kDefaultMaxCount;
    if (const char* r = std::getenv("LUCID_CONSOLE_RETENTION"); r != nullptr && *r != '\0') {
      if (!parse_retention(r, retention)) {
        std::fprintf(stderr,
                     "lucid: LUCID_CONSOLE_RETENTION=%s is not a duration (such as 60s, 500ms, "
                     "5m, 1h); using %llds\n",
                     r, static_cast<long long>(kDefaultRetention.count() / 1000000000));
      }
    }
    if (const char* m = std::getenv("LUCID_CONSOLE_RETENTION_MAX"); m != nullptr && *m != '\0') {
      char* end = nullptr;
      errno = 0;
      unsigned long long n = std::strtoull(m, &end, 10);
      if (m[0] >= '0' && m[0] <= '9' && end != m && *end == '\0' && errno == 0) {
        max = static_cast<std::size_t>(n);
      } else {
        std::fprintf(stderr,
                     "lucid: LUCID_CONSOLE_RETENTION_MAX=%s is not a number of tasks; using %zu\n",
                     m, max);
      }
    }
    return new finished_tasks(retention, max);
  }();
  return *g;
}

/// One thread's ring: single producer (the owning thread: slots[tail]),
/// single consumer (whoever holds the store's mutex: slots[head]).
struct finished_tasks::ring {
  finished_tasks* store = nullptr;
  std::atomic<std::size_t> head{0};
  std::atomic<std::size_t> tail{0};
  finished_task slots[kRingSize];

  ~ring() {
    // Thread exit: hand the rest over and unregister (the global store is
    // leaked, so it outlives every thread).
    if (store == nullptr) return;
    std::lock_guard g(store->mu_);
    store->drain_ring_locked(*this);
    auto& rs = store->rings_;
    rs.erase(std::remove(rs.begin(), rs.end(), this), rs.end());
  }
};

void finished_tasks::push_locked(finished_task&& r) {
  if (max_count_ == 0) return;
  std::size_t b = record_bytes(r);
  records_.push_back(std::move(r));
  bytes_ += b;
}

void finished_tasks::push(finished_task r) {
  std::lock_guard g(mu_);
  drain_locked();
  push_locked(std::move(r));
  prune_locked(records_.empty() ? stats_now_ns() : records_.back().completed_ns);
}

void finished_tasks::push_buffered(finished_task&& r) {
  static thread_local ring t_ring;
  ring& rg = t_ring;
  if (__builtin_expect(rg.store != this, 0)) {
    if (rg.store != nullptr) {  // a thread pushes to one store only (the global one)
      push(std::move(r));
      return;
    }
    std::lock_guard g(mu_);
    rings_.push_back(&rg);
    rg.store = this;
  }
  // relaxed: only this thread writes tail.
  std::size_t t = rg.tail.load(std::memory_order_relaxed);
  // acquire: the consumer moved the slot out before it advanced head.
  if (t - rg.head.load(std::memory_order_acquire) == kRingSize) {
    std::lock_guard g(mu_);
    drain_locked();
    prune_locked(r.completed_ns);
  }
  rg.slots[t % kRingSize] = std::move(r);
  // release: the slot's contents before the consumer sees the new tail.
  rg.tail.store(t + 1, std::memory_order_release);
}

void finished_tasks::drain_ring_locked(ring& rg) {
  // acquire: pairs with push_buffered's release of tail.
  std::size_t t = rg.tail.load(std::memory_order_acquire);
  std::size_t h = rg.head.load(std::memory_order_relaxed);
  for (; h != t; ++h)
    push_locked(std::move(rg.slots[h % kRingSize]));
  // release: the slots were moved out before the producer reuses them.
  rg.head.store(h, std::memory_order_release);
}

void finished_tasks::drain_locked() {
  for (ring* rg : rings_)
    drain_ring_locked(*rg);
}

std::size_t finished_tasks::size() {
  std::lock_guard g(mu_);
  drain_locked();
  prune_locked(stats_now_ns());
  return records_.size();
}

std::size_t finished_tasks::accounted_bytes() {
  std::lock_guard g(mu_);
  drain_locked();
  prune_locked(stats_now_ns());
  return bytes_;
}

void finished_tasks::configure(std::chrono::nanoseconds retention, std::size_t max_count) {
  std::lock_guard g(mu_);
  retention_ns_ = retention.count();
  drain_locked();
  max_count_ = max_count;
  prune_locked(stats_now_ns());
}

void finished_tasks::clear() {
  std::lock_guard g(mu_);
  drain_locked();
  records_.clear();
  bytes_ = 0;
}

void finished_tasks::pop_front_locked() noexcept {
  bytes_ -= record_bytes(records_.front());
  records_.pop_front();
}

void finished_tasks::prune_locked(std::int64_t now_ns) noexcept {
  while (records_.size() > max_count_)
    pop_front_locked();
  // Records are pushed in completion order (almost: two workers may finish
  // out of order by a few ns), so the old ones are at the front.
  while (!records_.empty() && now_ns - records_.front().completed_ns > retention_ns_)
    pop_front_locked();
}

}  // namespace lucid::detail
