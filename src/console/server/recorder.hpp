// The console's recording (LUCID_CONSOLE_RECORD): the event stream as JSON
// Lines, size-bounded by rotation (docs/console-protocol.md, "Recordings").
//
// Contract: one owner (the console server's thread). Each event is one line,
// written and flushed at once, so a crash loses at most a partial last line.
// When the file passes half the bound, it becomes `path.1` and a new `path`
// starts with the header and a keyframe (the caller's snapshot event), so
// the two files hold the latest events within the bound. A write error is
// reported once on stderr and ends the recording; the program runs on.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace lucid::console::detail {

class recorder {
 public:
  /// `header` is the first line of each file; `max_bytes` bounds both files.
  recorder(std::string path, std::string header, std::uint64_t max_bytes);
  ~recorder();
  recorder(const recorder&) = delete;
  recorder& operator=(const recorder&) = delete;

  /// False once a write failed (or the file could not be opened).
  bool ok() const noexcept { return f_ != nullptr; }
  /// Appends one event. When the file would pass half the bound and a
  /// `keyframe` is given (the snapshot event of the update `event` is the
  /// delta of), rotates and starts the new file with the keyframe instead.
  /// Returns true when it wrote the keyframe instead of `event`.
  bool write(std::string_view event, std::string_view keyframe);
  /// Bytes written to the current file.
  std::uint64_t size() const noexcept { return size_; }

 private:
  bool open_fresh();
  bool line(std::string_view text);
  void fail(const char* what);

  std::string path_, header_;
  std::uint64_t max_bytes_;
  std::FILE* f_ = nullptr;
  std::uint64_t size_ = 0;
};

}  // namespace lucid::console::detail
