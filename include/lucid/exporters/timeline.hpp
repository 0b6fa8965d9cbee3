// lucid::exporters timeline: a Chrome Trace Event / Perfetto timeline of the
// program's tasks, polls, wake-ups, spans and events, written to a JSON file
// while the program runs (docs/exporters.md).
//
//   LUCID_TRACE_FILE=trace.json ./my_program     # then open it in ui.perfetto.dev
//   lucid::exporters::start_timeline("trace.json");  // or from code
//
// Tracks: process 1 "lucid threads" has one track per thread (tid = the OS
// thread id), process 2 "lucid tasks" one track per task (tid = the task id,
// named after the task). Each poll is a complete ("X") slice on both the
// worker's track (named after the task) and the task's track ("poll"), with
// the poll number; each entered span is a B/E slice (fields as args) on the
// track of the task (or thread) that entered it; each event an instant ("i")
// with its fields; a wake-up of one task by another a flow ("s" in the
// waker's poll, "f" bound to the woken task's next poll); spawn and
// completion are instants on the task's track.
//
// Contract: recording installs an rt observer and a trace layer; with no
// timeline started nothing is installed and nothing costs. Events are
// formatted on the thread where they happen into a bounded in-memory buffer
// (events over the bound are dropped and counted in the final note); a
// background thread appends them to the file every 100 ms. The file on disk
// is valid JSON after every write: it always ends with the closing `]}`,
// which the next write overwrites. It is flushed at exit (atexit), by
// flush_timeline(), and on a crash (the crash handler's pre-crash hook
// flushes trace subscribers, and the timeline layer with them). A size or
// duration limit stops the recording with a final note event and one line
// on stderr. Thread safety: every function may be called from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "lucid/trace/subscriber/layer.hpp"

namespace lucid::exporters {

/// Settings of a timeline.
struct timeline_options {
  std::uint64_t max_bytes = 0;                       ///< stop at this file size; 0 = no limit
  std::uint64_t max_ns = 0;                          ///< stop after this long; 0 = no limit
  std::size_t buffer_bytes = std::size_t{16} << 20;  ///< in-memory bound before dropping
};

/// Parses a LUCID_TRACE_FILE_MAX value into opts: a size ("64M", "512K",
/// "1G", "4096") or a duration ("30s", "500ms", "2m"). False if malformed.
bool parse_timeline_max(std::string_view text, timeline_options& opts) noexcept;

/// Starts recording to path (truncated). False, with a line on stderr, if
/// the file cannot be opened or a timeline is already recording. The trace
/// layer is added to the registries that lucid::trace::init() builds from
/// now on; a program that builds its own registry adds timeline_layer().
bool start_timeline(const std::string& path, timeline_options opts = {});

/// Stops recording: flushes, closes the file (valid JSON) and uninstalls the
/// observer. Idempotent. Not from inside an observer callback.
void stop_timeline() noexcept;

/// Writes what is buffered to the file now (bounded wait).
void flush_timeline() noexcept;

/// True while a timeline records.
bool timeline_recording() noexcept;

/// The timeline's trace layer (spans and events), to add to a registry a
/// program builds itself; a layer that does nothing when no timeline records.
std::shared_ptr<trace::layer> timeline_layer();

}  // namespace lucid::exporters
