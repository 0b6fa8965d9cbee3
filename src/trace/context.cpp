// Span stacks and the task-id hook (see lucid/trace/context.hpp).
//
// Contract: every function acts on the calling thread's state through tls().
#include "lucid/trace/context.hpp"

#include <atomic>
#include <new>

#include "state.hpp"

namespace lucid::trace::detail {

constinit std::atomic<bool> g_span_entered{false};

namespace {

constinit std::atomic<task_id_provider> g_task_id{nullptr};

void notify_exit_all(span_stack& st, thread_state& ts) noexcept {
  in_subscriber_guard guard(ts);
  for (std::uint32_t i = st.size(); i-- > 0;) {
    try {
      st[i].sub->exit(st[i].ref);
    } catch (...) {
    }
  }
}

void notify_enter_all(span_stack& st, thread_state& ts) noexcept {
  in_subscriber_guard guard(ts);
  for (std::uint32_t i = 0; i < st.size(); ++i) {
    try {
      st[i].sub->enter(st[i].ref);
    } catch (...) {
    }
  }
}

}  // namespace

span_stack* create_span_stack(bool inherit_current) {
  auto* st = new span_stack();
  if (inherit_current) {
    thread_state& ts = tls();
    if (const stack_entry* top = ts.stack().top()) {
      in_subscriber_guard guard(ts);
      top->sub->clone_span(top->ref);
      st->push(stack_entry{top->sub, top->ref, true});
    }
  }
  return st;
}

void destroy_span_stack(span_stack* st) noexcept {
  if (st == nullptr) return;
  thread_state& ts = tls();
  {
    in_subscriber_guard guard(ts);
    for (stack_entry& e : *st) {
      if (e.owned) {
        try {
          e.sub->close(e.ref);
        } catch (...) {
        }
      }
    }
  }
  delete st;
}

span_stack* exchange_current_stack(span_stack* st) noexcept {
  thread_state& ts = tls();
  span_stack* old = &ts.stack();
  span_stack* next = st != nullptr ? st : &ts.own;
  if (old == next) return old;
  if (old->size() != 0 && !ts.in_subscriber) notify_exit_all(*old, ts);
  ts.current = (next == &ts.own) ? nullptr : next;
  if (next->size() != 0 && !ts.in_subscriber) notify_enter_all(*next, ts);
  return old;
}

span_stack* own_stack_marker() noexcept {
  static span_stack marker;  // never pushed to: only its address is used
  return &marker;
}

span_stack* migrate_own_stack() noexcept {
  thread_state& ts = tls();
  if (ts.current != nullptr || ts.own.size() == 0) return nullptr;
  auto* st = new (std::nothrow) span_stack();
  if (st == nullptr) return nullptr;
  try {
    for (stack_entry& e : ts.own)
      st->push(e);
  } catch (...) {
    delete st;
    return nullptr;
  }
  if (!ts.in_subscriber) notify_exit_all(ts.own, ts);
  ts.own.clear();
  return st;
}

span_stack* current_stack() noexcept {
  return &tls().stack();
}

std::size_t stack_depth(const span_stack* st) noexcept {
  return st ? st->size() : 0;
}

span_id current_span_id() noexcept {
  const stack_entry* top = tls().stack().top();
  return top ? top->ref.id : 0;
}

void set_task_id_provider(task_id_provider provider) noexcept {
  // release/acquire: the provider's code and data are ready before it is called.
  g_task_id.store(provider, std::memory_order_release);
}

std::uint64_t current_task_id() noexcept {
  task_id_provider p = g_task_id.load(std::memory_order_acquire);
  return p ? p() : 0;
}

}  // namespace lucid::trace::detail
