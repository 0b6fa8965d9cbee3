// lucid-console: the terminal client of a lucid program's console
// (docs/console-protocol.md; the user's guide is docs/console.md).
//
//   lucid-console [http://]host:port [--token T]   live (default 127.0.0.1:6669)
//   lucid-console --replay path                    play a recording
//   lucid-console --dump path [--at 12s]           print the task dump at t (no UI)
//
// Exit status: 0; 2 on bad arguments or a recording that cannot be read.
#include <clocale>
#include <cstdlib>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "connection.hpp"
#include "model.hpp"
#include "recording.hpp"
#include "ui.hpp"

namespace {

constexpr const char* k_usage = R"(usage: lucid-console [http://]host:port [--token T]
       lucid-console --replay path
       lucid-console --dump path [--at 12s]

Shows what every task of a lucid program is doing: start the program with
LUCID_CONSOLE=127.0.0.1:6669 (the default address here), then run lucid-console.

  host:port       the program's console server (default 127.0.0.1:6669)
  --token T       send "Authorization: Bearer T" (the program's LUCID_CONSOLE_TOKEN)
  --replay path   play a recording (LUCID_CONSOLE_RECORD=path); path.1 first if present
  --dump path     print the task dump of a recording's state, without the UI
  --at T          with --dump: the time, in seconds since the recording's server
                  started ("12s", "12.5", "1500ms"); default: the end
  --help          this text

Keys: t tasks, r resources, w warnings, g wait-for graph, ? help, q quit;
arrows/j/k move, h/l sort column, i invert, Enter detail, Esc back, / filter,
T task tree, space pause; replay: . or n step, + and - speed.
)";

int usage_error(const std::string& msg) {
  std::cerr << "lucid-console: " << msg << "\n" << k_usage;
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace lucid::console::tui;
  std::setlocale(LC_ALL, "");

  std::string address, token, replay_path, dump_path, at_text;
  std::vector<std::string> args(argv + 1, argv + argc);
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&](const char* name, std::string& out) -> bool {
      const std::string_view n(name);
      if (a.size() > n.size() && a.compare(0, n.size(), n) == 0 && a[n.size()] == '=') {
        out.assign(a, n.size() + 1);
        return true;
      }
      if (a != name) return false;
      if (i + 1 >= args.size()) {
        out = "\x01";  // missing value
        return true;
      }
      out = args[++i];
      return true;
    };
    if (a == "--help" || a == "-h") {
      std::cout << k_usage;
      return 0;
    }
    if (value("--token", token) || value("--replay", replay_path) || value("--dump", dump_path) ||
        value("--at", at_text)) {
      if (token == "\x01" || replay_path == "\x01" || dump_path == "\x01" || at_text == "\x01")
        return usage_error(a + " needs a value");
      continue;
    }
    if (!a.empty() && a[0] == '-') return usage_error("unknown option " + a);
    if (!address.empty())
      return usage_error("one address only (got " + address + " and " + a + ")");
    address = a;
  }
  if (!replay_path.empty() && !dump_path.empty())
    return usage_error("--replay and --dump do not go together");
  if (!at_text.empty() && dump_path.empty()) return usage_error("--at goes with --dump");

  if (!dump_path.empty()) {
    std::vector<recorded_event> events;
    std::string error;
    if (!read_recording(dump_path, events, error)) {
      std::cerr << "lucid-console: " << error << "\n";
      return 2;
    }
    double at = 1e300;
    if (!at_text.empty() && !parse_time(at_text, at))
      return usage_error("--at " + at_text + ": not a time (such as 12s, 12.5 or 1500ms)");
    if (!dump_at(events, at, std::cout, error)) {
      std::cerr << "lucid-console: " << dump_path << ": " << error << "\n";
      return 2;
    }
    return 0;
  }

  model m;
  if (!replay_path.empty()) {
    std::vector<recorded_event> events;
    std::string error;
    if (!read_recording(replay_path, events, error)) {
      std::cerr << "lucid-console: " << error << "\n";
      return 2;
    }
    replay rep(std::move(events), m);
    return run_ui(m, replay_path, &rep);
  }

  connection conn(normalize_address(address), token, m);
  conn.start();
  return run_ui(m, conn.address(), nullptr);
}
