// lucid::detail::inject_queue: the scheduler's global FIFO of runnable
// tasks: tasks queued from outside a worker, and local-queue overflow.
//
// Tasks are linked through task_cell::next_ (a queued task is never complete,
// so the word is free; see task/cell.hpp). Every member except len() must be
// called with the scheduler's `mu_` held: the queue and the idle-worker list
// share that lock, which is what makes parking race-free (see scheduler.hpp).
// len() may be read without the lock as a hint: it is written under the lock
// with release, so a reader that sees it non-zero and then takes the lock
// finds the tasks.
#pragma once

#include <atomic>
#include <cstddef>

#include "task/cell.hpp"

namespace lucid::detail {

class inject_queue {
 public:
  /// Appends one task (mu_ held).
  void push(task_cell* c) noexcept { push_batch(c, c, 1); }

  /// Appends n tasks already linked first..last through next_ (mu_ held).
  void push_batch(task_cell* first, task_cell* last, std::size_t n) noexcept {
    last->next_ = nullptr;
    if (tail_ != nullptr) {
      tail_->next_ = first;
    } else {
      head_ = first;
    }
    tail_ = last;
    len_.fetch_add(n, std::memory_order_release);
  }

  /// Takes the oldest task, or null (mu_ held).
  task_cell* pop() noexcept {
    task_cell* c = head_;
    if (c == nullptr) return nullptr;
    head_ = c->next_;
    c->next_ = nullptr;  // the word is the finished task's result_ (see task/cell.hpp)
    if (head_ == nullptr) tail_ = nullptr;
    len_.fetch_sub(1, std::memory_order_relaxed);
    return c;
  }

  bool empty() const noexcept { return head_ == nullptr; }  ///< mu_ held

  /// Forgets every entry (shutdown: queued tasks are destroyed through the live list).
  void clear() noexcept {
    head_ = tail_ = nullptr;
    len_.store(0, std::memory_order_relaxed);
  }

  /// Tasks queued; without mu_, a hint (see above).
  std::size_t len() const noexcept { return len_.load(std::memory_order_acquire); }

 private:
  task_cell* head_ = nullptr;
  task_cell* tail_ = nullptr;
  std::atomic<std::size_t> len_{0};
};

}  // namespace lucid::detail
