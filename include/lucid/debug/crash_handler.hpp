// lucid::debug crash handler: a report for SIGSEGV, SIGBUS, SIGFPE, SIGILL,
// SIGABRT and std::terminate, then the default action so core dumps happen.
//
// Report, in order: the pre-crash hook runs (trace flush); the signal, its
// cause and the faulting address ("has overflowed its stack" when the fault
// is next to the thread's stack); the thread; the running task with its await
// chain (from the runtime's crash context provider); the native backtrace as
// raw addresses; then, as a best effort, the symbolized backtrace (brief, or
// full with LUCID_BACKTRACE=full). For std::terminate the escaping exception's
// message and throw site come first. Then the handler restores the default
// disposition and re-raises the signal (std::terminate ends in abort(), so
// SIGABRT).
//
// Signal safety: up to the raw addresses the handler uses only
// async-signal-safe calls (write(2), prctl, the provider and hook, which must
// be async-signal-safe too). Symbolizing afterwards allocates and reads files;
// accepted practice for crash reporters, since everything essential is out
// already. A fault inside the handler skips to the default action.
// One thread reports at a time: a second crashing thread waits (the first one
// ends the process). Handlers run on an alternate signal stack, so a stack
// overflow is reported: call ensure_alt_stack() on every thread that may
// overflow (install_crash_handler() does it for the calling thread).
//
// Under AddressSanitizer, ASan's own SEGV/BUS/FPE/abort handling takes
// precedence only if ASAN_OPTIONS enables it; lucid's handler replaces ASan's
// when installed after it. lucid's tests run crash programs with
// ASAN_OPTIONS=handle_segv=0:handle_sigbus=0:handle_sigfpe=0:handle_abort=0:use_sigaltstack=0.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "lucid/base/source_site.hpp"
#include "lucid/debug/async_backtrace.hpp"

namespace lucid::debug {

/// What the runtime knows about the crashing thread, filled by the provider
/// inside the signal handler. Plain data; strings must stay valid until the
/// process ends (they are read right after the provider returns).
struct crash_context {
  static constexpr std::size_t max_awaits = 32;

  bool in_task = false;  ///< a task was running on the crashing thread
  std::uint64_t task_id = 0;
  std::string_view task_name;  ///< empty: unnamed
  source_site spawn_site;
  std::string_view thread_name;  ///< empty: the OS thread name
  std::size_t await_count = 0;   ///< valid entries in awaits (innermost first)
  bool awaits_truncated = false;
  await_frame awaits[max_awaits];
};

/// Fills `out` for the calling (crashing) thread. Contract: async-signal-safe
/// (no allocation, no locks, no stdio), must not throw, must tolerate a
/// half-updated runtime state (read its thread-local "current task" only).
using crash_context_provider = void (*)(crash_context& out) noexcept;

/// Called first in a crash report, and by exit_on_panic, e.g. to flush trace
/// output. Contract: async-signal-safe, must not throw.
using pre_crash_hook = void (*)() noexcept;

/// Registers the runtime's provider (null removes it). Any thread, any time.
void set_crash_context_provider(crash_context_provider provider) noexcept;

/// Registers the pre-crash hook (null removes it). Any thread, any time.
void set_pre_crash_hook(pre_crash_hook hook) noexcept;

/// Runs the registered pre-crash hook, if any.
void run_pre_crash_hook() noexcept;

/// What install_crash_handler() covers.
struct crash_handler_options {
  bool signals = true;    ///< SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT
  bool terminate = true;  ///< std::set_terminate
};

/// Installs the crash handler for the process and an alternate signal stack
/// for the calling thread. Idempotent; LUCID_BACKTRACE is read here (full or
/// not) for later crash reports. The runtime calls it by default at start-up.
/// Thread safety: call from one thread at a time (start-up).
void install_crash_handler(const crash_handler_options& options = {});

/// Whether install_crash_handler() has run.
bool crash_handler_installed() noexcept;

/// Whether a thread is writing a crash report now (the process is about to
/// die): watchdogs stay quiet rather than report the reporter, whose
/// symbolization can take a while. Any thread; async-signal-safe.
bool crash_report_in_progress() noexcept;

/// Gives the calling thread an alternate signal stack (and records its stack
/// bounds, for stack-overflow detection) unless it has one. The runtime calls
/// it at the start of every worker thread. The stack is freed when the thread
/// exits. Returns false if it could not be set up. Idempotent per thread.
bool ensure_alt_stack() noexcept;

}  // namespace lucid::debug
