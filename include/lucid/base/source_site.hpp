// lucid::source_site: a file:line:function triple captured at a call site.
//
// Contract: holds pointers to string literals produced by __builtin_FILE() and
// __builtin_FUNCTION(), so it is trivially copyable, costs three stores, and is
// valid for the life of the program. Used instead of std::source_location,
// which does not compile on Clang 14 with libstdc++ 12.
#pragma once

namespace lucid {

/// Where something happened in the user's code (spawn, co_await, resource creation).
struct source_site {
  const char* file = nullptr;
  const char* function = nullptr;
  unsigned line = 0;

  /// The caller's site, when used as a default argument.
  static constexpr source_site current(const char* file = __builtin_FILE(),
                                       const char* function = __builtin_FUNCTION(),
                                       unsigned line = __builtin_LINE()) noexcept {
    return source_site{file, function, line};
  }
  constexpr bool known() const noexcept { return file != nullptr; }
};

}  // namespace lucid
