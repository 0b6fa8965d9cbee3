// Must not compile: fn takes a non-const lvalue reference, so the task would
// change its own copy, not the caller's variable.
#include "lucid/rt/spawn.hpp"

lucid::task<void> bump(int& counter) {
  ++counter;
  co_return;
}

lucid::task<void> caller() {
  int counter = 0;
  co_await lucid::spawn(bump, counter);  // expected error: non-const lvalue reference
}
