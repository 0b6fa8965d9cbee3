// Must not compile: std::ref lends the task the caller's local.
#include <functional>

#include "lucid/rt/spawn.hpp"

lucid::task<int> read_value(const int& x) {
  co_return x;
}

lucid::task<int> caller() {
  int local = 1;
  auto h = lucid::spawn(read_value, std::ref(local));  // expected error: std::reference_wrapper
  co_return co_await h;
}
