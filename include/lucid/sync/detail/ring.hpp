// lucid::detail::ring<T>: a growable circular buffer (the queue of a channel).
//
// Contract: not thread-safe; the owning channel serialises access with its
// lock. Capacity is a power of two and only grows; push_front exists so a
// cancelled receiver can put back a value it was handed.
#pragma once

#include <cstddef>
#include <new>
#include <utility>

namespace lucid::detail {

template <class T>
class ring {
 public:
  ring() noexcept = default;
  explicit ring(std::size_t reserve) { grow_to(reserve); }
  ring(const ring&) = delete;
  ring& operator=(const ring&) = delete;
  ring(ring&& o) noexcept
      : buf_(std::exchange(o.buf_, nullptr)),
        cap_(std::exchange(o.cap_, 0)),
        head_(std::exchange(o.head_, 0)),
        size_(std::exchange(o.size_, 0)) {}
  ring& operator=(ring&& o) noexcept {
    if (this != &o) {
      destroy();
      buf_ = std::exchange(o.buf_, nullptr);
      cap_ = std::exchange(o.cap_, 0);
      head_ = std::exchange(o.head_, 0);
      size_ = std::exchange(o.size_, 0);
    }
    return *this;
  }
  ~ring() { destroy(); }

  bool empty() const noexcept { return size_ == 0; }
  std::size_t size() const noexcept { return size_; }

  void push_back(T&& v) {
    if (size_ == cap_) grow_to(size_ + 1);
    ::new (static_cast<void*>(slot((head_ + size_) & (cap_ - 1)))) T(std::move(v));
    ++size_;
  }
  void push_front(T&& v) {
    if (size_ == cap_) grow_to(size_ + 1);
    std::size_t h = (head_ + cap_ - 1) & (cap_ - 1);
    ::new (static_cast<void*>(slot(h))) T(std::move(v));
    head_ = h;
    ++size_;
  }
  /// Moves the front element out; the ring must not be empty.
  T pop_front() {
    T* p = slot(head_);
    T v(std::move(*p));
    p->~T();
    head_ = (head_ + 1) & (cap_ - 1);
    --size_;
    return v;
  }

 private:
  struct alignas(T) storage {
    unsigned char bytes[sizeof(T)];
  };
  T* slot(std::size_t i) noexcept { return std::launder(reinterpret_cast<T*>(&buf_[i])); }

  void grow_to(std::size_t need) {
    std::size_t c = cap_ == 0 ? 1 : cap_;
    while (c < need)
      c *= 2;
    if (c == cap_) return;
    storage* nb = new storage[c];
    for (std::size_t i = 0; i < size_; ++i) {
      T* p = slot((head_ + i) & (cap_ - 1));
      ::new (static_cast<void*>(&nb[i])) T(std::move(*p));
      p->~T();
    }
    delete[] buf_;
    buf_ = nb;
    cap_ = c;
    head_ = 0;
  }
  void destroy() noexcept {
    while (size_ != 0) {
      slot(head_)->~T();
      head_ = (head_ + 1) & (cap_ - 1);
      --size_;
    }
    delete[] buf_;
    buf_ = nullptr;
    cap_ = 0;
  }

  storage* buf_ = nullptr;
  std::size_t cap_ = 0;
  std::size_t head_ = 0;
  std::size_t size_ = 0;
};

}  // namespace lucid::detail
