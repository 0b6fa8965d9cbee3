// Stack capture. Two unwinders:
//  - libunwind's unw_backtrace (its per-thread trace cache makes a warm
//    capture about 15 ns a frame), loaded with dlopen(RTLD_LOCAL) so that its
//    exported _Unwind_* and backtrace symbols never interpose libgcc's (C++
//    exceptions keep using libgcc's unwinder);
//  - libgcc's _Unwind_Backtrace, always present, about 200 ns a frame, and the
//    one used in signal handlers (it marks signal frames, and on glibc >= 2.35
//    finds unwind tables without locks).
#include <dlfcn.h>
#include <ucontext.h>
#include <unwind.h>

#include <atomic>
#include <cstdlib>
#include <cstring>

#include "lucid/debug/captured_trace.hpp"

namespace lucid::debug {

namespace {

using unw_backtrace_fn = int (*)(void** buffer, int size);

// Written once by the constructor below, before main and before any thread.
unw_backtrace_fn g_unw_backtrace = nullptr;

__attribute__((constructor)) void load_libunwind() noexcept {
#if defined(__SANITIZE_THREAD__) || defined(LUCID_SANITIZER_THREAD)
  // libunwind's thread-exit destructor takes a mutex after ThreadSanitizer
  // has finished the thread, which crashes TSan: use libgcc there.
  return;
#endif
  // LUCID_DEBUG_UNWINDER=libgcc forces the fallback (tests, diagnosis).
  const char* choice = std::getenv("LUCID_DEBUG_UNWINDER");
  if (choice != nullptr && std::strcmp(choice, "libgcc") == 0) return;
  // RTLD_LOCAL: libunwind's symbols stay out of the global scope.
  void* handle = ::dlopen("libunwind.so.8", RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) return;
  void* sym = ::dlsym(handle, "unw_backtrace");
  if (sym == nullptr) return;
  g_unw_backtrace = reinterpret_cast<unw_backtrace_fn>(sym);
}

struct gcc_walk {
  std::uintptr_t* out;
  std::size_t capacity;
  std::size_t size;
  unsigned skip;
  bool truncated;
};

_Unwind_Reason_Code gcc_collect(_Unwind_Context* ctx, void* arg) {
  auto* w = static_cast<gcc_walk*>(arg);
  int before_insn = 0;
  std::uintptr_t ip = _Unwind_GetIPInfo(ctx, &before_insn);
  if (ip == 0) return _URC_END_OF_STACK;
  if (w->skip > 0) {
    --w->skip;
    return _URC_NO_REASON;
  }
  if (w->size == w->capacity) {
    w->truncated = true;
    return _URC_END_OF_STACK;
  }
  w->out[w->size++] = before_insn != 0 ? ip : ip - 1;
  return _URC_NO_REASON;
}

// Frames of lucid's own capture machinery between the caller and the
// unwinder: capture() -> capture_impl(). Both are noinline.
constexpr unsigned own_frames = 2;

[[gnu::noinline]] void capture_impl(captured_trace& out, unsigned skip) noexcept {
  out.size = 0;
  out.truncated = false;
  if (g_unw_backtrace != nullptr) {
    // unw_backtrace's first entry is its caller (this function).
    constexpr int extra = 8;
    void* raw[captured_trace::max_frames + own_frames + extra];
    const unsigned drop = own_frames + skip;
    const int want = static_cast<int>(captured_trace::max_frames + drop + 1);
    const int cap =
        want < static_cast<int>(std::size(raw)) ? want : static_cast<int>(std::size(raw));
    int n = g_unw_backtrace(raw, cap);
    std::uint32_t k = 0;
    for (int i = static_cast<int>(drop); i < n && k < captured_trace::max_frames; ++i) {
      auto ip = reinterpret_cast<std::uintptr_t>(raw[i]);
      if (ip == 0) break;
      out.pcs[k++] = ip - 1;
    }
    out.size = k;
    out.truncated = n == cap && n > static_cast<int>(drop + captured_trace::max_frames);
    return;
  }
  // _Unwind_Backtrace's first frame is its caller (this function), too.
  gcc_walk w{out.pcs, captured_trace::max_frames, 0, own_frames + skip, false};
  _Unwind_Backtrace(gcc_collect, &w);
  out.size = static_cast<std::uint32_t>(w.size);
  out.truncated = w.truncated;
}

}  // namespace

[[gnu::noinline]] void capture(captured_trace& out, unsigned skip) noexcept {
  capture_impl(out, skip);
  asm volatile("" ::: "memory");  // keep this frame (no tail call)
}

[[gnu::noinline]] captured_trace capture_current(unsigned skip) noexcept {
  captured_trace t;
  capture(t, skip + 1);
  asm volatile("" ::: "memory");
  return t;
}

namespace {

struct signal_walk {
  std::uintptr_t* out;
  std::size_t capacity;
  std::size_t size;
  bool started;          // reached the interrupted frame
  std::uintptr_t fault;  // interrupted pc from the ucontext, 0 if unknown
};

_Unwind_Reason_Code signal_collect(_Unwind_Context* ctx, void* arg) {
  auto* w = static_cast<signal_walk*>(arg);
  int before_insn = 0;
  std::uintptr_t ip = _Unwind_GetIPInfo(ctx, &before_insn);
  if (!w->started) {
    // The frame after the sigreturn trampoline is marked "before insn": it is
    // the interrupted instruction. Frames before it are the handler's own.
    if (before_insn == 0 && !(w->fault != 0 && ip == w->fault)) return _URC_NO_REASON;
    w->started = true;
    w->out[w->size++] = ip;
    return w->size == w->capacity ? _URC_END_OF_STACK : _URC_NO_REASON;
  }
  if (ip == 0) return _URC_END_OF_STACK;
  w->out[w->size++] = before_insn != 0 ? ip : ip - 1;
  return w->size == w->capacity ? _URC_END_OF_STACK : _URC_NO_REASON;
}

}  // namespace

std::size_t capture_from_signal(void* ucontext, std::uintptr_t* out,
                                std::size_t capacity) noexcept {
  if (out == nullptr || capacity == 0) return 0;
  std::uintptr_t fault = 0;
#if defined(__x86_64__)
  if (ucontext != nullptr) {
    fault =
        static_cast<std::uintptr_t>(static_cast<ucontext_t*>(ucontext)->uc_mcontext.gregs[REG_RIP]);
  }
#elif defined(__aarch64__)
  if (ucontext != nullptr) {
    fault = static_cast<std::uintptr_t>(static_cast<ucontext_t*>(ucontext)->uc_mcontext.pc);
  }
#endif
  signal_walk w{out, capacity, 0, ucontext == nullptr, fault};
  _Unwind_Backtrace(signal_collect, &w);
  if (w.size == 0 && fault != 0) {
    // The unwinder could not get past the trampoline (or the pc is garbage,
    // e.g. a call through a null function pointer): report the pc at least.
    out[0] = fault;
    return 1;
  }
  return w.size;
}

const char* capture_backend() noexcept {
  return g_unw_backtrace != nullptr ? "libunwind" : "libgcc";
}

}  // namespace lucid::debug
