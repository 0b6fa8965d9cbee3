// lucid::source_path: paths relative to the source root or the start-up
// directory.
#include "lucid/base/source_path.hpp"

#include <unistd.h>

#include <cstring>

#ifndef LUCID_SOURCE_DIR
#define LUCID_SOURCE_DIR ""
#endif

namespace lucid {
namespace {

/// True when `file` names something below directory `dir`.
bool under_dir(std::string_view file, std::string_view dir) noexcept {
  return !dir.empty() && file.size() > dir.size() && file.substr(0, dir.size()) == dir &&
         (dir.back() == '/' || file[dir.size()] == '/');
}

std::string_view strip(std::string_view file, std::string_view dir) noexcept {
  return file.substr(dir.size() + (dir.back() == '/' ? 0 : 1));
}

/// The working directory at start-up, read once during static initialisation
/// (before main and before any thread lucid starts); empty when unknown or "/".
struct startup_dir {
  char path[4096] = {};
  std::size_t size = 0;
  startup_dir() noexcept {
    if (::getcwd(path, sizeof path) != nullptr && std::strcmp(path, "/") != 0) {
      size = std::strlen(path);
    } else {
      path[0] = '\0';
    }
  }
};
const startup_dir g_startup_dir;

}  // namespace

std::string_view source_root() noexcept {
  return LUCID_SOURCE_DIR;
}

std::string_view source_path(std::string_view file) noexcept {
  const std::string_view root = source_root();
  if (under_dir(file, root)) return strip(file, root);
  const std::string_view cwd(g_startup_dir.path, g_startup_dir.size);
  if (under_dir(file, cwd)) return strip(file, cwd);
  return file;
}

const char* source_path(const char* file) noexcept {
  if (file == nullptr) return nullptr;
  // A suffix of a NUL-terminated string is NUL-terminated.
  return source_path(std::string_view(file)).data();
}

}  // namespace lucid
