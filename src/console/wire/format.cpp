// The task dump (console::dump of a snapshot) and the descriptions every
// console report shares (format.hpp). In the wire library, so that a client
// prints the dump of a replayed state exactly as the program would.
//
// Contract: formats a snapshot; touches no runtime state.
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <ostream>
#include <tuple>

#include "format.hpp"
#include "lucid/base/source_path.hpp"

namespace lucid::console {

namespace detail {

std::string source_path(const char* file) {
  return std::string(lucid::source_path(std::string_view(file)));
}

std::string where(const location& l) {
  if (!l.known()) return "<unknown>";
  return fmt::format("{}:{}", l.file, l.line);
}

std::string task_label(const snapshot& s, task_id id) {
  const task_view* t = s.task(id);
  if (t == nullptr || t->name.empty()) return fmt::format("task {}", id);
  return fmt::format("task {} '{}'", id, t->name);
}

std::string held_in(const location& frame) {
  if (!frame.function.empty() && frame.known())
    return fmt::format(" (in {}, at {})", frame.function, where(frame));
  if (!frame.function.empty()) return fmt::format(" (in {})", frame.function);
  if (frame.known()) return fmt::format(" (at {})", where(frame));
  return "";
}

std::string held_by_text(const snapshot& s, const holder& h, bool say_probably) {
  return (say_probably && h.guessed() ? "probably " : "") + task_label(s, h.task) +
         std::string(held_via(h)) + held_in(h.acquired_at);
}

std::string describe_wait(const snapshot& s, const wait& w) {
  std::string out;
  if (w.joined != 0) {
    out = fmt::format("the join handle of {}", task_label(s, w.joined));
  } else if (w.resource != 0) {
    out = fmt::format("{}#{}", w.kind, w.resource);
    if (w.created_at.known()) out += fmt::format(" (created at {})", where(w.created_at));
  } else {
    out = w.kind;
  }
  if (!w.what.empty()) out += fmt::format(" [{}]", w.what);
  const holder_role role = role_of_holders(w);
  // Holders found in containers are guesses: "probably" before "held" when
  // every one is, before each such holder's name when some are not.
  const bool all_guessed =
      !w.holders.empty() &&
      std::all_of(w.holders.begin(), w.holders.end(), [](const holder& h) { return h.guessed(); });
  const std::string_view held = all_guessed ? "probably held" : "held";
  for (std::size_t i = 0; i < w.holders.size(); ++i) {
    const holder& h = w.holders[i];
    if (role == holder_role::sender || role == holder_role::permit) {
      if (i == 0) {
        out += w.holders.size() > 1 ? fmt::format(" whose {}s are {} by ", holder_noun(role), held)
                                    : fmt::format(" whose {} is {} by ", holder_noun(role), held);
      } else {
        out += ", ";
      }
      out += held_by_text(s, h, !all_guessed);
      continue;
    }
    if (role == holder_role::receiver && h.by_handle()) {
      out += fmt::format(" whose receiver is {} by {}", held, held_by_text(s, h, false));
      continue;
    }
    if (role == holder_role::receiver) {
      out += fmt::format(" whose receiver is in {}", task_label(s, h.task));
      if (h.acquired_at.known())
        out += fmt::format(" (which received from it at {})", where(h.acquired_at));
      continue;
    }
    out += fmt::format(" held by {} since {:.1f} s", task_label(s, h.task), h.held_s);
    if (h.acquired_at.known()) out += fmt::format(" (locked at {})", where(h.acquired_at));
  }
  if (w.kind == "oneshot") {
    out += w.length > 0    ? ": a value is ready"
           : w.senders > 0 ? ": nothing sent yet, the sender is alive"
                           : ": the sender is gone";
  } else if (w.capacity >= 0) {
    out += fmt::format(": {} queued", w.length);
    if (w.capacity > 0) out += fmt::format(" of {}", w.capacity);
    out += fmt::format(", {} sender{} alive", w.senders, w.senders == 1 ? "" : "s");
    if (w.closed == 1) out += ", closed";
  }
  if (w.permits >= 0)
    out += fmt::format(": {} permit{} available", w.permits, w.permits == 1 ? "" : "s");
  if (s.all_frames && w.handles > static_cast<std::int64_t>(w.holders.size())) {
    const std::int64_t n = w.handles - static_cast<std::int64_t>(w.holders.size());
    out += fmt::format(
        " ({} {}{} in no suspended task's frame: on the heap, in a global, or in a "
        "running task)",
        n, holder_noun(role), n == 1 ? " is" : "s are");
  }
  if (w.readers > 0)
    out += w.readers == 1 ? std::string(": 1 reader holds it")
                          : fmt::format(": {} readers hold it", w.readers);
  return out;
}

bool await_unseen(const strand_view& root) {
  return !root.waiting && !root.chain.empty() && !root.chain.front().known();
}

std::string describe_chain(const strand_view& v, std::string_view indent) {
  std::string out;
  if (v.chain.empty()) {
    // A waiting strand has started: its only frame was a combinator's
    // adapter, which snapshots leave out (its wait says what it awaits).
    if (!v.waiting) out += fmt::format("{}╼ <not started>\n", indent);
    return out;
  }
  for (const location& l : v.chain) {
    if (!l.known()) {
      out += fmt::format("{}╼ <frame not suspended yet>\n", indent);
      continue;
    }
    out += fmt::format("{}╼ {} at {}\n", indent, l.function, where(l));
  }
  return out;
}

}  // namespace detail

namespace {

std::string headline(const snapshot& s, const task_view& t) {
  std::string out = detail::task_label(s, t.id) + " " + t.state;
  if (t.cancel_requested) out += " (cancel requested)";
  if (t.state == "running") {
    if (t.worker >= 0) out += fmt::format(" on worker {}", t.worker);
    if (t.running_s >= 0) out += fmt::format(" for {:.1f} s in one poll", t.running_s);
    return out;
  }
  if (t.root.waiting) {
    out += fmt::format(", waiting {:.1f} s on {}", t.root.wait.waiting_s,
                       detail::describe_wait(s, t.root.wait));
  }
  return out;
}

using group_key = std::tuple<std::string, std::vector<std::string>, std::string>;

group_key key_of(const snapshot& s, const task_view& t) {
  std::vector<std::string> chain;
  for (const location& l : t.root.chain)
    chain.push_back(detail::where(l) + l.function);
  for (const strand_view& b : t.branches) {
    for (const location& l : b.chain)
      chain.push_back(detail::where(l) + l.function);
  }
  std::string w = t.root.waiting ? t.root.wait.kind + std::to_string(t.root.wait.resource) : "";
  for (const holder& h : t.root.wait.holders)
    w += "/" + std::to_string(h.task);
  (void)s;
  return {t.state + detail::where(t.spawned_at), std::move(chain), std::move(w)};
}

}  // namespace

void dump(std::ostream& out, const snapshot& s) {
  out << fmt::format("lucid task dump: {} task{} in {} runtime{}\n", s.tasks.size(),
                     s.tasks.size() == 1 ? "" : "s", s.runtimes, s.runtimes == 1 ? "" : "s");
  // Tasks with the same state, spawn site, chain and wait are printed once.
  std::map<group_key, std::vector<task_id>> groups;
  std::vector<const task_view*> firsts;
  for (const task_view& t : s.tasks) {
    auto& g = groups[key_of(s, t)];
    if (g.empty()) firsts.push_back(&t);
    g.push_back(t.id);
  }
  for (const task_view* t : firsts) {
    out << "\n" << headline(s, *t) << "\n";
    for (const strand_view& b : t->branches) {
      out << "  in a branch";
      if (b.waiting)
        out << fmt::format(", waiting {:.1f} s on {}", b.wait.waiting_s,
                           detail::describe_wait(s, b.wait));
      const std::string chain = detail::describe_chain(b, "    ");
      out << (chain.empty() ? "\n" : ":\n") << chain;
    }
    if (t->state != "running") out << detail::describe_chain(t->root, "  ");
    if (t->state == "idle" && detail::await_unseen(t->root)) {
      out << "  (idle at an await lucid never saw: a frame the compiler laid out wrongly, see "
             "docs/debugging.md, \"Two GCC 12 bugs that look like lucid's\")\n";
    }
    if (t->stats.known) {
      const task_stats_view& st = t->stats;
      out << fmt::format("  {} poll{}, busy {:.3f} s, scheduled {:.3f} s, idle {:.3f} s", st.polls,
                         st.polls == 1 ? "" : "s", st.busy_s, st.scheduled_s, st.idle_s);
      if (st.poll_duration_ns.count() != 0) {
        out << fmt::format(
            ", poll p50 {} us, p99 {} us, max {} us", st.poll_duration_ns.percentile(50) / 1000,
            st.poll_duration_ns.percentile(99) / 1000, st.poll_duration_ns.max() / 1000);
      }
      out << "\n";
    }
    out << "  spawned at " << detail::where(t->spawned_at);
    if (t->parent != 0) out << " by " << detail::task_label(s, t->parent);
    out << "\n";
    const auto& ids = groups[key_of(s, *t)];
    if (ids.size() > 1) {
      out << fmt::format("  and {} more task{} like this:", ids.size() - 1,
                         ids.size() == 2 ? "" : "s");
      std::size_t shown = 0;
      for (std::size_t i = 1; i < ids.size() && shown < 20; ++i, ++shown)
        out << " " << ids[i];
      if (ids.size() - 1 > 20) out << " ...";
      out << "\n";
    }
  }
  if (!s.cycles.empty()) {
    out << "\nwait-for cycles:\n";
    for (const auto& c : s.cycles) {
      out << " ";
      for (task_id id : c)
        out << " " << detail::task_label(s, id) << " ->";
      out << " " << detail::task_label(s, c.front()) << "\n";
    }
  }
  out.flush();
}

}  // namespace lucid::console
