// Reporting exceptions that escape tasks (panics): the task's description
// and the unobserved-panic report (see panic.hpp). Called by the thread that
// finishes or detaches the task; never throws.
#include "task/panic.hpp"

#include "context.hpp"

#include <fmt/format.h>

#include <cstdio>

namespace lucid::detail {

std::string exception_message(const std::exception_ptr& e) {
  return debug::exception_message(e);
}

std::string describe_task(const task_cell* c) {
  std::string s = "task";
  if (!c->name().empty()) s += fmt::format(" '{}'", c->name());
  s += fmt::format(" (id {}", c->id_);
  if (source_site site = c->spawn_site(); site.known())
    s += fmt::format(", spawned at {}:{}", site.file, site.line);
  s += ")";
  return s;
}

void report_unobserved_panic(task_cell* c) noexcept {
  stall_exempt_scope exempt;  // symbolizing may take a while: not the task's stall
  try {
    panic_origin o = origin_of(c);
    debug::panic_context ctx;
    ctx.task = &o.task;
    ctx.async_backtrace = o.chain;
    debug::report_panic(c->exception(), ctx);
  } catch (...) {
    std::fputs("lucid: a task panicked (the report could not be formatted)\n", stderr);
  }
}

}  // namespace lucid::detail
