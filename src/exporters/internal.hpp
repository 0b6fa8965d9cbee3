// Private to the exporters: threads of the exporters themselves (the OTLP
// sender) are not recorded by the timeline. Thread safety: per thread.
#pragma once

#include <signal.h>

namespace lucid::exporters::detail {

/// Marks the calling thread as an exporter's own: the timeline ignores it.
void ignore_this_thread() noexcept;
/// For an exporter's own thread, at its start: blocks the process-directed
/// signals (SIGTERM, SIGINT, ...), which the program's own threads handle
/// (a program that blocks them in main and sigwaits would otherwise be
/// killed through a thread started before main), and marks it ignored.
void become_exporter_thread(const char* name) noexcept;
/// Blocks, in the calling thread and for the scope's life, the signals
/// become_exporter_thread blocks: an exporter thread started inside it has
/// them blocked from its first instruction (a signal sent before it ran
/// become_exporter_thread could otherwise be delivered to it).
class exporter_thread_start {
 public:
  exporter_thread_start() noexcept;
  ~exporter_thread_start();
  exporter_thread_start(const exporter_thread_start&) = delete;
  exporter_thread_start& operator=(const exporter_thread_start&) = delete;

 private:
  sigset_t old_;
};
/// True on a thread marked by ignore_this_thread (not inlined: see DESIGN.md
/// on thread_local and coroutines).
bool this_thread_ignored() noexcept;

}  // namespace lucid::exporters::detail
