// The crash handler: fatal signals and std::terminate.
//
// State and who touches it:
//  - g_provider, g_hook: set by any thread (set_*), read by handlers; atomics.
//  - g_owner: tid of the thread writing a report (0: none). A handler takes
//    it with a CAS; other crashing threads wait; it is never released (the
//    owner ends the process).
//  - g_terminate_reported: set by the terminate handler before abort(), so
//    the SIGABRT that follows on the same thread skips a second report.
//  - t_in_handler, t_stack (thread-local PODs): written by the owning thread
//    only; t_alt_owner frees the thread's alternate stack at thread exit.
// Everything up to and including the raw addresses is async-signal-safe.
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <exception>
#include <string>

#include "lucid/base/source_path.hpp"
#include "lucid/debug/backtrace_format.hpp"
#include "lucid/debug/captured_trace.hpp"
#include "lucid/debug/crash_handler.hpp"
#include "lucid/debug/panic_report.hpp"
#include "symbolize_internal.hpp"

namespace lucid::debug {

namespace {

// relaxed everywhere below: each is a single independent word; the pointed-to
// functions are code, and the flags publish no other data.
constinit std::atomic<crash_context_provider> g_provider{nullptr};
constinit std::atomic<pre_crash_hook> g_hook{nullptr};
constinit std::atomic<long> g_owner{0};
constinit std::atomic<bool> g_terminate_reported{false};
constinit std::atomic<bool> g_installed{false};
constinit std::atomic<bool> g_full{false};
constinit std::atomic<bool> g_color{false};
std::terminate_handler g_previous_terminate = nullptr;

constexpr int fatal_signals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
// The report runs on it, symbolization (libdw) included: that needs far more
// than SIGSTKSZ. Mapped lazily, so the pages a thread never touches cost none.
constexpr std::size_t alt_stack_size = 256 * 1024;
constexpr std::size_t max_native_frames = 128;

struct stack_bounds {
  std::uintptr_t lo = 0;  // lowest usable address of the thread's stack
  std::uintptr_t hi = 0;
  std::size_t guard = 0;
};

thread_local constinit bool t_in_handler = false;
thread_local constinit stack_bounds t_stack{};

struct alt_stack_owner {
  void* mapping = nullptr;
  std::size_t mapping_size = 0;
  ~alt_stack_owner() {
    if (mapping == nullptr) return;
    stack_t current{};
    const long page = ::sysconf(_SC_PAGESIZE);
    if (::sigaltstack(nullptr, &current) == 0 &&
        current.ss_sp == static_cast<char*>(mapping) + page) {
      stack_t off{};
      off.ss_flags = SS_DISABLE;
      ::sigaltstack(&off, nullptr);
      ::munmap(mapping, mapping_size);
    }
    // Someone else replaced our stack: leave the mapping (it may be in use).
  }
};
thread_local alt_stack_owner t_alt_owner;

long current_tid() noexcept {
  return ::syscall(SYS_gettid);
}

// A small async-signal-safe output buffer over write(2).
class signal_writer {
 public:
  ~signal_writer() { flush(); }
  signal_writer& str(std::string_view s) noexcept {
    for (char c : s) {
      if (n_ == sizeof buf_) flush();
      buf_[n_++] = c;
    }
    return *this;
  }
  signal_writer& str(const char* s) noexcept {
    return str(std::string_view(s != nullptr ? s : "(null)"));
  }
  signal_writer& dec(std::uint64_t v) noexcept {
    char tmp[24];
    int i = 0;
    do {
      tmp[i++] = static_cast<char>('0' + v % 10);
      v /= 10;
    } while (v != 0);
    while (i > 0)
      str(std::string_view(&tmp[--i], 1));
    return *this;
  }
  signal_writer& hex(std::uintptr_t v) noexcept {
    char tmp[2 + 2 * sizeof v];
    int i = 0;
    do {
      tmp[i++] = "0123456789abcdef"[v & 0xf];
      v >>= 4;
    } while (v != 0);
    str("0x");
    while (i > 0)
      str(std::string_view(&tmp[--i], 1));
    return *this;
  }
  void flush() noexcept {
    std::size_t off = 0;
    while (off < n_) {
      ssize_t w = ::write(2, buf_ + off, n_ - off);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) break;
      off += static_cast<std::size_t>(w);
    }
    n_ = 0;
  }

