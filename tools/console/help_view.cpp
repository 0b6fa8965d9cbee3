// The help view of lucid-console: every key and every column explained.
#include <curses.h>

#include "views.hpp"

namespace lucid::console::tui {

std::vector<line> help_page(bool replay) {
  std::vector<line> out = {
      {"lucid-console: keys", A_BOLD},
      {"  t / r / w / g    tasks / resources / warnings / wait-for graph", 0},
      {"  Up Down j k      move (PgUp PgDn Home End); scroll a page", 0},
      {"  Left Right h l   choose the sort column (highlighted, arrow = order)", 0},
      {"  i                invert the sort order", 0},
      {"  Enter            the selected task's (or resource's) detail", 0},
      {"  Esc              back (and clears the filter in a table)", 0},
      {"  /                filter: substring of name, state, location or fields; Enter applies", 0},
      {"  T                the task tree: children indented under their parent", 0},
      {"  space            pause updates (the status line says paused)", 0},
      {"  ?                this help          q  quit", 0},
  };
  if (replay) {
    out.push_back({"  . or n           replay: one event forward (pauses)", 0});
    out.push_back({"  + / -            replay: faster / slower (0.25x .. 16x)", 0});
  }
  std::vector<line> cols = {
      {"", 0},
      {"Tasks columns", A_BOLD},
      {"  ID        the task's id (unique for the life of the process)", 0},
      {"  Warn      how many warnings name this task (!n)", 0},
      {"  State     idle (suspended), scheduled (woken, waiting for a worker), running;", 0},
      {"            retained finished tasks: completed, cancelled, panicked", 0},
      {"  Name      the name given at spawn (indented under its parent in tree mode)", 0},
      {"  Total     time since it was spawned (until it ended)", 0},
      {"  Busy      time spent being polled", 0},
      {"  Sched     time spent woken, waiting for a worker (scheduling latency)", 0},
      {"  Idle      time spent suspended, not woken", 0},
      {"  Polls     how many times it was resumed", 0},
      {"  Location  where it was spawned (file:line)", 0},
      {"  Fields    what it waits on now: resource#id, holders, channel fill, for how long", 0},
      {"", 0},
      {"Resources columns", A_BOLD},
      {"  ID, Kind    the resource's id and kind (mutex, semaphore, mpsc, oneshot, ...)", 0},
      {"  Created at  where it was created (file:line)", 0},
      {"  Holders     the tasks that hold it (a lock, permits)", 0},
      {"  Waiters     the tasks waiting on it", 0},
      {"  Fill        queued/capacity, senders, permits, readers, closed", 0},
      {"", 0},
      {"Task detail", A_BOLD},
      {"  poll duration and scheduled latency histograms (p50/p90/p99/max), wakes by", 0},
      {"  origin, wakers registered/released, what it waits on and who holds it, and its", 0},
      {"  await chain (innermost first, file:line)", 0},
      {"", 0},
      {"Graph: 'task --waits on--> resource --held by--> task' lines; CYCLE: a deadlock", 0},
  };
  out.insert(out.end(), cols.begin(), cols.end());
  return out;
}

}  // namespace lucid::console::tui
