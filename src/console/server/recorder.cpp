// See recorder.hpp.
#include "recorder.hpp"

#include <cerrno>
#include <cstring>
#include <utility>

namespace lucid::console::detail {

recorder::recorder(std::string path, std::string header, std::uint64_t max_bytes)
    : path_(std::move(path)), header_(std::move(header)), max_bytes_(max_bytes) {
  (void)open_fresh();
}

recorder::~recorder() {
  if (f_ != nullptr) std::fclose(f_);
}

void recorder::fail(const char* what) {
  std::fprintf(stderr, "lucid console: recording to %s stopped: %s: %s\n", path_.c_str(), what,
               std::strerror(errno));
  if (f_ != nullptr) std::fclose(f_);
  f_ = nullptr;
}

bool recorder::open_fresh() {
  f_ = std::fopen(path_.c_str(), "w");
  if (f_ == nullptr) {
    fail("cannot open it");
    return false;
  }
  size_ = 0;
  return line(header_);
}

bool recorder::line(std::string_view text) {
  if (f_ == nullptr) return false;
  if (std::fwrite(text.data(), 1, text.size(), f_) != text.size() || std::fputc('\n', f_) == EOF ||
      std::fflush(f_) != 0) {
    fail("write failed");
    return false;
  }
  size_ += text.size() + 1;
  return true;
}

bool recorder::write(std::string_view event, std::string_view keyframe) {
  if (f_ == nullptr) return false;
  if (!keyframe.empty() && size_ + event.size() + 1 > max_bytes_ / 2 &&
      size_ > header_.size() + 1) {
    std::fclose(f_);
    f_ = nullptr;
    const std::string old = path_ + ".1";
    if (std::rename(path_.c_str(), old.c_str()) != 0) {
      fail("cannot rotate it");
      return false;
    }
    if (!open_fresh()) return false;
    (void)line(keyframe);
    return true;
  }
  (void)line(event);
  return false;
}

}  // namespace lucid::console::detail
