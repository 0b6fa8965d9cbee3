// Recordings (docs/console-protocol.md, "Recordings"): reading the JSON Lines
// file a program writes under LUCID_CONSOLE_RECORD, playing it into a model
// with its timing (--replay), and the task dump at a time (--dump --at).
//
// Contract: read_recording reads `path.1` (when present) and then `path`;
// each must start with a recording header; a partial last line (a crash) is
// skipped; any other line that is not JSON is an error naming file and line.
// A `replay` belongs to the UI thread; it applies events to a model (which
// locks). Thread safety: none beyond that.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include "model.hpp"

namespace lucid::console::tui {

/// One line of a recording.
struct recorded_event {
  std::string type;  ///< header, snapshot, delta, warning
  double t = 0;      ///< the event's time (a header: that of the next event)
  std::string json;
};

/// The events of `path.1` and `path`, in order. False, with `error` set, when
/// the file is missing or not a recording.
bool read_recording(const std::string& path, std::vector<recorded_event>& out, std::string& error);

/// Writes the task dump of the recording's state at time `at` (the last
/// update at or before it) to `out`. False with `error` set when there is none.
bool dump_at(const std::vector<recorded_event>& events, double at, std::ostream& out,
             std::string& error);

/// "12s", "12.5", "1500ms", "2m" as seconds; false when malformed.
bool parse_time(const std::string& s, double& seconds);

/// Plays a recording into a model: time moves with the wall clock times the
/// speed unless paused; step() applies one event.
class replay {
 public:
  replay(std::vector<recorded_event> events, model& m);
  /// Moves the replay clock by `wall_s` * speed and applies the events due.
  void advance(double wall_s);
  /// Applies the next event and moves the clock to it; false at the end.
  bool step();
  void toggle_pause() { paused_ = !paused_; }
  bool paused() const { return paused_; }
  void faster();
  void slower();
  double speed() const { return speed_; }
  double clock() const { return clock_; }
  bool done() const { return next_ >= events_.size(); }
  /// "replay t=12.0s x2 paused" (and "end" when every event was played).
  std::string status() const;

 private:
  void apply(const recorded_event& e);
  std::vector<recorded_event> events_;
  model& m_;
  std::size_t next_ = 0;
  double clock_ = 0;
  double speed_ = 1;
  bool paused_ = false;
};

}  // namespace lucid::console::tui
