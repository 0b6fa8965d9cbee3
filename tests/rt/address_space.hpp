// A test helper for "the system refuses a thread": limits this process's
// address space to what it uses now plus `room`, so the next few thread
// stacks (8 MiB each) cannot be mapped. For child processes only (a gtest
// death test): the limit is never lifted. Not under ASan/TSan, whose shadow
// memory needs address space.
#pragma once

#include <sys/resource.h>

#include <algorithm>
#include <cstddef>
#include <cstdio>

namespace rt_test {

/// The process's virtual memory now (VmSize), in bytes; 0 if unknown.
inline std::size_t vm_size() {
  std::FILE* f = std::fopen("/proc/self/status", "r");
  if (f == nullptr) return 0;
  char line[256];
  std::size_t kb = 0;
  while (std::fgets(line, sizeof line, f) != nullptr) {
    if (std::sscanf(line, "VmSize: %zu kB", &kb) == 1) break;
  }
  std::fclose(f);
  return kb * 1024;
}

/// Sets RLIMIT_AS to vm_size() + room; false if it could not.
inline bool limit_address_space(std::size_t room) {
  rlimit lim{};
  if (::getrlimit(RLIMIT_AS, &lim) != 0) return false;
  lim.rlim_cur = std::min<rlim_t>(vm_size() + room, lim.rlim_max);
  return ::setrlimit(RLIMIT_AS, &lim) == 0;
}

}  // namespace rt_test
