// LUCID_ASSERT and lucid::panic_abort: broken invariants stop the program.
//
// Contract: LUCID_ASSERT is active in every build type (it guards runtime
// invariants whose violation would otherwise be memory corruption or a hang).
// The failure path prints one report to stderr and aborts; it allocates
// nothing, so it may run in a corrupted process.
#pragma once

namespace lucid::detail {

/// Prints "lucid: fatal: <what>" with the location and aborts.
[[noreturn]] void fatal(const char* what, const char* file, int line,
                        const char* function) noexcept;

}  // namespace lucid::detail

#define LUCID_ASSERT(cond, msg)                                                                   \
  do {                                                                                            \
    if (__builtin_expect(!(cond), 0)) {                                                           \
      ::lucid::detail::fatal("assertion `" #cond "` failed: " msg, __FILE__, __LINE__, __func__); \
    }                                                                                             \
  } while (0)

#define LUCID_UNREACHABLE(msg) \
  ::lucid::detail::fatal("unreachable: " msg, __FILE__, __LINE__, __func__)
