// lucid::detail::live_tasks: every task of a runtime that has been spawned and
// has not finished, for shutdown, dumps and live_tasks().
//
// Sharded by task id (a power of two, at least four shards per worker; one
// for a single worker, whose spawns and completions are all its own), each
// shard's list guarded by its own spin lock. A task is added by its spawner
// and removed by the worker that finishes it, often another one (a stolen
// task): sharding by spawner put one spawning task and every worker finishing
// its children on one lock, which the 16-core run showed (bench/RESULTS.md,
// "Issue 16: 16 cores"); by id, consecutive spawns go to different shards, so
// a spawner and the finishers rarely meet on a lock. The shard is computed
// from the id (written before the cell is published, read-only after).
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
  /// Shards for a runtime of `workers` workers.
  explicit live_tasks(std::size_t workers)
      : shards_(shard_count(workers)), mask_(shards_.size() - 1) {}

  /// Adds c (its id set) to its shard unless closed() returns true under the
  /// shard's lock; returns whether c was added. (Shutdown sets its flag, then
  /// walks every shard under its lock: a task is either added before that
  /// walk, which then finds it, or sees the flag.)
  template <class Closed>
  bool add_unless(task_cell* c, Closed&& closed) noexcept {
    shard& s = of(c);
    std::lock_guard g(s.lock);
    if (closed()) return false;
    s.list.push_back(c);
    return true;
  }

  void remove(task_cell* c) noexcept {
    shard& s = of(c);
    std::lock_guard g(s.lock);
    if (c->linked()) s.list.unlink(c);
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
  /// A power of two: 4 per worker, at most 256; 1 for one worker.
  static std::size_t shard_count(std::size_t workers) noexcept {
    std::size_t n = 1;
    while (workers > 1 && n < 4 * workers && n < 256)
      n *= 2;
    return n;
  }

  struct alignas(64) shard {
    spin_lock lock;
    intrusive_list<task_cell> list;
  };
  shard& of(const task_cell* c) noexcept { return shards_[c->id_ & mask_]; }
  std::vector<shard> shards_;
  std::size_t mask_;
};

}  // namespace lucid::detail
