// The worker loop, queues, parking and task polling. See scheduler.hpp for the
// ownership rules and detail/task_cell.hpp for the task state machine.
#include "scheduler.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <exception>

#include <pthread.h>

#include "lucid/base/assert.hpp"
#include "lucid/debug/crash_handler.hpp"
#include "lucid/rt/detail/current.hpp"
#include "lucid/rt/detail/frame_alloc.hpp"
#include "lucid/rt/instrument.hpp"
#include "lucid/trace/context.hpp"
#include "lucid/trace/dispatch.hpp"
#include "panic.hpp"

namespace lucid::detail {

namespace {

constexpr std::uint32_t kGlobalQueueInterval = 61;  // check inject/timers every N polls
constexpr std::uint32_t kMaxLifoPolls = 3;
constexpr std::uint32_t kInjectBatch = 32;
constexpr std::uint32_t kLocalQueueCapacity = 1024;

thread_local worker* tls_worker = nullptr;
thread_local scheduler* tls_sched = nullptr;
thread_local task_cell* tls_cell = nullptr;

std::atomic<task_id> g_next_task_id{1};

void flush_trace_before_crash() noexcept {
  lucid::trace::flush();
}

/// Swaps the task's span stack in for a poll (or a frame destruction).
trace::detail::span_stack* enter_context(task_cell* c) noexcept {
  auto* ctx = static_cast<trace::detail::span_stack*>(c->trace_context_);
  return ctx != nullptr ? trace::detail::exchange_current_stack(ctx) : nullptr;
}
/// Swaps it out; a task without a stack gets one if it left spans entered.
void leave_context(task_cell* c, trace::detail::span_stack* prev) noexcept {
  if (c->trace_context_ != nullptr) {
    trace::detail::exchange_current_stack(prev);
  } else if (auto* moved = trace::detail::migrate_own_stack()) {
    c->trace_context_ = moved;
  }
}

struct tls_scope {
  worker* pw;
  scheduler* ps;
  tls_scope(worker* w, scheduler* s) : pw(tls_worker), ps(tls_sched) {
    tls_worker = w;
    tls_sched = s;
  }
  ~tls_scope() {
    tls_worker = pw;
    tls_sched = ps;
  }
};

}  // namespace

// Per-thread runtime state is read through these non-inlined accessors: Clang
// may cache a thread_local's address across a suspension point, and a task
// can resume on another worker.
__attribute__((noinline)) worker* current_worker() noexcept {
  return tls_worker;
}
__attribute__((noinline)) task_cell* current_cell() noexcept {
  return tls_cell;
}
__attribute__((noinline)) scheduler* current_scheduler() noexcept {
  return tls_sched;
}
__attribute__((noinline)) static void set_current_cell(task_cell* c) noexcept {
  tls_cell = c;
}

// ------------------------------------------------------------------ blocking pool

void blocking_pool::submit(std::function<void()> job) {
  std::unique_lock l(mu_);
  LUCID_ASSERT(!stop_, "spawn_blocking on a runtime that is shutting down");
  in_flight.fetch_add(1, std::memory_order_relaxed);
  jobs_.push_back(std::move(job));
  if (idle_ > 0) {
    cv_.notify_one();
  } else if (threads_.size() < max_threads_) {
    threads_.emplace_back([this] { run(); });
  }
}

void blocking_pool::run() {
  pthread_setname_np(pthread_self(), "lucid-blocking");
  debug::ensure_alt_stack();
  std::unique_lock l(mu_);
  for (;;) {
    while (jobs_.empty() && !stop_) {
      ++idle_;
      cv_.wait(l);
      --idle_;
    }
    if (jobs_.empty()) return;
    auto job = std::move(jobs_.front());
    jobs_.pop_front();
    l.unlock();
    job();
    job = nullptr;
    // release: the job's effects happen before a paused clock may advance.
    in_flight.fetch_sub(1, std::memory_order_release);
    l.lock();
  }
}

void blocking_pool::shutdown() {
  std::vector<std::thread> ts;
  {
    std::lock_guard l(mu_);
    stop_ = true;
    ts.swap(threads_);
  }
  cv_.notify_all();
  for (auto& t : ts)
    t.join();
  std::lock_guard l(mu_);
  jobs_.clear();
}

// ------------------------------------------------------------------ scheduler

scheduler::scheduler(const runtime_options& opts)
    : opts_(opts), io_(new reactor), blocking_(opts.max_blocking_threads) {
  unsigned n = 1;
  if (opts_.kind == runtime_options::flavor::multi_thread) {
    n = opts_.workers ? opts_.workers : std::max(1u, std::thread::hardware_concurrency());
  }
  LUCID_ASSERT(!(opts_.paused_clock && opts_.kind == runtime_options::flavor::multi_thread),
               "a paused clock needs a current_thread runtime");
  live_ = std::vector<live_shard>(n + 1);
  for (unsigned i = 0; i < n; ++i) {
    const bool single = opts_.kind == runtime_options::flavor::current_thread;
    auto w = std::make_unique<worker>(single ? 1024 : kLocalQueueCapacity, single);
    w->sched = this;
    w->index = i;
    w->rng = 0x9E3779B9u * (i + 1);
    workers.push_back(std::move(w));
  }
  paused_now_ns_.store(timer_queue::ns(clock::now()), std::memory_order_relaxed);
  trace::detail::set_task_id_provider(&current_task_id);
  if (opts_.crash_handler) {
    debug::install_crash_handler();
    debug::set_crash_context_provider(&crash_context_of_thread);
    debug::set_pre_crash_hook(&flush_trace_before_crash);
  }
  if (opts_.kind == runtime_options::flavor::multi_thread) {
    threads_started_ = true;
    for (auto& w : workers) {
      worker* wp = w.get();
      wp->thread = std::thread([this, wp] { worker_main(wp); });
    }
  }
}

scheduler::~scheduler() {
  shutdown();
  io_->detach();
}

void scheduler::shutdown() {
  if (shutdown_done_.exchange(true, std::memory_order_acq_rel)) return;
  shutdown_.store(true, std::memory_order_release);
  {
    std::lock_guard l(mu_);
    for (worker* w : sleepers_)
      w->sleeping = false;
    sleepers_.clear();
    num_sleepers_.store(0, std::memory_order_relaxed);
  }
  for (auto& w : workers)
    w->park.unpark();
  for (auto& w : workers) {
    if (w->thread.joinable()) w->thread.join();
  }
  blocking_.shutdown();
  // Forget queued entries: every queued task is also in the live list, and
  // is destroyed below; with shutdown_ set, nothing is queued any more.
  {
    std::lock_guard l(mu_);
    inject_head_ = inject_tail_ = nullptr;
    inject_len_.store(0, std::memory_order_relaxed);
  }
  for (auto& w : workers) {
    w->lifo = nullptr;
    task_cell* buf[64];
    while (w->queue.pop_batch(buf, 64) != 0) {
    }
  }
  // Destroy every task still alive, one at a time (destroying one may drop
  // the last handle of another, which then completes and leaves the list).
  tls_scope scope(nullptr, this);
  for (;;) {
    task_cell* c = nullptr;
    for (auto& s : live_) {
      std::lock_guard g(s.lock);
      if (!s.list.empty()) {
        c = s.list.front();
        break;
      }
    }
    if (c == nullptr) break;
    c->state_.fetch_or(st_running | st_cancelled, std::memory_order_acq_rel);
    cancel_task(c);
  }
}

void scheduler::add_live(task_cell* c) noexcept {
  worker* w = current_worker();
  std::uint8_t shard = (w && w->sched == this) ? static_cast<std::uint8_t>(w->index)
                                               : static_cast<std::uint8_t>(live_.size() - 1);
  c->shard_ = shard;
  std::lock_guard g(live_[shard].lock);
  live_[shard].list.push_back(c);
}

void scheduler::remove_live(task_cell* c) noexcept {
  std::lock_guard g(live_[c->shard_].lock);
  if (c->linked()) live_[c->shard_].list.unlink(c);
}

std::size_t scheduler::live_count() noexcept {
  std::size_t n = 0;
  for (auto& s : live_) {
    std::lock_guard g(s.lock);
    n += s.list.size();
  }
  return n;
}

time_point scheduler::now() const noexcept {
  if (opts_.paused_clock) {
    return time_point(std::chrono::nanoseconds(paused_now_ns_.load(std::memory_order_acquire)));
  }
  return clock::now();
}

void scheduler::advance(duration d) {
  LUCID_ASSERT(opts_.paused_clock, "time::advance needs a runtime with a paused clock");
  paused_now_ns_.fetch_add(std::chrono::duration_cast<std::chrono::nanoseconds>(d).count(),
                           std::memory_order_acq_rel);
  timers_.fire_expired(now());
}

void scheduler::timer_armed_earlier() noexcept {
  if (worker* w = driver_parker_.load(std::memory_order_acquire)) w->park.unpark();
}

template <class F>
auto scheduler::batch_wakes(F&& f) noexcept {
  worker* w = current_worker();
  if (w == nullptr || w->sched != this) return f();
  w->batching = true;
  auto r = f();
  w->batching = false;
  if (std::exchange(w->notify_pending, false)) notify_parked();
  return r;
}

bool scheduler::maintain_timers() noexcept {
  if (driver_.exchange(true, std::memory_order_acquire)) return false;
  std::size_t n = batch_wakes([&] { return timers_.fire_expired(now()); });
  driver_.store(false, std::memory_order_release);
  return n != 0;
}

void scheduler::maintain_io() noexcept {
  if (io_->registrations() == 0 || driver_.load(std::memory_order_relaxed)) return;
  if (driver_.exchange(true, std::memory_order_acquire)) return;
  if (io_->poll(0)) batch_wakes([&] { return io_->dispatch(), 0; });
  driver_.store(false, std::memory_order_release);
}

void scheduler::on_unobserved_panic() noexcept {
  if (opts_.unobserved_panic == panic_policy::shutdown) {
    panicked_.store(true, std::memory_order_release);
    shutdown_.store(true, std::memory_order_release);
    std::lock_guard l(mu_);
    for (worker* w : sleepers_) {
      w->sleeping = false;
      w->park.unpark();
    }
    sleepers_.clear();
    num_sleepers_.store(0, std::memory_order_relaxed);
    if (parker* p = block_on_parker_.load(std::memory_order_acquire)) p->unpark();
  }
}

// ------------------------------------------------------------------ queues

void scheduler::schedule(task_cell* c) noexcept {
  if (shutdown_.load(std::memory_order_relaxed)) return;
  worker* w = current_worker();
  if (w != nullptr && w->sched == this) {
    if (current_cell() != nullptr && current_cell() != c) {
      // Spawned or woken by the running task: run it next (hot in cache); the
      // task it displaces goes to the queue, where an idle worker may take it.
      task_cell* prev = w->lifo;
      w->lifo = c;
      if (prev == nullptr) return;
      c = prev;
    }
    push_local(w, c);
    if (num_sleepers_.load(std::memory_order_relaxed) != 0) {
      if (w->batching) {
        w->notify_pending = true;
      } else {
        notify_parked();
      }
    }
    return;
  }
  push_inject(c);
}

void scheduler::push_local(worker* w, task_cell* c) noexcept {
  while (!w->queue.try_push(c)) {
    // Full: move half of it to the injection queue, where others can take it.
    task_cell* batch[kLocalQueueCapacity / 2];
    std::uint32_t n = w->queue.pop_batch(batch, w->queue.capacity() / 2);
    if (n == 0) continue;
    for (std::uint32_t i = 0; i + 1 < n; ++i)
      batch[i]->next_ = batch[i + 1];
    batch[n - 1]->next_ = nullptr;
    std::lock_guard l(mu_);
    if (inject_tail_) {
      inject_tail_->next_ = batch[0];
    } else {
      inject_head_ = batch[0];
    }
    inject_tail_ = batch[n - 1];
    inject_len_.fetch_add(n, std::memory_order_release);
  }
}

void scheduler::push_inject(task_cell* c) noexcept {
  worker* wake = nullptr;
  {
    std::lock_guard l(mu_);
    if (shutdown_.load(std::memory_order_relaxed)) return;
    c->next_ = nullptr;
    if (inject_tail_) {
      inject_tail_->next_ = c;
    } else {
      inject_head_ = c;
    }
    inject_tail_ = c;
    inject_len_.fetch_add(1, std::memory_order_release);
    wake = pop_sleeper();
  }
  if (wake) wake->park.unpark();
}

worker* scheduler::pop_sleeper() noexcept {
  if (sleepers_.empty()) return nullptr;
  worker* w = sleepers_.back();
  sleepers_.pop_back();
  w->sleeping = false;
  w->searching = true;  // it wakes up looking for work
  num_sleepers_.fetch_sub(1, std::memory_order_relaxed);
  num_searching_.fetch_add(1, std::memory_order_relaxed);
  return w;
}

void scheduler::notify_parked() noexcept {
  if (num_searching_.load(std::memory_order_seq_cst) != 0) return;
  worker* wake = nullptr;
  {
    std::lock_guard l(mu_);
    wake = pop_sleeper();
  }
  if (wake) wake->park.unpark();
}

void scheduler::found_work(worker* w) noexcept {
  if (!w->searching) return;
  w->searching = false;
  // The last searcher to find work wakes another, in case more is waiting.
  if (num_searching_.fetch_sub(1, std::memory_order_acq_rel) == 1 &&
      num_sleepers_.load(std::memory_order_relaxed) != 0 &&
      (w->queue.size() > 1 || inject_len_.load(std::memory_order_relaxed) != 0)) {
    notify_parked();
  }
}

task_cell* scheduler::take_inject(worker* w) noexcept {
  if (inject_len_.load(std::memory_order_acquire) == 0) return nullptr;
  std::lock_guard l(mu_);
  task_cell* first = inject_head_;
  if (first == nullptr) return nullptr;
  std::uint32_t take = 1;
  inject_head_ = first->next_;
  // Move a batch into the local queue, leaving some for other workers.
  std::size_t len = inject_len_.load(std::memory_order_relaxed);
  std::size_t want = std::min<std::size_t>(kInjectBatch, len / workers.size());
  while (want > 1 && inject_head_ != nullptr && w->queue.size() < w->queue.capacity() / 2) {
    task_cell* c = inject_head_;
    inject_head_ = c->next_;
    w->queue.try_push(c);
    ++take;
    --want;
  }
  if (inject_head_ == nullptr) inject_tail_ = nullptr;
  inject_len_.fetch_sub(take, std::memory_order_relaxed);
  return first;
}

task_cell* scheduler::next_task(worker* w) noexcept {
  ++w->tick;
  if (w->tick % kGlobalQueueInterval == 0) {
    maintain_timers();
    maintain_io();
    if (task_cell* c = take_inject(w)) return c;
  }
  if (w->lifo != nullptr) {
    if (w->lifo_polls < kMaxLifoPolls) {
      ++w->lifo_polls;
      return std::exchange(w->lifo, nullptr);
    }
    push_local(w, std::exchange(w->lifo, nullptr));
  }
  w->lifo_polls = 0;
  if (task_cell* c = w->queue.pop()) return c;
  return take_inject(w);
}

task_cell* scheduler::steal(worker* w) noexcept {
  const std::size_t n = workers.size();
  if (n < 2) return nullptr;
  w->rng ^= w->rng << 13;
  w->rng ^= w->rng >> 17;
  w->rng ^= w->rng << 5;
  std::size_t start = w->rng % n;
  for (std::size_t i = 0; i < n; ++i) {
    worker* v = workers[(start + i) % n].get();
    if (v == w) continue;
    if (task_cell* c = v->queue.steal_into(w->queue)) return c;
  }
  return nullptr;
}

// ------------------------------------------------------------------ worker loop

void scheduler::worker_main(worker* w) {
  char name[16];
  std::snprintf(name, sizeof name, "lucid-worker-%u", w->index);
  pthread_setname_np(pthread_self(), name);
  if (opts_.crash_handler) debug::ensure_alt_stack();
  tls_scope scope(w, this);
  run_loop(w, nullptr);
}

void scheduler::run_loop(worker* w, task_cell* stop_when_complete) {
  for (;;) {
    if (stop_when_complete != nullptr && stop_when_complete->is_complete()) return;
    if (shutdown_.load(std::memory_order_acquire)) return;
    task_cell* c = next_task(w);
    if (c == nullptr) {
      if (maintain_timers()) continue;
      c = steal(w);
    }
    if (c != nullptr) {
      found_work(w);
      run_task(w, c);
      continue;
    }
    park_worker(w, stop_when_complete);
  }
}

void scheduler::park_worker(worker* w, task_cell* stop_when_complete) {
  {
    std::unique_lock l(mu_);
    if (inject_head_ != nullptr || shutdown_.load(std::memory_order_relaxed)) return;
    if (stop_when_complete != nullptr && stop_when_complete->is_complete()) return;
    if (w->searching) {
      w->searching = false;
      num_searching_.fetch_sub(1, std::memory_order_relaxed);
    }
    sleepers_.push_back(w);
    w->sleeping = true;
    num_sleepers_.fetch_add(1, std::memory_order_seq_cst);
  }
  // Someone may have pushed to a local queue while we registered: look once more.
  bool work = false;
  for (auto& v : workers) {
    if (v.get() != w && v->queue.size() > 1) work = true;
  }
  if (!work && opts_.paused_clock && blocking_.in_flight.load(std::memory_order_acquire) == 0 &&
      !driver_.exchange(true, std::memory_order_acquire)) {
    // Paused clock: if no I/O is ready either, nothing can happen but timers,
    // so jump to the next deadline.
    if (io_->registrations() != 0 && io_->poll(0)) {
      leave_sleepers(w);
      batch_wakes([&] { return io_->dispatch(), 0; });
      driver_.store(false, std::memory_order_release);
      return;
    }
    std::int64_t next = timers_.next_deadline();
    if (next != timer_queue::no_deadline) {
      std::int64_t cur = paused_now_ns_.load(std::memory_order_relaxed);
      if (next > cur) paused_now_ns_.store(next, std::memory_order_release);
      timers_.fire_expired(now());
      work = true;
    }
    driver_.store(false, std::memory_order_release);
  }
  if (!work) {
    if (!driver_.exchange(true, std::memory_order_acquire)) {
      // The driver: sleep in epoll until I/O, a wake-up or the next deadline.
      driver_parker_.store(w, std::memory_order_release);
      std::int64_t until = timers_.set_parked_until_next();
      std::int64_t timeout = -1;
      if (until != timer_queue::no_deadline && !opts_.paused_clock) {
        timeout = std::max<std::int64_t>(0, until - timer_queue::ns(clock::now()));
      }
      w->park.park_io(*io_, timeout);
      timers_.clear_parked();
      driver_parker_.store(nullptr, std::memory_order_release);
      leave_sleepers(w);
      batch_wakes([&] {
        io_->dispatch();
        return opts_.paused_clock ? 0 : timers_.fire_expired(now());
      });
      driver_.store(false, std::memory_order_release);
      return;
    }
    w->park.park();
  }
  leave_sleepers(w);
}

void scheduler::leave_sleepers(worker* w) noexcept {
  std::lock_guard l(mu_);
  if (w->sleeping) {
    sleepers_.erase(std::find(sleepers_.begin(), sleepers_.end(), w));
    w->sleeping = false;
    num_sleepers_.fetch_sub(1, std::memory_order_relaxed);
  }
}

void scheduler::block_until_complete(task_cell* root) {
  if (opts_.kind == runtime_options::flavor::current_thread) {
    worker* w = workers[0].get();
    tls_scope scope(w, this);
    run_loop(w, root);
    return;
  }
  // multi_thread: sleep until finish_task() unparks us, or the runtime shuts down.
  parker p;
  {
    std::lock_guard g(root->join_lock_);
    if (root->is_complete()) return;
    LUCID_ASSERT(root->joiner_ == 0, "block_on on a task that is already joined");
    root->joiner_ = reinterpret_cast<std::uintptr_t>(&p) | 1;
  }
  block_on_parker_.store(&p, std::memory_order_release);
  while (!root->is_complete() && !is_shutting_down())
    p.park();
  block_on_parker_.store(nullptr, std::memory_order_release);
  std::lock_guard g(root->join_lock_);
  root->joiner_ = 0;
}

// ------------------------------------------------------------------ polling

void scheduler::run_task(worker* w, task_cell* c) noexcept {
  (void)w;
  std::uint32_t s = c->state_.load(std::memory_order_relaxed);
  // acquire: see what the previous poller (maybe another worker) wrote.
  while (!c->state_.compare_exchange_weak(s, (s | st_running) & ~st_notified,
                                          std::memory_order_acquire, std::memory_order_relaxed)) {
  }
  LUCID_ASSERT((s & (st_running | st_complete)) == 0, "task polled while running or complete");
  set_current_cell(c);
  if (s & st_cancelled) {
    cancel_task(c);
    set_current_cell(nullptr);
    return;
  }
  LUCID_HOOK(on_poll_begin, c->id_);
  trace::detail::span_stack* prev_ctx = enter_context(c);
  c->root_.run();
  leave_context(c, prev_ctx);
  LUCID_HOOK(on_poll_end, c->id_);
  if (c->root_.complete) {
    finish_task(c, c->root_.leaf->exception_ ? task_outcome::exception : task_outcome::value);
    set_current_cell(nullptr);
    return;
  }
  s = c->state_.load(std::memory_order_relaxed);
  for (;;) {
    if (s & st_cancelled) {
      cancel_task(c);
      set_current_cell(nullptr);
      return;
    }
    // release: the next poller (any worker) sees this poll's writes.
    if (c->state_.compare_exchange_weak(s, s & ~st_running, std::memory_order_acq_rel,
                                        std::memory_order_relaxed)) {
      break;
    }
  }
  set_current_cell(nullptr);
  if (s & st_notified) {
    // Woken while running (yield_now, or a wake during the poll): back of the queue.
    worker* cw = current_worker();
    if (cw != nullptr && cw->sched == this && !shutdown_.load(std::memory_order_relaxed)) {
      push_local(cw, c);
      if (num_sleepers_.load(std::memory_order_relaxed) != 0) notify_parked();
    } else {
      push_inject(c);
    }
  }
}

void scheduler::cancel_task(task_cell* c) noexcept {
  if (c->frame_live_) {
    task_cell* prev = current_cell();
    set_current_cell(c);
    trace::detail::span_stack* prev_ctx = enter_context(c);
    std::coroutine_handle<> f = c->root_frame();
    c->frame_live_ = false;
    f.destroy();
    leave_context(c, prev_ctx);
    set_current_cell(prev);
  }
  finish_task(c, task_outcome::cancelled);
}

void scheduler::finish_task(task_cell* c, task_outcome o) noexcept {
  c->outcome_ = o;
  c->result_ = nullptr;  // the union's next_ may hold a stale queue link
  if (c->frame_live_) {
    // Move the outcome out and destroy the frame now: what the task owned is
    // released before anyone learns that it finished.
    trace::detail::span_stack* prev_ctx = enter_context(c);
    c->complete_fn_(c, task_cell::result_op::extract);
    leave_context(c, prev_ctx);
  }
  if (c->trace_context_ != nullptr) {
    trace::detail::destroy_span_stack(static_cast<trace::detail::span_stack*>(c->trace_context_));
    c->trace_context_ = nullptr;
  }
  LUCID_HOOK(on_complete, c->id_, o);
  std::uint32_t prev;
  {
    std::lock_guard g(c->join_lock_);
    prev = c->state_.load(std::memory_order_relaxed);
    // release: the joiner that sees COMPLETE sees the result.
    while (!c->state_.compare_exchange_weak(prev,
                                            (prev & ~(st_running | st_notified)) | st_complete,
                                            std::memory_order_acq_rel, std::memory_order_relaxed)) {
    }
    if (c->joiner_ & 1) {
      reinterpret_cast<parker*>(c->joiner_ & ~std::uintptr_t{1})->unpark();
    } else if (strand* w = c->join_waker()) {
      c->joiner_ = 0;
      LUCID_HOOK(on_waker_released, w->cell ? w->cell->id_ : 0, c);
      w->wake();
    }
  }
  if ((prev & st_detached) && o == task_outcome::exception && !c->panic_reported_) {
    c->panic_reported_ = true;
    report_unobserved_panic(c);
    on_unobserved_panic();
  }
  remove_live(c);
  c->release();
}

// ------------------------------------------------------------------ task_cell

void task_cell::wake() noexcept {
  if (instrument* i = hooks(); __builtin_expect(i != nullptr, 0)) {
    task_cell* cur = current_cell();
    wake_origin o = cur == this                   ? wake_origin::self
                    : cur != nullptr              ? wake_origin::other_task
                    : current_worker() != nullptr ? wake_origin::runtime
                                                  : wake_origin::external;
    i->on_wake(id_, o, cur ? cur->id_ : 0);
  }
  std::uint32_t s = state_.load(std::memory_order_relaxed);
  for (;;) {
    if (s & (st_complete | st_notified)) return;
    std::uint32_t ns = s | st_notified;
    if (state_.compare_exchange_weak(s, ns, std::memory_order_acq_rel, std::memory_order_relaxed)) {
      if (!(s & st_running)) sched_->schedule(this);
      return;
    }
  }
}

void task_cell::abort() noexcept {
  std::uint32_t s = state_.load(std::memory_order_relaxed);
  for (;;) {
    if (s & (st_complete | st_cancelled)) return;
    std::uint32_t ns = s | st_cancelled | st_notified;
    if (state_.compare_exchange_weak(s, ns, std::memory_order_acq_rel, std::memory_order_relaxed)) {
      if (!(s & (st_running | st_notified))) sched_->schedule(this);
      return;
    }
  }
}

void task_cell::release() noexcept {
  // acq_rel: the last owner sees every write of the others before freeing.
  if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) destroy_cell(this);
}