 private:
  char buf_[512];
  std::size_t n_ = 0;
};

const char* short_path(const char* file) noexcept {
  if (file == nullptr) return "<unknown>";
  return source_path(file);  // async-signal-safe: a suffix of file
}

const char* signal_name(int sig) noexcept {
  switch (sig) {
    case SIGSEGV:
      return "SIGSEGV";
    case SIGBUS:
      return "SIGBUS";
    case SIGFPE:
      return "SIGFPE";
    case SIGILL:
      return "SIGILL";
    case SIGABRT:
      return "SIGABRT";
    default:
      return "signal";
  }
}

const char* signal_cause(int sig, int code) noexcept {
  if (code <= 0 && sig != SIGABRT) return "sent by a process";
  switch (sig) {
    case SIGSEGV:
      if (code == SEGV_MAPERR) return "segmentation fault: address not mapped";
      if (code == SEGV_ACCERR) return "segmentation fault: invalid permissions";
      return "segmentation fault";
    case SIGBUS:
      if (code == BUS_ADRALN) return "bus error: misaligned address";
      if (code == BUS_ADRERR) return "bus error: nonexistent physical address";
      if (code == BUS_OBJERR) return "bus error: object-specific hardware error";
      return "bus error";
    case SIGFPE:
      if (code == FPE_INTDIV) return "integer divide by zero";
      if (code == FPE_INTOVF) return "integer overflow";
      if (code == FPE_FLTDIV) return "floating-point divide by zero";
      return "arithmetic exception";
    case SIGILL:
      if (code == ILL_ILLOPC) return "illegal opcode";
      if (code == ILL_ILLOPN) return "illegal operand";
      if (code == ILL_PRVOPC) return "privileged opcode";
      return "illegal instruction";
    case SIGABRT:
      return "aborted";
    default:
      return "fatal signal";
  }
}

void thread_name(char (&out)[17]) noexcept {
  std::memset(out, 0, sizeof out);
  if (current_tid() == ::getpid()) {
    std::memcpy(out, "main", 5);
    return;
  }
  if (::prctl(PR_GET_NAME, out, 0, 0, 0) != 0 || out[0] == '\0') {
    std::memcpy(out, "<unnamed>", 10);
  }
}

bool is_stack_overflow(int sig, const siginfo_t* info, const void* uc) noexcept {
  if (sig != SIGSEGV || info == nullptr || info->si_code <= 0) return false;
  const auto addr = reinterpret_cast<std::uintptr_t>(info->si_addr);
  const stack_bounds& s = t_stack;
  if (s.lo != 0) {
    const std::uintptr_t slack = s.guard + 64 * 1024;
    if (addr < s.lo + 4096 && addr + slack >= s.lo) return true;
  }
#if defined(__x86_64__)
  if (uc != nullptr) {
    const auto sp =
        static_cast<std::uintptr_t>(static_cast<const ucontext_t*>(uc)->uc_mcontext.gregs[REG_RSP]);
    // A fault just below (or at) the stack pointer: the stack ran into its guard.
    if (addr <= sp + 256 && addr + 64 * 1024 >= sp) return true;
  }
#else
  (void)uc;
#endif
  return false;
}

void write_awaits(signal_writer& w, const crash_context& ctx) noexcept {
  const std::size_t n =
      ctx.await_count < crash_context::max_awaits ? ctx.await_count : crash_context::max_awaits;
  if (n == 0) return;
  w.str("async backtrace:\n");
  for (std::size_t depth = 0; depth < n; ++depth) {
    const await_frame& f = ctx.awaits[n - 1 - depth];
    w.str("  ");
    if (depth == 0) {
      w.str("╼ ");
    } else {
      for (std::size_t i = 0; i < 3 * (depth - 1) + 2; ++i)
        w.str(" ");
      w.str("└╼ ");
    }
    w.str(f.function != nullptr ? f.function : "<unknown>");
    // Same wording as format_async_backtrace.
    if (f.running && f.file == nullptr) {
      w.str(" running, before its first co_await");
    } else if (f.file != nullptr) {
      w.str(f.running ? " running, last await at " : " at ");
      w.str(short_path(f.file)).str(":").dec(f.line);
    }
    w.str("\n");
  }
  if (ctx.awaits_truncated) w.str("  (more await frames not shown)\n");
}

// The thread and task lines; returns whether a task was running.
bool write_context(signal_writer& w, crash_context& ctx) noexcept {
  if (auto provider = g_provider.load(std::memory_order_relaxed); provider != nullptr) {
    provider(ctx);
  }
  char name[17];
  thread_name(name);
  w.str("  thread '");
  w.str(ctx.thread_name.empty() ? std::string_view(name) : ctx.thread_name);
  w.str("' (tid ").dec(static_cast<std::uint64_t>(current_tid())).str(")\n");
  if (ctx.in_task) {
    w.str("  task ");
    if (ctx.task_name.empty()) {
      w.str("<unnamed>");
    } else {
      w.str("'").str(ctx.task_name).str("'");
    }
    w.str(" (id ").dec(ctx.task_id);
    if (ctx.spawn_site.known()) {
      w.str(", spawned at ").str(short_path(ctx.spawn_site.file)).str(":").dec(ctx.spawn_site.line);
    }
    w.str(")\n");
    write_awaits(w, ctx);
  }
  return ctx.in_task;
}

void write_symbolized(std::span<const std::uintptr_t> pcs) noexcept {
  try {
    std::vector<symbolized_frame> frames = detail::symbolize_locked(pcs, true);
    if (frames.empty()) return;
    report_options o;
    o.style =
        g_full.load(std::memory_order_relaxed) ? backtrace_style::full : backtrace_style::brief;
    o.color = g_color.load(std::memory_order_relaxed);
    std::string text = format_backtrace(frames, o);
    signal_writer w;
    w.str(text);
  } catch (...) {
    // Best effort only.
  }
}

void write_native_backtrace(signal_writer& w, void* uc) noexcept {
  std::uintptr_t pcs[max_native_frames];
  std::size_t n = capture_from_signal(uc, pcs, max_native_frames);
  w.str("native backtrace (raw):");
  std::size_t printed = 0;
  for (std::size_t i = 0; i < n;) {
    std::size_t run = 1;
    while (i + run < n && pcs[i + run] == pcs[i])
      ++run;
    w.str(printed++ % 6 == 0 ? "\n  " : " ").hex(pcs[i]);
    if (run > 1) w.str(" (x").dec(run).str(")");
    i += run;
  }
  if (n == max_native_frames) w.str(" ...");
  w.str("\n");
  w.flush();
  // Not async-signal-safe from here on: best effort, the essentials are out.
  write_symbolized({pcs, n});
}

// Takes the report slot; returns false if this thread already holds it.
bool acquire_report_slot(long tid) noexcept {
  for (;;) {
    long expected = 0;
    // acq_rel: a no-op pairing today (no shared data beyond the flag); keeps
    // the owner's writes ordered before a waiter observing them.
    if (g_owner.compare_exchange_strong(expected, tid, std::memory_order_acq_rel)) return true;
    if (expected == tid) return false;
    // Another thread is reporting and will end the process; wait for it.
    timespec ts{0, 10 * 1000 * 1000};
    ::nanosleep(&ts, nullptr);
  }
}

void reraise(int sig) noexcept {
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  ::sigaction(sig, &dfl, nullptr);
  // Pending until the handler returns (sig is blocked while it runs); a
  // hardware fault would also re-fault, now with the default action.
  ::raise(sig);
}

void on_fatal_signal(int sig, siginfo_t* info, void* uc) {
  const int saved_errno = errno;
  if (t_in_handler) {  // a fault inside the report: give up on it
    reraise(sig);
    errno = saved_errno;
    return;
  }
  t_in_handler = true;
  const long tid = current_tid();
  const bool first = acquire_report_slot(tid);
  if (first || !g_terminate_reported.load(std::memory_order_relaxed)) {
    run_pre_crash_hook();
    signal_writer w;
    const bool overflow = is_stack_overflow(sig, info, uc);
    w.str("\nlucid: crash: ").str(signal_name(sig)).str(" (");
    w.str(overflow ? "stack overflow" : signal_cause(sig, info != nullptr ? info->si_code : 0));
    w.str(")");
    if (info != nullptr && sig != SIGABRT && info->si_code > 0) {
      w.str(" at address ").hex(reinterpret_cast<std::uintptr_t>(info->si_addr));
    }
    w.str("\n");
    if (overflow) {
      char name[17];
      thread_name(name);
      w.str("thread '").str(name).str("' has overflowed its stack\n");
    }
    crash_context ctx;
    write_context(w, ctx);
    write_native_backtrace(w, uc);
    w.flush();
  }
  reraise(sig);
  errno = saved_errno;
}

void on_terminate() {
  const long tid = current_tid();
  acquire_report_slot(tid);
  t_in_handler = false;
  run_pre_crash_hook();
  std::exception_ptr e = std::current_exception();
  crash_context ctx;
  {
    signal_writer w;
    w.str("\nlucid: crash: std::terminate called");
    w.str(e ? " after an exception escaped\n" : " without an active exception\n");
    write_context(w, ctx);
  }
  try {
    report_options o;
    o.style =
        g_full.load(std::memory_order_relaxed) ? backtrace_style::full : backtrace_style::brief;
    o.color = g_color.load(std::memory_order_relaxed);
    std::string text;
    if (e) {
      task_info task{ctx.task_id, ctx.task_name, ctx.spawn_site};
      panic_context pc;
      if (ctx.in_task) pc.task = &task;
      pc.thread_name = ctx.thread_name;
      text = format_panic_report(e, pc, o);
    }
    captured_trace here;
    capture(here);
    std::vector<symbolized_frame> frames = symbolize(here.frames());
    text += "std::terminate was called from:\n";
    text += format_backtrace(frames, o);
    signal_writer w;
    w.str(text);
  } catch (...) {
  }
  g_terminate_reported.store(true, std::memory_order_relaxed);
  std::abort();
}

void record_stack_bounds() noexcept {
  if (t_stack.lo != 0) return;
  pthread_attr_t attr;
  if (::pthread_getattr_np(::pthread_self(), &attr) != 0) return;
  void* addr = nullptr;
  std::size_t size = 0;
  std::size_t guard = 0;
  if (::pthread_attr_getstack(&attr, &addr, &size) == 0) {
    ::pthread_attr_getguardsize(&attr, &guard);
    t_stack.lo = reinterpret_cast<std::uintptr_t>(addr);
    t_stack.hi = t_stack.lo + size;
    t_stack.guard = guard != 0 ? guard : static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  }
  ::pthread_attr_destroy(&attr);
}

}  // namespace

