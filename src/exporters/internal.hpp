// Private to the exporters: threads of the exporters themselves (the OTLP
// sender) are not recorded by the timeline. Thread safety: per thread.
#pragma once

namespace lucid::exporters::detail {

/// Marks the calling thread as an exporter's own: the timeline ignores it.
void ignore_this_thread() noexcept;
/// True on a thread marked by ignore_this_thread (not inlined: see DESIGN.md
/// on thread_local and coroutines).
bool this_thread_ignored() noexcept;

}  // namespace lucid::exporters::detail
