// lucid::detail::live_tasks: every task of a runtime that has been spawned and
// has not finished, for shutdown, dumps and live_tasks().
//
// Sharded by worker (plus one shard for spawns from outside a worker) so
// spawning on different workers does not contend; each shard's list is
// guarded by its own spin lock. A cell records its shard (task_cell::shard_)
// at insertion, written before the cell is published and read-only after.
#pragma once

#include <cstdint>
#include <mutex>
#include <vector>

#include "lucid/base/intrusive_list.hpp"
#include "lucid/base/spin_lock.hpp"
#include "task/cell.hpp"

namespace lucid::detail {

class live_tasks {
 public:
  explicit live_tasks(std::size_t shards) : shards_(shards) {}

  /// The shard for spawns from outside any worker.
  std::uint8_t outside_shard() const noexcept {
    return static_cast<std::uint8_t>(shards_.size() - 1);
  }

  /// Adds c to `shard` unless closed() returns true under the shard's lock;
  /// returns whether c was added. (Shutdown sets its flag, then walks every
  /// shard under its lock: a task is either added before that walk, which
  /// then finds it, or sees the flag.)
  template <class Closed>
  bool add_unless(task_cell* c, std::uint8_t shard, Closed&& closed) noexcept {
    c->shard_ = shard;
    std::lock_guard g(shards_[shard].lock);
    if (closed()) return false;
    shards_[shard].list.push_back(c);
    return true;
  }

  void remove(task_cell* c) noexcept {
    std::lock_guard g(shards_[c->shard_].lock);
    if (c->linked()) shards_[c->shard_].list.unlink(c);
  }

  std::size_t count() noexcept {
    std::size_t n = 0;
    for (auto& s : shards_) {
      std::lock_guard g(s.lock);
      n += s.list.size();
    }
    return n;
  }

  /// Some live task, or null when there is none.
  task_cell* any() noexcept {
    for (auto& s : shards_) {
      std::lock_guard g(s.lock);
      if (!s.list.empty()) return s.list.front();
    }
    return nullptr;
  }

  /// Calls f(cell, pause) for each live task, one shard lock held at a time.
  /// f may call pause() while it holds the cell in place (an inspection
  /// claim: the cell cannot finish, so it stays linked): the shard's lock is
  /// released and taken again, so spawns and completions on that shard are
  /// not held up by a long walk. f must not block, spawn, finish or free a task.
  template <class F>
  void for_each_pausable(F&& f) {
    for (auto& s : shards_) {
      std::unique_lock g(s.lock);
      auto pause = [&g] {
        g.unlock();
        g.lock();
      };
      for (task_cell* c = s.list.front(); c != nullptr; c = s.list.next(c))
        f(c, pause);
    }
  }

  /// Calls f(cell) for each live task, one shard lock held at a time: f must
  /// not block, and must not spawn, finish or free a task.
  template <class F>
  void for_each(F&& f) {
    for (auto& s : shards_) {
      std::lock_guard g(s.lock);
      s.list.for_each([&](task_cell* c) { f(c); });
    }
  }

 private:
  struct alignas(64) shard {
    spin_lock lock;
    intrusive_list<task_cell> list;
  };
  std::vector<shard> shards_;
};

}  // namespace lucid::detail
