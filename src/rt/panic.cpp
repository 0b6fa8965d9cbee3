#include "panic.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <stdexcept>

#include "lucid/rt/task.hpp"

namespace lucid::detail {

std::string exception_message(const std::exception_ptr& e) {
  if (!e) return "(no exception)";
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    return ex.what();
  } catch (...) {
    return "(exception not derived from std::exception)";
  }
}

std::string describe_task(const task_cell* c) {
  std::string s = "task";
  if (!c->name().empty()) s += fmt::format(" '{}'", c->name());
  s += fmt::format(" (id {}", c->id_);
  if (c->spawn_site_.known()) s += fmt::format(", spawned at {}:{}", c->spawn_site_.file, c->spawn_site_.line);
  s += ")";
  return s;
}

void report_unobserved_panic(task_cell* c) noexcept {
  try {
    const std::exception_ptr& e = c->exception_;
    std::string msg = fmt::format("{} panicked: {}\n", describe_task(c), exception_message(e));
    std::fputs(msg.c_str(), stderr);
    std::fflush(stderr);
  } catch (...) {
    std::fputs("lucid: a task panicked (report could not be formatted)\n", stderr);
  }
}

}  // namespace lucid::detail