void* task_cell::operator new(std::size_t n) {
  return frame_alloc(n);
}
void task_cell::operator delete(void* p, std::size_t n) noexcept {
  frame_free(p, n);
}

task_cell::rare_fields& task_cell::rare() {
  rare_fields* r = rare_.load(std::memory_order_relaxed);
  if (r == nullptr) {
    r = new rare_fields;
    // release: a reader on another thread (a dump, a joiner) sees the fields' init.
    rare_.store(r, std::memory_order_release);
  }
  return *r;
}

void destroy_cell(task_cell* c) noexcept {
  if (c->frame_live_) c->root_frame().destroy();
  if (c->result_ != nullptr) c->complete_fn_(c, task_cell::result_op::drop_result);
  if (task_cell::rare_fields* r = c->rare_.load(std::memory_order_relaxed)) {
    if (r->chain != nullptr) free_panic_chain(r->chain);
    delete r;
  }
  delete c;
}

void strand::wake() noexcept {
  strand* s = this;
  while (s->parent != nullptr) {
    // release: the branch's poller (the same task, maybe on another worker) sees the wake.
    s->ready.store(true, std::memory_order_release);
    s = s->parent;
  }
  s->cell->wake();
}

task_cell* spawn_cell(scheduler* s, std::coroutine_handle<> frame, promise_base* root,
                      void (*complete_fn)(task_cell*, task_cell::result_op), std::string_view name,
                      source_site site, bool joinable) {
  auto* c = new task_cell;
  c->complete_fn_ = complete_fn;
  c->refs_.store(joinable ? 2 : 1, std::memory_order_relaxed);
  c->state_.store(st_notified | (joinable ? 0u : st_detached), std::memory_order_relaxed);
  c->sched_ = s;
  c->frame_live_ = true;
  (void)frame;
  c->root_.leaf = root;
  c->root_.cell = c;
  root->strand_ = &c->root_;
  c->id_ = g_next_task_id.fetch_add(1, std::memory_order_relaxed);
  task_cell* parent = current_cell();
  c->parent_id_ = parent ? parent->id_ : 0;
  c->spawn_site_ = site;
  if (!name.empty()) c->rare().name.assign(name);
  // A task spawned inside a span gets a span stack whose base is that span;
  // others get one only if they need it (see leave_context).
  trace::span_id parent_span = trace::detail::current_span_id();
  if (parent_span != 0) c->trace_context_ = trace::detail::create_span_stack(true);
  s->add_live(c);
  if (instrument* i = hooks(); __builtin_expect(i != nullptr, 0)) {
    i->on_spawn(spawn_info{c->id_, c->name(), site, c->parent_id_, parent_span});
  }
  s->schedule(c);
  return c;
}

}  // namespace lucid::detail
