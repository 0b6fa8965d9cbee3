// non_blocking_writer: bounded queue, background thread, drop counting, flush.
//
// Contract: see non_blocking.hpp. enqueued_ and written_ count lines; a flush
// waits until written_ reaches the enqueued_ it saw.
#include "lucid/trace/subscriber/non_blocking.hpp"

#include <time.h>

#include <algorithm>
#include <cstdlib>

#include <fmt/format.h>

namespace lucid::trace {
namespace {

constinit std::mutex g_live_mutex;
constinit std::vector<non_blocking_writer*>* g_live = nullptr;  // g_live_mutex, never freed
constinit bool g_atexit_registered = false;                     // g_live_mutex

void sleep_ms(long ms) noexcept {
  timespec ts{0, ms * 1000000L};
  nanosleep(&ts, nullptr);
}

}  // namespace

non_blocking_writer::non_blocking_writer(std::shared_ptr<writer> inner, std::size_t capacity)
    : inner_(std::move(inner)), slots_(std::max<std::size_t>(capacity, 1)) {
  thread_ = std::thread([this] { run(); });
  std::lock_guard<std::mutex> lock(g_live_mutex);
  if (g_live == nullptr) g_live = new std::vector<non_blocking_writer*>();
  g_live->push_back(this);
  if (!g_atexit_registered) {
    g_atexit_registered = true;
    std::atexit([] { non_blocking_writer::flush_all(); });
  }
}

non_blocking_writer::~non_blocking_writer() {
  {
    std::lock_guard<std::mutex> lock(g_live_mutex);
    auto it = std::find(g_live->begin(), g_live->end(), this);
    if (it != g_live->end()) g_live->erase(it);
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  cv_.notify_one();
  thread_.join();  // the thread drains the queue before it stops
}

void non_blocking_writer::write(std::string_view lines) {
  bool was_empty;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (count_ == slots_.size()) {
      // relaxed: a statistic; the background thread reads it after taking mutex_.
      dropped_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    slots_[(head_ + count_) % slots_.size()].assign(lines.data(), lines.size());
    was_empty = count_++ == 0;
    // relaxed: flush reads it only to pick a target; ordering comes from mutex_.
    enqueued_.fetch_add(1, std::memory_order_relaxed);
  }
  if (was_empty) cv_.notify_one();
}

void non_blocking_writer::run() {
  std::string batch;
  std::string line;
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    // Timed wait: flush() from a crash handler may not be able to notify.
    cv_.wait_for(lock, std::chrono::milliseconds(50), [this] { return stop_ || count_ > 0; });
    std::uint64_t dropped = dropped_.load(std::memory_order_relaxed);
    if (count_ == 0 && dropped == reported_dropped_) {
      if (stop_) return;
      continue;
    }
    batch.clear();
    std::uint64_t n = 0;
    if (dropped != reported_dropped_) {
      batch += fmt::format("lucid: trace: non-blocking writer dropped {} line(s) (queue full)\n",
                           dropped - reported_dropped_);
      reported_dropped_ = dropped;
    }
    while (count_ > 0 && batch.size() < 64 * 1024) {
      line.swap(slots_[head_]);  // keeps both buffers' capacity in circulation
      head_ = (head_ + 1) % slots_.size();
      --count_;
      ++n;
      batch += line;
    }
    lock.unlock();
    try {
      inner_->write(batch);
    } catch (...) {
    }
    // release: a flusher that sees the new count also sees the write done.
    written_.fetch_add(n, std::memory_order_release);
    lock.lock();
  }
}

bool non_blocking_writer::flush_for(std::chrono::milliseconds timeout) noexcept {
  std::uint64_t target = enqueued_.load(std::memory_order_relaxed);
  if (mutex_.try_lock()) {
    target = enqueued_.load(std::memory_order_relaxed);
    mutex_.unlock();
    cv_.notify_one();
  }
  auto deadline = std::chrono::steady_clock::now() + timeout;
  // acquire: pairs with the release in run().
  while (written_.load(std::memory_order_acquire) < target) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    sleep_ms(1);
  }
  try {
    inner_->flush();
  } catch (...) {
  }
  return true;
}

void non_blocking_writer::flush_all() noexcept {
  // try_lock: never deadlock in a crash or at exit; held while flushing so that
  // no writer is destroyed meanwhile.
  if (!g_live_mutex.try_lock()) return;
  if (g_live != nullptr) {
    for (non_blocking_writer* w : *g_live)
      w->flush();
  }
  g_live_mutex.unlock();
}

}  // namespace lucid::trace
