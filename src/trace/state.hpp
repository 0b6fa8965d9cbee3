// Private state of the trace core: the per-thread dispatch state and the span
// stack layout.
//
// Contract: thread_state is reached only through tls(), which is not inlined
// (Clang may cache a thread_local's address across a coroutine suspension).
// A span_stack is used by one thread at a time.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>

#include "lucid/trace/context.hpp"
#include "lucid/trace/subscriber.hpp"

namespace lucid::trace::detail {

struct stack_entry {
  subscriber* sub;
  span_ref ref;
  bool owned;  // a handle held by the stack (inherited base span); closed on destroy
};

/// Entered spans, innermost last. Four entries inline, then the heap.
struct span_stack {
  static constexpr std::uint32_t inline_cap = 4;

  span_stack() noexcept = default;
  span_stack(const span_stack&) = delete;
  span_stack& operator=(const span_stack&) = delete;
  ~span_stack() {
    if (data_ != inline_) delete[] data_;
  }

  std::uint32_t size() const noexcept { return size_; }
  stack_entry* begin() noexcept { return data_; }
  stack_entry* end() noexcept { return data_ + size_; }
  stack_entry& operator[](std::uint32_t i) noexcept { return data_[i]; }
  const stack_entry* top() const noexcept { return size_ ? &data_[size_ - 1] : nullptr; }

  void push(const stack_entry& e) {
    if (size_ == cap_) {
      auto* d = new stack_entry[cap_ * 2];
      std::memcpy(static_cast<void*>(d), data_, sizeof(stack_entry) * size_);
      if (data_ != inline_) delete[] data_;
      data_ = d;
      cap_ *= 2;
    }
    data_[size_++] = e;
  }
  void clear() noexcept { size_ = 0; }
  /// Removes the innermost entry for id; false if none.
  bool remove(span_id id) noexcept {
    for (std::uint32_t i = size_; i-- > 0;) {
      if (data_[i].ref.id == id) {
        for (std::uint32_t j = i + 1; j < size_; ++j)
          data_[j - 1] = data_[j];
        --size_;
        return true;
      }
    }
    return false;
  }

 private:
  stack_entry inline_[inline_cap];
  stack_entry* data_ = inline_;
  std::uint32_t size_ = 0;
  std::uint32_t cap_ = inline_cap;
};

struct thread_state {
  subscriber* scoped = nullptr;   // scoped default, or nullptr
  bool in_subscriber = false;     // re-entrancy guard
  span_stack* current = nullptr;  // swapped-in stack, nullptr = own
  std::uint64_t next_id = 0;      // block of span ids [next_id, end_id)
  std::uint64_t end_id = 0;
  span_stack own;

  span_stack& stack() noexcept { return current ? *current : own; }
  ~thread_state();
};

/// The calling thread's state (not inlined, see the contract).
[[gnu::noinline]] thread_state& tls() noexcept;

/// The subscriber of this thread now: scoped default or global default.
subscriber* current_dispatch(thread_state& ts) noexcept;

/// A fresh process-unique span id.
span_id next_span_id(thread_state& ts) noexcept;

/// The innermost entered span on ts's current stack owned by sub, or none.
inline span_ref contextual_parent(thread_state& ts, subscriber* sub) noexcept {
  const stack_entry* t = ts.stack().top();
  return (t != nullptr && t->sub == sub) ? t->ref : span_ref{};
}

/// Sets the re-entrancy flag for the lifetime of the guard (restoring it after).
struct in_subscriber_guard {
  thread_state& ts;
  bool prev;
  explicit in_subscriber_guard(thread_state& t) noexcept : ts(t), prev(t.in_subscriber) {
    ts.in_subscriber = true;
  }
  ~in_subscriber_guard() { ts.in_subscriber = prev; }
  in_subscriber_guard(const in_subscriber_guard&) = delete;
  in_subscriber_guard& operator=(const in_subscriber_guard&) = delete;
};

}  // namespace lucid::trace::detail
