// The finished-task store (lucid/rt/detail/finished_tasks.hpp).
#include "lucid/rt/detail/finished_tasks.hpp"

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
  out = std::chrono::nanoseconds(static_cast<std::int64_t>(v * scale));
  return true;
}

finished_tasks& finished_tasks::global() {
  // Leaked: tasks may finish during static destruction (a runtime in a static).
  static finished_tasks* g = [] {
    std::chrono::nanoseconds retention = kDefaultRetention;
    std::size_t max = kDefaultMaxCount;
    parse_retention(std::getenv("LUCID_CONSOLE_RETENTION"), retention);
    if (const char* m = std::getenv("LUCID_CONSOLE_RETENTION_MAX")) {
      char* end = nullptr;
      unsigned long long n = std::strtoull(m, &end, 10);
      if (end != m && *end == '\0') max = static_cast<std::size_t>(n);
    }
    return new finished_tasks(retention, max);
  }();
  return *g;
}

void finished_tasks::push(finished_task r) {
  std::size_t b = record_bytes(r);
  std::lock_guard g(mu_);
  if (max_count_ == 0) return;
  records_.push_back(std::move(r));
  bytes_ += b;
  prune_locked(records_.back().completed_ns);
}

std::size_t finished_tasks::size() {
  std::lock_guard g(mu_);
  prune_locked(stats_now_ns());
  return records_.size();
}

std::size_t finished_tasks::accounted_bytes() {
  std::lock_guard g(mu_);
  prune_locked(stats_now_ns());
  return bytes_;
}

void finished_tasks::configure(std::chrono::nanoseconds retention, std::size_t max_count) {
  std::lock_guard g(mu_);
  retention_ns_ = retention.count();
  max_count_ = max_count;
  prune_locked(stats_now_ns());
}

void finished_tasks::clear() {
  std::lock_guard g(mu_);
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
