// lucid::trace::non_blocking_writer: puts lines in a bounded queue and writes
// them to another writer from a background thread, so logging never waits for
// the terminal or the disk.
//
// Contract: write() never blocks on I/O: it copies the line into a free queue
// slot (reusing the slot's memory) under a short mutex, or, when the queue is
// full, drops the line and counts it; the background thread then writes a
// "dropped N lines" notice before the next lines. flush() waits until what was
// queued before the call is written, at most a bounded time; it is also run
// for every live non_blocking_writer at normal exit (atexit), and by
// lucid::trace::flush() (which the crash handler calls): there it takes the
// queue lock only with try_lock and waits by polling, so a crash while the
// lock is held costs the timeout, not a deadlock. The destructor flushes and
// joins the thread. Thread safety: all members are thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "lucid/trace/subscriber/writer.hpp"

namespace lucid::trace {

/// A writer that hands lines to a background thread through a bounded queue.
class non_blocking_writer final : public writer {
 public:
  /// capacity: queued lines at most (excess lines are dropped and counted).
  explicit non_blocking_writer(std::shared_ptr<writer> inner, std::size_t capacity = 8192);
  ~non_blocking_writer() override;
  non_blocking_writer(const non_blocking_writer&) = delete;
  non_blocking_writer& operator=(const non_blocking_writer&) = delete;

  void write(std::string_view lines) override;
  /// Waits (at most timeout) until every line queued before the call is written.
  /// Returns false on timeout.
  bool flush_for(std::chrono::milliseconds timeout) noexcept;
  void flush() override { flush_for(std::chrono::milliseconds(1000)); }
  bool is_terminal() const override { return inner_->is_terminal(); }

  /// Lines dropped because the queue was full, since creation.
  std::uint64_t dropped() const noexcept { return dropped_.load(std::memory_order_relaxed); }

  /// Flushes every live non_blocking_writer (run at exit).
  static void flush_all() noexcept;

 private:
  void run();

  std::shared_ptr<writer> inner_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<std::string> slots_;          // ring, mutex_
  std::size_t head_ = 0;                    // next to write, mutex_
  std::size_t count_ = 0;                   // queued, mutex_
  bool stop_ = false;                       // mutex_
  std::atomic<std::uint64_t> enqueued_{0};  // lines accepted
  std::atomic<std::uint64_t> written_{0};   // lines handed to inner_
  std::atomic<std::uint64_t> dropped_{0};
  std::uint64_t reported_dropped_ = 0;  // background thread only
  std::thread thread_;
};

}  // namespace lucid::trace
