// fd_writer, string_writer.
#include "lucid/trace/subscriber/writer.hpp"

#include <unistd.h>

#include <cerrno>

namespace lucid::trace {

void fd_writer::write(std::string_view lines) {
  const char* p = lines.data();
  std::size_t n = lines.size();
  while (n > 0) {
    ssize_t w = ::write(fd_, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return;  // nowhere to report a failing log sink
    }
    p += w;
    n -= static_cast<std::size_t>(w);
  }
}

bool fd_writer::is_terminal() const {
  return ::isatty(fd_) == 1;
}

void string_writer::write(std::string_view lines) {
  std::lock_guard<std::mutex> lock(mutex_);
  buf_.append(lines);
}

std::string string_writer::str() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return buf_;
}

std::string string_writer::take() {
  std::lock_guard<std::mutex> lock(mutex_);
  std::string out;
  out.swap(buf_);
  return out;
}

}  // namespace lucid::trace
