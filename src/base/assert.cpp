// LUCID_ASSERT's failure path (include/lucid/base/assert.hpp): writes the report
// with write(2) only, no allocation, then aborts. Async-signal-safe.
#include "lucid/base/assert.hpp"

#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace lucid::detail {

namespace {
void put(const char* s) noexcept {
  if (s == nullptr) return;
  size_t n = std::strlen(s);
  while (n > 0) {
    ssize_t w = ::write(2, s, n);
    if (w <= 0) return;
    s += w;
    n -= static_cast<size_t>(w);
  }
}
}  // namespace

void fatal(const char* what, const char* file, int line, const char* function) noexcept {
  // async-signal-safe: only write(2) and abort.
  char num[16];
  int i = 15;
  num[i] = '\0';
  unsigned v = line < 0 ? 0u : static_cast<unsigned>(line);
  do {
    num[--i] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0 && i > 0);
  put("lucid: fatal: ");
  put(what);
  put("\n  at ");
  put(file);
  put(":");
  put(num + i);
  put(" in ");
  put(function);
  put("\n");
  std::abort();
}

}  // namespace lucid::detail
