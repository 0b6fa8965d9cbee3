// Per-thread runtime context (see context.hpp) and
// lucid::detail::current_task_id (include/lucid/rt/detail/current.hpp).
#include "context.hpp"

#include "lucid/rt/detail/current.hpp"
#include "task/cell.hpp"

namespace lucid::detail {

namespace {
thread_local worker* tls_worker = nullptr;
thread_local scheduler* tls_sched = nullptr;
thread_local task_cell* tls_cell = nullptr;
thread_local strand* tls_branch = nullptr;
}  // namespace

__attribute__((noinline)) worker* current_worker() noexcept {
  return tls_worker;
}
__attribute__((noinline)) task_cell* current_cell() noexcept {
  return tls_cell;
}
__attribute__((noinline)) scheduler* current_scheduler() noexcept {
  return tls_sched;
}
__attribute__((noinline)) void set_current_cell(task_cell* c) noexcept {
  tls_cell = c;
}

__attribute__((noinline)) strand* exchange_running_branch(strand* s) noexcept {
  strand* prev = tls_branch;
  tls_branch = s;
  return prev;
}

__attribute__((noinline)) const promise_base* running_frame(const task_cell* c) noexcept {
  strand* b = tls_branch;
  if (b != nullptr && b->cell == c && b->leaf != nullptr) return b->leaf;
  return c->root_.leaf;
}

context_scope::context_scope(worker* w, scheduler* s) noexcept
    : prev_worker_(tls_worker), prev_sched_(tls_sched) {
  tls_worker = w;
  tls_sched = s;
}
context_scope::~context_scope() {
  tls_worker = prev_worker_;
  tls_sched = prev_sched_;
}

__attribute__((noinline)) task_id current_task_id() noexcept {
  task_cell* c = current_cell();
  return c != nullptr ? c->id_ : 0;
}

}  // namespace lucid::detail
