// lucid-console's model: the state rebuilt from the protocol's events (a
// wire::replica), the connection's status, and what the user chose to see
// (sort column and order, filter, task tree).
//
// Contract: `model` is shared: the connection thread (or the replay) applies
// events and sets the status; the UI thread takes a copy of the state
// (`frame`) when it changed. Every member function locks one mutex, held only
// for the length of the call. `view_state` and the row/graph functions below
// it belong to the UI thread alone and are pure functions of a frame.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "lucid/console/wire.hpp"

namespace lucid::console::tui {

/// A copy of the replica's state, for drawing.
struct frame {
  bool ready = false;
  std::uint64_t seq = 0;
  double t = 0;
  wire::process_info process;
  snapshot snap;
  std::vector<wire::timed_warning> warnings;
};

/// The replica and the connection status, shared between two threads.
class model {
 public:
  /// Applies one event (see wire::replica::apply).
  result<void> apply(std::string_view event_json);
  /// Starts again from nothing (a new connection, a replay that seeks back).
  void reset();
  /// What the connection says ("cannot reach ...: connection refused — retrying"); "" when fine.
  void set_status(std::string s);
  std::string status() const;
  /// Copies the state into `out` when it changed since `version` (which it
  /// updates); false when nothing changed.
  bool take(frame& out, std::uint64_t& version) const;
  /// The program's update interval (1000 before the first snapshot).
  unsigned interval_ms() const;
  /// Number of events applied so far.
  std::uint64_t version() const;

 private:
  mutable std::mutex mu_;
  wire::replica r_;
  std::uint64_t version_ = 0;
  std::string status_;
};

/// The columns of the tasks table, in order.
enum class task_col : int {
  id,
  warn,
  state,
  name,
  total,
  busy,
  sched,
  idle,
  polls,
  location,
  fields,
  count
};
/// The columns of the resources table, in order.
enum class res_col : int { id, kind, location, holders, waiters, fill, count };

/// Title of a column.
std::string_view title(task_col c);
std::string_view title(res_col c);

/// What the user chose to see (UI thread only).
struct view_state {
  task_col task_sort = task_col::id;
  bool task_desc = false;
  res_col res_sort = res_col::id;
  bool res_desc = false;
  std::string filter;  ///< substring, case-insensitive; "" shows all
  bool tree = false;   ///< children indented under their parents
  bool show_finished = true;
};

/// One row of the tasks table.
struct task_row {
  const task_view* task = nullptr;
  int depth = 0;                   ///< tree mode: nesting under the parent
  std::vector<std::string> cells;  ///< one per task_col
};
/// The tasks of `f` (live, then finished ones) filtered, sorted (or as a tree).
std::vector<task_row> task_rows(const frame& f, const view_state& v);

/// One row of the resources table.
struct res_row {
  const resource_view* res = nullptr;
  std::vector<std::string> cells;  ///< one per res_col
};
std::vector<res_row> resource_rows(const frame& f, const view_state& v);

/// The wait-for graph as text: one line per waiting task
/// ("task 7 'a' --waits on--> mutex#4 --held by--> task 9 'b'"), then a
/// "CYCLE:" section per cycle of the snapshot.
std::vector<std::string> graph_lines(const snapshot& s);

/// Warnings about task `id` in the frame.
int warnings_of(const frame& f, task_id id);

}  // namespace lucid::console::tui
