// lucid::detail::intrusive_list: a doubly linked list of nodes that embed
// their links (wait queues, timer lists). O(1) push, pop and unlink.
//
// Contract: not thread-safe; the owner serialises access (usually with the
// lock of the resource the list belongs to). A node is in at most one list.
#pragma once

#include <cstddef>

namespace lucid::detail {

/// Embed in (or derive from) a type to put it in an intrusive_list.
struct list_node {
  list_node* prev = nullptr;
  list_node* next = nullptr;
  bool linked() const noexcept { return prev != nullptr; }
};

/// A circular doubly linked list with a sentinel; T derives from list_node.
template <class T>
class intrusive_list {
 public:
  intrusive_list() noexcept { head_.prev = head_.next = &head_; }
  intrusive_list(const intrusive_list&) = delete;
  intrusive_list& operator=(const intrusive_list&) = delete;

  bool empty() const noexcept { return head_.next == &head_; }
  std::size_t size() const noexcept { return size_; }

  void push_back(T* n) noexcept { insert_before(&head_, n); }
  void push_front(T* n) noexcept { insert_before(head_.next, n); }

  T* front() const noexcept { return empty() ? nullptr : static_cast<T*>(head_.next); }
  T* back() const noexcept { return empty() ? nullptr : static_cast<T*>(head_.prev); }

  T* pop_front() noexcept {
    if (empty()) return nullptr;
    T* n = static_cast<T*>(head_.next);
    unlink(n);
    return n;
  }

  /// Removes n, which must be in this list.
  void unlink(T* n) noexcept {
    list_node* ln = n;
    ln->prev->next = ln->next;
    ln->next->prev = ln->prev;
    ln->prev = ln->next = nullptr;
    --size_;
  }

  /// The node after n, or nullptr at the end.
  T* next(T* n) const noexcept {
    list_node* nx = static_cast<list_node*>(n)->next;
    return nx == &head_ ? nullptr : static_cast<T*>(nx);
  }

  template <class F>
  void for_each(F&& f) const {
    for (list_node* n = head_.next; n != &head_;) {
      list_node* nx = n->next;
      f(static_cast<T*>(n));
      n = nx;
    }
  }

 private:
  void insert_before(list_node* pos, T* t) noexcept {
    list_node* n = t;
    n->next = pos;
    n->prev = pos->prev;
    pos->prev->next = n;
    pos->prev = n;
    ++size_;
  }

  list_node head_;
  std::size_t size_ = 0;
};

}  // namespace lucid::detail
