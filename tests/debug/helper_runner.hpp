// Runs tests/debug/helpers/debug_helper in a child process and captures its
// output (stdout and stderr together) and how it ended. Deterministic: no
// timing, the child runs to its end. Core dumps are disabled in the child.
#pragma once

#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

extern char** environ;

namespace lucid::debug::testing {

struct run_result {
  std::string output;
  bool exited = false;
  int exit_code = -1;
  bool signaled = false;
  int signal = 0;
};

#if defined(__SANITIZE_ADDRESS__) || defined(LUCID_SANITIZER_ADDRESS)
inline constexpr bool under_asan = true;
#else
inline constexpr bool under_asan = false;
#endif
#if defined(__SANITIZE_THREAD__) || defined(LUCID_SANITIZER_THREAD)
inline constexpr bool under_tsan = true;
#else
inline constexpr bool under_tsan = false;
#endif

/// Runs `program mode` with the given extra environment. LUCID_BACKTRACE
/// and NO_COLOR are removed from the inherited environment first. Under ASan
/// and TSan the crash modes get sanitizer options that leave SIGSEGV, SIGFPE,
/// SIGABRT and the alternate stack to lucid's handler, and (TSan) accept the
/// handler's best-effort symbolization (documented in docs/debugging.md).
inline run_result run_program(const std::string& program, std::string_view mode,
                              std::vector<std::pair<std::string, std::string>> env = {},
                              bool crash_mode = false) {
  std::vector<std::string> vars;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string_view v(*e);
    if (v.starts_with("LUCID_BACKTRACE=") || v.starts_with("NO_COLOR=")) continue;
    if (under_asan && v.starts_with("ASAN_OPTIONS=")) continue;
    if (under_tsan && v.starts_with("TSAN_OPTIONS=")) continue;
    vars.emplace_back(v);
  }
  if (under_asan) {
    // detect_stack_use_after_return and intercept_tls_get_addr=0: as in the
    // asan test preset (README.md, "Build presets").
    std::string asan =
        "ASAN_OPTIONS=detect_leaks=1:detect_stack_use_after_return=1:intercept_tls_get_addr=0";
    if (crash_mode) {
      asan =
          "ASAN_OPTIONS=handle_segv=0:handle_sigbus=0:handle_sigfpe=0:handle_sigill=0:"
          "handle_abort=0:use_sigaltstack=0:detect_leaks=0";
    }
    bool own = false;  // the caller's ASAN_OPTIONS replaces these
    for (auto& kv : env)
      own = own || kv.first == "ASAN_OPTIONS";
    if (!own) vars.push_back(asan);
  }
  if (under_tsan) {
    vars.push_back(crash_mode ? "TSAN_OPTIONS=handle_segv=0:handle_sigbus=0:handle_sigfpe=0:"
                                "handle_sigill=0:handle_abort=0:report_signal_unsafe=0"
                              : "TSAN_OPTIONS=halt_on_error=1");
  }
  for (auto& [k, v] : env)
    vars.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& v : vars)
    envp.push_back(v.data());
  envp.push_back(nullptr);
  std::string helper = program;
  std::string mode_arg(mode);
  char* argv[] = {helper.data(), mode_arg.data(), nullptr};

  int fds[2];
  if (::pipe(fds) != 0) return {};
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(fds[1], 1);
    ::dup2(fds[1], 2);
    ::close(fds[0]);
    ::close(fds[1]);
    rlimit no_core{0, 0};
    ::setrlimit(RLIMIT_CORE, &no_core);
    ::execve(argv[0], argv, envp.data());
    ::_exit(127);
  }
  ::close(fds[1]);
  run_result r;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n > 0) {
      r.output.append(buf, static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    break;
  }
  ::close(fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) {
    r.exited = true;
    r.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    r.signaled = true;
    r.signal = WTERMSIG(status);
  }
  return r;
}

#ifdef LUCID_DEBUG_HELPER
/// Runs tests/debug/helpers/debug_helper in `mode`.
inline run_result run_helper(std::string_view mode,
                             std::vector<std::pair<std::string, std::string>> env = {}) {
  return run_program(LUCID_DEBUG_HELPER, mode, std::move(env),
                     mode != "panic" && mode != "inlined");
}
#endif

/// The "file:line" the helper announced with "expect: ", relative to the
/// source tree as reports print it.
inline std::string expected_site(const std::string& output) {
  auto at = output.find("expect: ");
  if (at == std::string::npos) return {};
  auto end = output.find('\n', at);
  std::string site = output.substr(at + 8, end - at - 8);
  std::string root = std::string(LUCID_TEST_SOURCE_DIR) + "/";
  if (site.starts_with(root)) site.erase(0, root.size());
  return site;
}

/// The location ("file:line:col") of the first frame listed under
/// "stack backtrace:" (brief mode lists user frames only), or "".
inline std::string first_listed_frame_location(const std::string& output) {
  auto bt = output.find("stack backtrace:\n");
  if (bt == std::string::npos) return {};
  auto at = output.find(" at ", bt);
  if (at == std::string::npos) return {};
  auto end = output.find('\n', at);
  return output.substr(at + 4, end - at - 4);
}

}  // namespace lucid::debug::testing
