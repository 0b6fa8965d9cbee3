// lucid::detail::idle_workers: which workers are parked, and how many are
// searching for work.
//
// A *sleeper* is a worker parked with nothing to do; a *searching* worker was
// just unparked to look for work (at most a few search at once, so a burst of
// wake-ups does not unpark every worker). The list and the flags
// worker::sleeping / worker::searching are changed only with the scheduler's
// `mu_` held (the same lock as the injection queue: see scheduler.hpp for why
// no wake-up is lost), except that a searching worker clears its own flag in
// finish_searching(). The counters are read without the lock as hints.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <vector>

#include "scheduler/worker.hpp"

namespace lucid::detail {

class idle_workers {
 public:
  /// Parks w: it stops searching and joins the sleepers (mu_ held).
  void add_sleeper(worker* w) noexcept {
    if (w->searching) {
      w->searching = false;
      num_searching_.fetch_sub(1, std::memory_order_relaxed);
    }
    sleepers_.push_back(w);
    w->sleeping = true;
    // seq_cst: the parking worker then looks at the other workers' queues
    // once more (scheduler::park_worker); this orders that look after it.
    num_sleepers_.fetch_add(1, std::memory_order_seq_cst);
  }

  /// Takes one sleeper off the list, marked searching, or null (mu_ held).
  worker* pop_sleeper() noexcept {
    if (sleepers_.empty()) return nullptr;
    worker* w = sleepers_.back();
    sleepers_.pop_back();
    w->sleeping = false;
    w->searching = true;  // it wakes up looking for work
    num_sleepers_.fetch_sub(1, std::memory_order_relaxed);
    num_searching_.fetch_add(1, std::memory_order_relaxed);
    return w;
  }

  /// Takes w off the list if it is still there (mu_ held).
  void remove(worker* w) noexcept {
    if (!w->sleeping) return;
    sleepers_.erase(std::find(sleepers_.begin(), sleepers_.end(), w));
    w->sleeping = false;
    num_sleepers_.fetch_sub(1, std::memory_order_relaxed);
  }

  /// Empties the list, calling f(w) for each sleeper (mu_ held).
  template <class F>
  void drain(F&& f) {
    for (worker* w : sleepers_) {
      w->sleeping = false;
      f(w);
    }
    sleepers_.clear();
    num_sleepers_.store(0, std::memory_order_relaxed);
  }

  /// w found work; true if it was searching and was the last searcher.
  bool finish_searching(worker* w) noexcept {
    if (!w->searching) return false;
    w->searching = false;
    return num_searching_.fetch_sub(1, std::memory_order_acq_rel) == 1;
  }

  std::uint32_t sleepers() const noexcept { return num_sleepers_.load(std::memory_order_relaxed); }
  std::uint32_t searching() const noexcept {
    return num_searching_.load(std::memory_order_seq_cst);
  }

 private:
  std::vector<worker*> sleepers_;
  std::atomic<std::uint32_t> num_sleepers_{0};
  std::atomic<std::uint32_t> num_searching_{0};
};

}  // namespace lucid::detail
