// Helpers of the exporters tests: run a command and read its output, temp
// paths, and the independent timeline checker (check_timeline.py).
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

namespace lucid_test {

struct run_result {
  int status = -1;  ///< exit code, or 128 + signal
  std::string out;
};

/// Runs `cmd` through sh, capturing stdout (stderr goes to stderr_path when given).
inline run_result run(const std::string& cmd) {
  run_result r;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0)
    r.out.append(buf, n);
  int st = ::pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  return r;
}

inline std::string temp_path(const std::string& name) {
  return "/tmp/lucid_exporters_" + std::to_string(::getpid()) + "_" + name;
}

inline std::string read_file(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

/// Checks a timeline file with tests/exporters/check_timeline.py.
inline nlohmann::json check_timeline(const std::string& path, bool allow_open = false) {
  run_result r = run(std::string(LUCID_PYTHON) + " " + LUCID_TEST_DIR + "/check_timeline.py " +
                     path + (allow_open ? " --allow-open" : ""));
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  if (j.is_discarded()) return nlohmann::json{{"ok", false}, {"errors", {"checker: " + r.out}}};
  return j;
}

}  // namespace lucid_test
