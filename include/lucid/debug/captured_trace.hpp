// lucid::debug::captured_trace: a native stack trace as raw program counters.
//
// Contract: capturing stores addresses only; nothing is symbolized until a
// report is printed (see symbolize.hpp). capture() is the fast path used on
// every throw (libunwind's cached unwinder when libunwind.so.8 is present,
// libgcc's _Unwind_Backtrace otherwise). capture_from_signal() is the
// async-signal-safe path the crash handler uses. A captured_trace is a plain
// value: trivially copyable, no allocation, safe to read from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace lucid::debug {

/// A stack trace as raw program counters, innermost frame first.
///
/// Each entry is a *lookup* address: for a call frame it points inside the
/// call instruction (return address - 1), for the interrupted frame of a
/// signal it is the faulting instruction itself. Feed it to symbolize()
/// unchanged.
///
/// Thread safety: a plain value.
struct captured_trace {
  static constexpr std::size_t max_frames = 64;

  std::uint32_t size = 0;  ///< number of valid entries in pcs
  bool truncated = false;  ///< the stack had more than max_frames frames
  std::uintptr_t pcs[max_frames];

  std::span<const std::uintptr_t> frames() const noexcept { return {pcs, size}; }
  bool empty() const noexcept { return size == 0; }
};

/// Captures the calling thread's stack into `out`, starting at the caller of
/// capture() and dropping `skip` more frames.
///
/// Cost: about 15 ns per frame with libunwind's trace cache (warm), about 200
/// ns per frame on the libgcc fallback. Not async-signal-safe (the first call
/// on a thread may allocate the unwinder's cache); use capture_from_signal()
/// in signal handlers.
/// Thread safety: any thread.
void capture(captured_trace& out, unsigned skip = 0) noexcept;

/// The same as capture(), returned by value.
captured_trace capture_current(unsigned skip = 0) noexcept;

/// Captures the stack that a signal interrupted, starting at the interrupted
/// instruction (ucontext's program counter), into `out` (at most `capacity`
/// entries, lookup addresses as in captured_trace). Returns the count.
///
/// Async-signal-safe on glibc >= 2.35 (libgcc finds unwind tables with
/// _dl_find_object, which takes no lock). Works on an alternate signal stack,
/// so a stack overflow can be unwound. `ucontext` is the third argument of an
/// SA_SIGINFO handler; when null, the trace starts at the caller.
std::size_t capture_from_signal(void* ucontext, std::uintptr_t* out, std::size_t capacity) noexcept;

/// Which unwinder capture() uses: "libunwind" or "libgcc".
const char* capture_backend() noexcept;

}  // namespace lucid::debug
