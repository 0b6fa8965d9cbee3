// lucid-console's terminal UI: the ncurses loop that draws the current view,
// the header and status lines, and turns keys into view changes.
//
// Contract: runs on the calling thread until `q`; takes a copy of the model's
// state whenever it changed and updates are not paused; with a replay it
// also moves the replay's clock. Restores the terminal on return.
#pragma once

#include <string>

#include "model.hpp"
#include "recording.hpp"

namespace lucid::console::tui {

/// Runs the UI. `source` names what is shown ("127.0.0.1:6669" or the
/// recording's path); `rep` is the replay, or nullptr for a live connection.
int run_ui(model& m, const std::string& source, replay* rep);

}  // namespace lucid::console::tui
