// Text helpers of lucid-console (see text.hpp).
#include "text.hpp"

#include <fmt/format.h>

#include <cctype>

namespace lucid::console::tui {

std::string duration(double s) {
  if (s < 0) return "-";
  if (s == 0) return "0s";
  if (s < 1e-6) return fmt::format("{:.0f}ns", s * 1e9);
  if (s < 1e-5) return fmt::format("{:.1f}us", s * 1e6);
  if (s < 1e-3) return fmt::format("{:.0f}us", s * 1e6);
  if (s < 1e-2) return fmt::format("{:.2f}ms", s * 1e3);
  if (s < 1e-1) return fmt::format("{:.1f}ms", s * 1e3);
  if (s < 1) return fmt::format("{:.0f}ms", s * 1e3);
  if (s < 10) return fmt::format("{:.2f}s", s);
  if (s < 100) return fmt::format("{:.1f}s", s);
  if (s < 600) return fmt::format("{:.0f}s", s);
  auto m = static_cast<long>(s / 60);
  if (m < 100) return fmt::format("{}m{}s", m, static_cast<long>(s) % 60);
  if (m < 6000) return fmt::format("{}h{}m", m / 60, m % 60);
  return fmt::format("{}h", m / 60);
}

std::string duration_ns(std::uint64_t ns) {
  return duration(static_cast<double>(ns) * 1e-9);
}

std::string where(const location& l) {
  if (!l.known()) return "?";
  return fmt::format("{}:{}", l.file, l.line);
}

const task_view* find_task(const snapshot& s, task_id id) {
  if (const task_view* t = s.task(id)) return t;
  for (const task_view& t : s.finished)
    if (t.id == id) return &t;
  return nullptr;
}

std::string task_label(const snapshot& s, task_id id) {
  const task_view* t = find_task(s, id);
  if (t == nullptr || t->name.empty()) return fmt::format("task {}", id);
  return fmt::format("task {} '{}'", id, t->name);
}

std::string wait_target(const wait& w) {
  if (w.joined != 0) return fmt::format("join task {}", w.joined);
  if (w.resource != 0) return fmt::format("{}#{}", w.kind, w.resource);
  return w.kind;
}

std::string fill(std::int64_t capacity, std::int64_t length, std::int64_t senders,
                 std::int64_t permits, std::int64_t readers, int closed) {
  std::string out;
  auto add = [&](std::string part) {
    if (!out.empty()) out += ", ";
    out += part;
  };
  if (capacity > 0)
    add(fmt::format("{}/{} queued", length, capacity));
  else if (capacity == 0 && length >= 0)
    add(fmt::format("{} queued", length));
  else if (length >= 0 && capacity < 0)
    add(fmt::format("{} ready", length));
  if (senders >= 0) add(fmt::format("{} sender{}", senders, senders == 1 ? "" : "s"));
  if (permits >= 0) add(fmt::format("{} permit{}", permits, permits == 1 ? "" : "s"));
  if (readers > 0) add(fmt::format("{} reader{}", readers, readers == 1 ? "" : "s"));
  if (closed == 1) add("closed");
  return out;
}

std::string doing(const snapshot& s, const task_view& t) {
  if (t.state == "running") {
    if (t.worker >= 0)
      return fmt::format("running on worker {} for {}", t.worker, duration(t.running_s));
    return "running";
  }
  const strand_view* st = t.root.waiting ? &t.root : nullptr;
  if (st == nullptr)
    for (const strand_view& b : t.branches)
      if (b.waiting) {
        st = &b;
        break;
      }
  if (st == nullptr) return t.state == "scheduled" ? "woken, waiting for a worker" : "";
  const wait& w = st->wait;
  std::string out = wait_target(w);
  if (!w.what.empty()) out += fmt::format(" [{}]", w.what);
  // The fill first: a full channel's row must show it before it is cut.
  std::string f = fill(w.capacity, w.length, w.senders, w.permits, w.readers, w.closed);
  if (!f.empty()) out += " (" + f + ")";
  for (const holder& h : w.holders) {
    const holder_role role = role_of_holders(w);
    out += (role == holder_role::receiver ? " received by "
            : role == holder_role::sender ? " sender in "
            : role == holder_role::permit ? " permit in "
                                          : " held by ") +
           task_label(s, h.task);
  }
  out += " " + duration(w.waiting_s);
  if (t.branches.size() > 1) out += fmt::format(" +{} more", t.branches.size() - 1);
  return out;
}

std::string fit(std::string_view s, int width, bool left) {
  if (width <= 0) return {};
  // Count columns as UTF-8 code points (the protocol's text is UTF-8).
  auto cols = [](std::string_view v) {
    int n = 0;
    for (unsigned char c : v)
      if ((c & 0xC0) != 0x80) ++n;
    return n;
  };
  int n = cols(s);
  if (n <= width) return std::string(s) + std::string(static_cast<std::size_t>(width - n), ' ');
  std::string out;
  if (left) {
    // Keep the last width - 1 columns.
    int skip = n - (width - 1), seen = 0;
    std::size_t i = 0;
    for (; i < s.size(); ++i) {
      if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80 && seen++ == skip) break;
    }
    return "~" + std::string(s.substr(i));
  }
  int seen = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80 && ++seen > width - 1) break;
    out += s[i];
  }
  return out + "~";
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace lucid::console::tui
