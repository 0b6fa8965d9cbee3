// lucid::trace::writer: where formatted log lines go, and the simple writers:
// a file descriptor (stderr), a sink that discards, and an in-memory string.
//
// Contract: write() receives one or more complete lines ending in '\n' and is
// called from any thread concurrently; each implementation keeps a line
// whole. Thread safety: all writers here are thread-safe.
#pragma once

#include <atomic>
#include <mutex>
#include <string>
#include <string_view>

namespace lucid::trace {

/// A destination for log lines.
class writer {
 public:
  virtual ~writer() = default;
  /// Writes complete lines (thread-safe).
  virtual void write(std::string_view lines) = 0;
  /// Pushes out anything buffered; bounded in time.
  virtual void flush() {}
  /// True when the output is a terminal (ANSI colours may be used).
  virtual bool is_terminal() const { return false; }
};

/// Writes each call with write(2) to a file descriptor (stderr by default).
class fd_writer final : public writer {
 public:
  explicit fd_writer(int fd = 2) noexcept : fd_(fd) {}
  void write(std::string_view lines) override;
  bool is_terminal() const override;

 private:
  int fd_;
};

/// Discards everything (benchmarks).
class discard_writer final : public writer {
 public:
  void write(std::string_view lines) override { (void)lines; }
};

/// Appends to a string (tests).
class string_writer final : public writer {
 public:
  void write(std::string_view lines) override;
  /// Everything written so far.
  std::string str() const;
  /// Returns and clears what was written.
  std::string take();
  /// Pretend to be a terminal (to test colours).
  void set_terminal(bool t) noexcept { terminal_ = t; }
  bool is_terminal() const override { return terminal_; }

 private:
  mutable std::mutex mutex_;
  std::string buf_;  // mutex_
  bool terminal_ = false;
};

}  // namespace lucid::trace
