// Span handles: creation, clone/close, enter/exit, record, follows_from.
//
// Contract: every subscriber call is made with the re-entrancy flag set.
#include "lucid/trace/span.hpp"

#include "state.hpp"

namespace lucid::trace {

using namespace detail;

span::span(const span& o) noexcept : sub_(o.sub_), ref_(o.ref_) {
  if (sub_ != nullptr) {
    thread_state& ts = tls();
    in_subscriber_guard guard(ts);
    try {
      sub_->clone_span(ref_);
    } catch (...) {
    }
  }
}

span& span::operator=(const span& o) noexcept {
  if (this != &o) {
    span copy(o);
    *this = std::move(copy);
  }
  return *this;
}

span& span::operator=(span&& o) noexcept {
  if (this != &o) {
    release();
    sub_ = std::exchange(o.sub_, nullptr);
    ref_ = std::exchange(o.ref_, {});
  }
  return *this;
}

void span::release() noexcept {
  if (sub_ == nullptr) return;
  thread_state& ts = tls();
  {
    in_subscriber_guard guard(ts);  // closes even inside a subscriber: never leak a span
    try {
      sub_->close(ref_);
    } catch (...) {
    }
  }
  sub_ = nullptr;
  ref_ = {};
}

span span::current() noexcept {
  thread_state& ts = tls();
  const stack_entry* top = ts.stack().top();
  if (top == nullptr) return span();
  {
    in_subscriber_guard guard(ts);
    try {
      top->sub->clone_span(top->ref);
    } catch (...) {
      return span();
    }
  }
  return span(top->sub, top->ref);
}

entered span::enter() const& noexcept {
  if (sub_ == nullptr) return entered();
  thread_state& ts = tls();
  span_stack& st = ts.stack();
  // Before the push (context.hpp): a store only the first time, so entering
  // spans does not write a line every thread reads.
  if (!any_span_entered()) g_span_entered.store(true, std::memory_order_relaxed);
  try {
    st.push(stack_entry{sub_, ref_, false});
  } catch (...) {
    return entered();
  }
  if (!ts.in_subscriber) {
    in_subscriber_guard guard(ts);
    try {
      sub_->enter(ref_);
    } catch (...) {
    }
  }
  // On a thread's own stack the guard follows its entry: a runtime may move
  // the entry to the task's stack when the task suspends (migrate_own_stack).
  return entered(&st == &ts.own ? own_stack_marker() : &st, sub_, ref_);
}

void entered::exit() noexcept {
  if (stack_ == nullptr) return;
  thread_state& ts = tls();
  span_stack* st = std::exchange(stack_, nullptr);
  if (st == own_stack_marker()) st = &ts.stack();
  st->remove(ref_.id);
  // A stack that is not current was swapped out, which already exited its spans.
  if (st == &ts.stack() && !ts.in_subscriber) {
    in_subscriber_guard guard(ts);
    try {
      sub_->exit(ref_);
    } catch (...) {
    }
  }
}

void span::record_fields(std::initializer_list<field_ref> fields) const noexcept {
  if (sub_ == nullptr) return;
  thread_state& ts = tls();
  if (ts.in_subscriber) return;
  in_subscriber_guard guard(ts);
  try {
    sub_->record(ref_, std::span<const field_ref>(fields.begin(), fields.size()));
  } catch (...) {
  }
}

void span::follows_from(const span& cause) const noexcept {
  if (sub_ == nullptr || cause.sub_ != sub_) return;
  thread_state& ts = tls();
  if (ts.in_subscriber) return;
  in_subscriber_guard guard(ts);
  try {
    sub_->record_follows_from(ref_, cause.ref_);
  } catch (...) {
  }
}

namespace detail {

span make_span(callsite& cs, std::initializer_list<field_ref> fields) noexcept {
  thread_state& ts = tls();
  if (ts.in_subscriber) return span();
  subscriber* sub = current_dispatch(ts);
  if (sub == nullptr) return span();
  span_ref parent = contextual_parent(ts, sub);
  interest in = cs.get_interest();
  in_subscriber_guard guard(ts);
  try {
    if (in == interest::sometimes && !sub->enabled(cs.meta(), parent)) {
      return span();
    }
    span_id id = next_span_id(ts);
    span_attributes attrs{&cs.meta(), id, parent,
                          std::span<const field_ref>(fields.begin(), fields.size())};
    void* handle = sub->new_span(attrs);
    return span(sub, span_ref{id, handle});
  } catch (...) {
    return span();
  }
}

}  // namespace detail
}  // namespace lucid::trace
