// Per-thread runtime context (see context.hpp) and
// lucid::detail::current_task_id (include/lucid/rt/detail/current.hpp).
#include "context.hpp"

#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>

#include "lucid/rt/detail/current.hpp"
#include "lucid/rt/detail/inspect.hpp"
#include "scheduler/worker.hpp"
#include "task/cell.hpp"

namespace lucid::detail {

namespace {
thread_local worker* tls_worker = nullptr;
thread_local scheduler* tls_sched = nullptr;
thread_local strand* tls_branch = nullptr;

// The task this thread polls, as one word a watchdog can read (see
// worker::poll_word): the cell's address in the low 48 bits, a per-thread
// poll count in the high 16, so a word that stays the same across two
// readings is one long poll and not two polls of the same task. x86-64 and
// AArch64 user addresses fit in 48 bits.
constexpr unsigned kSeqShift = 48;
/// Set while the runtime itself is busy inside a poll (a panic report
/// symbolizing its backtrace): the stall detector ignores the poll then.
constexpr std::uintptr_t kExemptBit = std::uintptr_t{1} << 47;
constexpr std::uintptr_t kCellMask = kExemptBit - 1;
thread_local std::atomic<std::uintptr_t> tls_poll_word{0};
thread_local std::uintptr_t tls_poll_seq = 0;
}  // namespace

__attribute__((noinline)) worker* current_worker() noexcept {
  return tls_worker;
}
__attribute__((noinline)) task_cell* current_cell() noexcept {
  // relaxed: only this thread writes it.
  return reinterpret_cast<task_cell*>(tls_poll_word.load(std::memory_order_relaxed) & kCellMask);
}
__attribute__((noinline)) scheduler* current_scheduler() noexcept {
  return tls_sched;
}
__attribute__((noinline)) void set_current_cell(task_cell* c) noexcept {
  // The one store per poll the stall detector costs: the word it samples is
  // the current-cell variable itself. relaxed: a watchdog only compares values.
  std::uintptr_t w = reinterpret_cast<std::uintptr_t>(c);
  if (c != nullptr) w |= (++tls_poll_seq) << kSeqShift;
  tls_poll_word.store(w, std::memory_order_relaxed);
}

const void* worker_probe::polling() const noexcept {
  return reinterpret_cast<const void*>(poll_word & kCellMask);
}

bool worker_probe::exempt() const noexcept {
  return (poll_word & kExemptBit) != 0;
}

bool current_polled_task(polled_task& out) noexcept {
  const task_cell* c = current_cell();
  if (c == nullptr) return false;
  out.cell = c;
  out.id = c->id_;
  out.spawn_site = c->spawn_site();
  const std::string_view name = c->name();
  const std::size_t n = std::min(name.size(), sizeof out.name - 1);
  std::copy_n(name.data(), n, out.name);
  out.name[n] = '\0';
  out.name_cut = n < name.size();
  return true;
}

stall_exempt_scope::stall_exempt_scope() noexcept {
  tls_poll_word.fetch_or(kExemptBit, std::memory_order_relaxed);
}
stall_exempt_scope::~stall_exempt_scope() {
  tls_poll_word.fetch_and(~kExemptBit, std::memory_order_relaxed);
}

__attribute__((noinline)) strand* exchange_running_branch(strand* s) noexcept {
  strand* prev = tls_branch;
  tls_branch = s;
  return prev;
}

__attribute__((noinline)) const promise_base* running_frame(const task_cell* c) noexcept {
  strand* b = tls_branch;
  if (b != nullptr && b->cell() == c && b->leaf != nullptr) return b->leaf;
  return c->root_.leaf;
}

context_scope::context_scope(worker* w, scheduler* s) noexcept
    : prev_worker_(tls_worker), prev_sched_(tls_sched) {
  tls_worker = w;
  tls_sched = s;
  if (w != nullptr) {
    // release: a watchdog that reads the pointer may read through it.
    w->tid.store(static_cast<int>(::syscall(SYS_gettid)), std::memory_order_relaxed);
    w->poll_word.store(&tls_poll_word, std::memory_order_release);
  }
}
context_scope::~context_scope() {
  if (tls_worker != nullptr && tls_worker != prev_worker_) {
    tls_worker->poll_word.store(nullptr, std::memory_order_release);
  }
  tls_worker = prev_worker_;
  tls_sched = prev_sched_;
}

__attribute__((noinline)) task_id current_task_id() noexcept {
  task_cell* c = current_cell();
  return c != nullptr ? c->id_ : 0;
}

}  // namespace lucid::detail
