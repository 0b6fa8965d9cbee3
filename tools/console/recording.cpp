// Recordings: reading, replay and the dump at a time (see recording.hpp).
#include "recording.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace lucid::console::tui {

namespace {

bool read_one(const std::string& path, std::vector<recorded_event>& out, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = fmt::format("cannot open recording {}: {}", path, std::strerror(errno));
    return false;
  }
  std::string line;
  std::vector<std::string> lines;
  while (std::getline(in, line))
    lines.push_back(line);
  // A line without its final newline may be cut short by a crash.
  in.clear();
  in.seekg(0, std::ios::end);
  bool ends_in_newline = false;
  if (in.tellg() > 0) {
    in.seekg(-1, std::ios::end);
    ends_in_newline = in.get() == '\n';
  }
  if (lines.empty()) {
    error = fmt::format("{} is empty: not a lucid-console recording", path);
    return false;
  }
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].empty()) continue;
    nlohmann::json j = nlohmann::json::parse(lines[i], nullptr, false);
    bool last = i + 1 == lines.size();
    if (j.is_discarded() || !j.is_object() || !j.contains("type") || !j["type"].is_string()) {
      if (last && !ends_in_newline && i > 0) break;  // a partial last line: skip it
      if (i == 0) {
        error = fmt::format("{}: not a lucid-console recording (no header line)", path);
        return false;
      }
      error = fmt::format("{}:{}: not a lucid-console recording line", path, i + 1);
      return false;
    }
    recorded_event e;
    e.type = j["type"].get<std::string>();
    if (i == 0 && (e.type != "header" || j.value("format", "") != "lucid-console-recording")) {
      error = fmt::format("{}: not a lucid-console recording (no header line)", path);
      return false;
    }
    if (j.contains("t") && j["t"].is_number()) e.t = j["t"].get<double>();
    e.json = std::move(lines[i]);
    out.push_back(std::move(e));
  }
  return true;
}

}  // namespace

bool read_recording(const std::string& path, std::vector<recorded_event>& out, std::string& error) {
  out.clear();
  std::error_code ec;
  if (std::filesystem::exists(path + ".1", ec) && !read_one(path + ".1", out, error)) return false;
  if (!read_one(path, out, error)) return false;
  // A header takes the time of the event after it.
  for (std::size_t i = out.size(); i-- > 0;)
    if (out[i].type == "header") out[i].t = i + 1 < out.size() ? out[i + 1].t : 0;
  return true;
}

bool parse_time(const std::string& s, double& seconds) {
  std::size_t used = 0;
  double v = 0;
  try {
    v = std::stod(s, &used);
  } catch (const std::exception&) {
    return false;
  }
  std::string unit = s.substr(used);
  double scale = unit.empty() || unit == "s" ? 1 : unit == "ms" ? 1e-3 : unit == "m" ? 60 : -1;
  if (scale < 0 || v < 0) return false;
  seconds = v * scale;
  return true;
}

bool dump_at(const std::vector<recorded_event>& events, double at, std::ostream& out,
             std::string& error) {
  wire::replica r;
  for (const recorded_event& e : events) {
    if (e.type != "header" && e.t > at + 1e-9) break;
    (void)r.apply(e.json);  // a delta after a gap fails; the next snapshot resets
  }
  if (!r.ready()) {
    error = events.size() > 1
                ? fmt::format("no snapshot at or before t={}s (the recording starts at t={}s)", at,
                              events[1].t)
                : "the recording holds no events";
    return false;
  }
  out << fmt::format("lucid-console: {} (pid {}) at t={:.1f}s (seq {})\n", r.process().program,
                     r.process().pid, r.t(), r.seq());
  lucid::console::dump(out, r.view());
  return true;
}

replay::replay(std::vector<recorded_event> events, model& m) : events_(std::move(events)), m_(m) {
  if (!events_.empty()) clock_ = events_.front().t;
  advance(0);
}

void replay::apply(const recorded_event& e) {
  if (!m_.apply(e.json)) {
    // A gap (or a line the replica rejects): keep going; the next keyframe resets.
  }
}

void replay::advance(double wall_s) {
  if (!paused_) clock_ += wall_s * speed_;
  while (next_ < events_.size() && events_[next_].t <= clock_ + 1e-9)
    apply(events_[next_++]);
  if (done() && !events_.empty()) clock_ = std::min(clock_, events_.back().t);
}

bool replay::step() {
  if (next_ >= events_.size()) return false;
  clock_ = std::max(clock_, events_[next_].t);
  apply(events_[next_++]);
  return true;
}

void replay::faster() {
  speed_ = std::min(16.0, speed_ * 2);
}
void replay::slower() {
  speed_ = std::max(0.25, speed_ / 2);
}

std::string replay::status() const {
  return fmt::format("replay t={:.1f}s x{:g}{}{}", clock_, speed_, paused_ ? " paused" : "",
                     done() ? " (end)" : "");
}

}  // namespace lucid::console::tui