void set_crash_context_provider(crash_context_provider provider) noexcept {
  g_provider.store(provider, std::memory_order_relaxed);
}

void set_pre_crash_hook(pre_crash_hook hook) noexcept {
  g_hook.store(hook, std::memory_order_relaxed);
}

void run_pre_crash_hook() noexcept {
  if (auto hook = g_hook.load(std::memory_order_relaxed); hook != nullptr) hook();
}

bool ensure_alt_stack() noexcept {
  record_stack_bounds();
  if (t_alt_owner.mapping != nullptr) return true;
  stack_t current{};
  if (::sigaltstack(nullptr, &current) == 0 && (current.ss_flags & SS_DISABLE) == 0 &&
      current.ss_sp != nullptr && current.ss_size >= alt_stack_size) {
    return true;  // the thread already has one large enough: keep it
  }
  // None, or one too small for the report's symbolization (ASan gives each
  // thread 4 * SIGSTKSZ, which libdw overruns): replace it. The old one is
  // left mapped, as its owner may still unmap it at thread exit (ASan does;
  // after our destructor has disabled ours, it finds none and unmaps none).
  const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  const std::size_t total = alt_stack_size + page;
  void* mem = ::mmap(nullptr, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) return false;
  ::mprotect(mem, page, PROT_NONE);  // guard page below the alternate stack
  stack_t ss{};
  ss.ss_sp = static_cast<char*>(mem) + page;
  ss.ss_size = alt_stack_size;
  ss.ss_flags = 0;
  if (::sigaltstack(&ss, nullptr) != 0) {
    ::munmap(mem, total);
    return false;
  }
  t_alt_owner.mapping = mem;
  t_alt_owner.mapping_size = total;
  return true;
}

void install_crash_handler(const crash_handler_options& options) {
  if (g_installed.exchange(true, std::memory_order_relaxed)) return;
  g_full.store(parse_backtrace_style(std::getenv("LUCID_BACKTRACE")) == backtrace_style::full,
               std::memory_order_relaxed);
  const char* no_color = std::getenv("NO_COLOR");
  g_color.store((no_color == nullptr || no_color[0] == '\0') && ::isatty(2) == 1,
                std::memory_order_relaxed);
  ensure_alt_stack();
  if (options.signals) {
    for (int sig : fatal_signals) {
      struct sigaction sa {};
      sa.sa_sigaction = &on_fatal_signal;
      sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
      sigemptyset(&sa.sa_mask);
      ::sigaction(sig, &sa, nullptr);
    }
  }
  if (options.terminate) g_previous_terminate = std::set_terminate(&on_terminate);
}

bool crash_handler_installed() noexcept {
  return g_installed.load(std::memory_order_relaxed);
}

bool crash_report_in_progress() noexcept {
  // relaxed: a hint for other threads' reports; nothing is read through it.
  return g_owner.load(std::memory_order_relaxed) != 0;
}

}  // namespace lucid::debug
