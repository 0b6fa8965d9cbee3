// lucid::trace dispatch: which subscriber receives spans and events.
//
// Contract: there is one global default (initially none, so everything is
// disabled) and, per thread, an optional scoped default that overrides it
// while a scoped_default guard lives. Installing either rebuilds the cached
// interest of every callsite. A replaced global default is kept alive until
// exit, because spans and other threads may still use it. Events and spans
// created while the current thread is inside a subscriber call are dropped
// (no recursion). Thread safety: every function may be called from any
// thread; a scoped_default must be destroyed on the thread that made it.
#pragma once

#include <memory>

#include "lucid/trace/subscriber.hpp"

namespace lucid::trace {

/// Installs sub as the global default subscriber (replacing any previous one).
///
/// Example: `lucid::trace::set_global_default(std::make_shared<my_subscriber>());`
void set_global_default(std::shared_ptr<subscriber> sub);

/// The global default subscriber, or nullptr.
subscriber* global_default() noexcept;

/// Makes sub this thread's default while the guard lives (nests; restores the
/// previous one on destruction). sub must outlive the spans made under it.
///
/// Example:
///   auto sub = std::make_shared<capture_subscriber>();
///   lucid::trace::scoped_default guard(sub);
///   LUCID_INFO("goes to sub");
class scoped_default {
 public:
  explicit scoped_default(std::shared_ptr<subscriber> sub);
  ~scoped_default();
  scoped_default(const scoped_default&) = delete;
  scoped_default& operator=(const scoped_default&) = delete;

 private:
  std::shared_ptr<subscriber> sub_;
  subscriber* prev_;
};

/// The subscriber that receives this thread's spans and events now, or nullptr.
subscriber* current_subscriber() noexcept;

/// Flushes the current and global default subscribers (their buffered writers).
/// Waits a bounded time (about 1 s at most) and never throws; the crash handler
/// calls it before writing a crash report. Thread safety: any thread.
void flush() noexcept;

}  // namespace lucid::trace
