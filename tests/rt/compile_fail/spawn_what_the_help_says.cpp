// Must compile: what the compile-fail snippets' help lines say to write.
#include <memory>
#include <string>

#include "lucid/rt/spawn.hpp"

lucid::task<std::size_t> length(std::string s) {
  co_return s.size();
}
lucid::task<void> bump(std::shared_ptr<int> counter) {
  ++*counter;
  co_return;
}
lucid::task<int> read_value(const int& x) {  // bound to the task's own copy
  co_return x;
}

lucid::task<std::size_t> caller() {
  std::string name = "lucid";
  auto h = lucid::spawn(length, std::move(name));
  co_await lucid::spawn(bump, std::make_shared<int>(0));
  int local = 1;
  auto r = lucid::spawn(read_value, local);
  co_return co_await h + static_cast<std::size_t>(co_await r);
}
