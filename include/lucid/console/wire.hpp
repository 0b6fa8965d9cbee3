// lucid::console::wire: the console protocol's JSON (docs/console-protocol.md)
// for both ends: the server encodes snapshots and deltas; a client (the
// terminal client, a replay, a test) applies events to a replica and reads
// the state back as a snapshot.
//
//   wire::delta_encoder enc;                           // server
//   std::string first = enc.snapshot(snap, warnings, t);
//   std::string next = enc.delta(snap2, t2);           // later
//
//   wire::replica r;                                   // client
//   r.apply(first); r.apply(next);
//   lucid::console::dump(std::cout, r.view());         // the dump as of `next`
//
// Contract: plain values, no I/O and no runtime: a program that only reads
// the protocol links lucid::console_wire alone (no lucid runtime). Bad input
// to replica::apply is an error result, and leaves the replica unchanged.
// Thread safety: none; one thread uses an encoder or a replica at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "lucid/base/result.hpp"
#include "lucid/console/console.hpp"

namespace lucid::console::wire {

inline constexpr int k_version = 1;

/// What the server says about the process in every snapshot and delta.
struct process_info {
  long pid = 0;
  std::string program;
  unsigned interval_ms = 1000;
};

/// A warning as the protocol carries it: with the time the server saw it.
struct timed_warning {
  warning w;
  double t = 0;
};

/// The JSON of one task (TASK in the protocol) read at time `t`
/// (GET /api/v1/tasks/{id}: the TASK object with "t" added).
std::string encode_task(const task_view& task, double t);
/// The wait-for graph of a snapshot (GET /api/v1/graph), at time `t`.
std::string encode_graph(const snapshot& s, double t);
/// {"error": message, "status": status}.
std::string encode_error(int status, std::string_view message);
/// A warning event.
std::string encode_warning(const timed_warning& w, std::uint64_t seq);
/// A recording's first line (docs/console-protocol.md, "Recordings").
std::string encode_recording_header(const process_info& p, std::int64_t started_unix_ms);

/// The server's side: numbers the updates and remembers the last one, so
/// that each update can be sent whole (snapshot()) or as the changes since
/// the previous one (delta()).
class delta_encoder {
 public:
  explicit delta_encoder(process_info p = {});
  ~delta_encoder();
  delta_encoder(delta_encoder&&) noexcept;
  delta_encoder& operator=(delta_encoder&&) noexcept;

  /// Takes update `s` at time `t`; `warnings` are all warnings so far
  /// (the server sends each as a warning event before this update).
  /// Returns the delta event from the previous update (the first update's
  /// "delta" is a snapshot event).
  std::string update(const snapshot& s, const std::vector<timed_warning>& warnings, double t);
  /// The snapshot event of the latest update (empty before the first).
  const std::string& snapshot_event() const noexcept;
  /// The latest update's number (0 before the first).
  std::uint64_t seq() const noexcept;

 private:
  struct impl;
  std::unique_ptr<impl> p_;
};

/// The client's side: the state rebuilt from events.
class replica {
 public:
  replica();
  ~replica();
  replica(replica&&) noexcept;
  replica& operator=(replica&&) noexcept;

  /// Applies one event (a snapshot, delta, warning or recording header
  /// object). errc::invalid_input for JSON that is not an event of this
  /// protocol; errc::not_found for a delta that does not follow the
  /// replica's seq (a gap: start again from a snapshot). On error the
  /// replica is unchanged.
  /// `why`, when given, receives a message saying what is wrong.
  result<void> apply(std::string_view event_json, std::string* why = nullptr);

  /// True once a snapshot was applied.
  bool ready() const noexcept;
  std::uint64_t seq() const noexcept;
  /// Time of the latest update (seconds since the server started).
  double t() const noexcept;
  const process_info& process() const noexcept;
  /// The state as a console snapshot (tasks, finished, resources, edges,
  /// cycles, histograms); taken_at_s is t().
  snapshot view() const;
  std::vector<timed_warning> warnings() const;
  /// The state as the snapshot JSON the server holds at this seq (for
  /// comparison: same bytes as its snapshot_event()).
  std::string snapshot_json() const;

 private:
  struct impl;
  std::unique_ptr<impl> p_;
};

}  // namespace lucid::console::wire
