// lucid::detail::handle_registry: the live handles of one resource (a
// channel's senders or receiver, a semaphore's permits), each linked by the
// address it lives at, so the console can tell which task's coroutine frame
// holds each one ("the sender is held by task 1 'main', in demo_main"), and
// find a receiver waiting on a task that holds the channel's only sender.
//
// Ownership and threads: the registry and every handle_link in it are guarded
// by the owning resource's lock; each method below is called with that lock
// held. A handle links itself when it is made, moves its link to its new
// address when it is moved (so a sender moved into a spawned task's frame is
// found there), and unlinks when it is destroyed or reset. An inspector
// copies the addresses under the same lock (copy), and reads nothing through
// them: it only compares them with frame extents.
#pragma once

#include <cstddef>
#include <cstdint>

#include "lucid/base/intrusive_list.hpp"

namespace lucid::detail {

/// Embedded in a handle (a sender, a receiver, a permit); linked while the
/// handle owns its share of the resource.
struct handle_link : list_node {};

class handle_registry {
 public:
  void add(handle_link* h) noexcept { list_.push_back(h); }
  void remove(handle_link* h) noexcept {
    if (h->linked()) list_.unlink(h);
  }
  /// `to` takes `from`'s place (a move of the handle).
  void move(handle_link* from, handle_link* to) noexcept {
    remove(from);
    add(to);
  }
  /// Copies up to `max` handle addresses; returns how many handles there are.
  std::size_t copy(std::uintptr_t* out, std::size_t max) const noexcept {
    std::size_t i = 0;
    list_.for_each([&](handle_link* h) {
      if (i < max) out[i] = reinterpret_cast<std::uintptr_t>(h);
      ++i;
    });
    return i;
  }

 private:
  intrusive_list<handle_link> list_;
};

}  // namespace lucid::detail
