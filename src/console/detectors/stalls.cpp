// The stall detector: a worker whose poll word stays the same for
// LUCID_STALL_MS is in one long poll; its stack is captured by a signal in
// that worker and printed with the task, its spawn site and the blocking line.
//
// Contract: methods of the watchdog (detectors/watchdog.hpp), run on its
// thread only; they read the runtimes through rt's inspection interface and
// take shared().mu after rt's locks, never before.
#include <fmt/format.h>
#include <semaphore.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <set>
#include <sstream>

#include "detectors/watchdog.hpp"
#include "lucid/debug/backtrace_format.hpp"
#include "lucid/debug/crash_handler.hpp"
#include "lucid/debug/symbolize.hpp"
#include "lucid/rt/detail/frame_alloc.hpp"
#include "lucid/rt/detail/inspect.hpp"
#include "lucid/rt/detail/task_stats.hpp"
#include "lucid/rt/detail/wait_record.hpp"

namespace lucid::console::detectors {

void watchdog::check_stalls(std::int64_t now) {
  // A crash report in progress (its symbolization is slow) is no stall.
  if (debug::crash_report_in_progress()) return;
  struct stalled {
    std::uint64_t serial;
    unsigned worker;
    int tid;
    const void* cell;
    std::int64_t since;
  };
  std::vector<stalled> found;
  // Read the workers first, then update the table under shared().mu, which is
  // never held while taking rt's registry lock (take_snapshot takes them
  // in the other order).
  struct sample {
    std::pair<std::uint64_t, unsigned> key;
    lucid::detail::worker_probe w;
  };
  std::vector<sample> samples;
  lucid::detail::for_each_runtime([&](const lucid::detail::runtime_probe& rt) {
    for (std::size_t i = 0; i < rt.worker_count(); ++i) {
      lucid::detail::worker_probe w = rt.worker(i);
      samples.push_back({{rt.serial(), w.index}, w});
    }
  });
  {
    std::lock_guard g(shared().mu);
    std::set<std::pair<std::uint64_t, unsigned>> alive;
    for (const sample& sm : samples) {
      alive.insert(sm.key);
      poll_seen& p = shared().polls[sm.key];
      if (sm.w.poll_word == 0 || sm.w.exempt() || sm.w.poll_word != p.word) {
        p = poll_seen{sm.w.poll_word, now, false};
        continue;
      }
      if (!p.reported && now - p.since >= cfg_.stall_ns) {
        p.reported = true;
        found.push_back({sm.key.first, sm.key.second, sm.w.tid, sm.w.polling(), p.since});
      }
    }
    for (auto it = shared().polls.begin(); it != shared().polls.end();) {
      it = alive.count(it->first) ? std::next(it) : shared().polls.erase(it);
    }
  }
  for (const stalled& s : found)
    report_stall(s.serial, s.worker, s.tid, s.cell, s.since);
}

void watchdog::report_stall(std::uint64_t serial, unsigned worker, int tid, const void* cell,
                            std::int64_t since) {
  const std::int64_t ran_ns = now_ns() - since;
  // Capture the worker's stack while it is still in that poll.
  std::size_t n = 0;
  if (tid != 0) {
    while (sem_trywait(&g_capture_done) == 0) {
    }
    g_capture_n.store(0, std::memory_order_relaxed);
    g_capture_tid.store(tid, std::memory_order_release);
    if (::syscall(SYS_tgkill, ::getpid(), tid, kStallSignal) == 0) {
      if (wait_for(&g_capture_done, 200'000'000)) {
        n = g_capture_n.load(std::memory_order_acquire);
      }
    }
    g_capture_tid.store(0, std::memory_order_release);
  }
  // Name the task: the handler read it on the worker, inside the poll. Only
  // if it could not (no capture), walk the live tasks for the cell: a walk
  // of a million tasks costs more than the rest of the report.
  std::string label = "a task";
  location spawned;
  task_id id = 0;
  const auto name = [&](task_id task, std::string_view task_name, const source_site& s) {
    id = task;
    label =
        task_name.empty() ? fmt::format("task {}", id) : fmt::format("task {} '{}'", id, task_name);
    if (s.file != nullptr)
      spawned = location{detail::source_path(s.file), s.function ? s.function : "", s.line};
  };
  if (n != 0 && g_capture_task.cell == cell) {
    name(g_capture_task.id,
         std::string(g_capture_task.name) + (g_capture_task.name_cut ? "..." : ""),
         g_capture_task.spawn_site);
  } else {
    lucid::detail::for_each_runtime([&](const lucid::detail::runtime_probe& rt) {
      if (rt.serial() != serial) return;
      rt.for_each_task([&](const lucid::detail::task_probe& t) {
        if (t.cell() == cell) name(t.id(), t.name(), t.spawn_site());
      });
    });
  }
  std::vector<debug::symbolized_frame> frames;
  if (n != 0) frames = debug::symbolize(std::span<const std::uintptr_t>(g_capture_pcs, n));
  const debug::symbolized_frame* top = frames.empty() ? nullptr : debug::first_user_frame(frames);
  std::string site_key =
      detail::where(spawned) + (top ? top->file + ":" + std::to_string(top->line) : "");
  std::int64_t now = now_ns();
  auto& rl = rate_[site_key];
  if (rl.last != 0 && now - rl.last < 10'000'000'000) {  // one report per site per 10 s
    ++rl.suppressed;
    return;
  }
  rl.last = now;
  std::string msg = fmt::format(
      "lucid: stall: {} has been running for {} ms in one poll on worker {}, blocking it "
      "(LUCID_STALL_MS={})\n",
      label, ran_ns / 1'000'000, worker, cfg_.stall_ns / 1'000'000);
  if (rl.suppressed != 0) {
    msg += fmt::format("  ({} more stall{} at this site since the last report)\n", rl.suppressed,
                       rl.suppressed == 1 ? "" : "s");
    rl.suppressed = 0;
  }
  if (spawned.known()) msg += fmt::format("  spawned at {}\n", detail::where(spawned));
  if (top != nullptr) {
    msg += fmt::format("  blocking in {} at {}:{}\n", top->function, debug::display_path(top->file),
                       top->line);
  }
  if (!frames.empty()) {
    debug::report_options o = debug::report_options::from_env(2);
    if (o.style == debug::backtrace_style::off) o.style = debug::backtrace_style::brief;
    msg += "  the worker's stack when the stall was seen:\n";
    msg += debug::format_backtrace(frames, o);
    if (msg.back() != '\n') msg += '\n';
  } else {
    msg += "  (the worker's stack could not be captured)\n";
  }
  emit(msg);
  detail::add_warning({"stall", id, msg});
}

}  // namespace lucid::console::detectors
