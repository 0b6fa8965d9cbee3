// Must not compile: a string_view of a temporary std::string, which dies when
// spawn returns.
#include <string>
#include <string_view>

#include "lucid/rt/spawn.hpp"

lucid::task<std::size_t> length(std::string_view s) {
  co_return s.size();
}

std::string make_name();

lucid::task<std::size_t> caller() {
  auto h = lucid::spawn(length, std::string_view(make_name()));  // expected error: string_view
  co_return co_await h;
}
