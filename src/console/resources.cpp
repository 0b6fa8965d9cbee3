// The console's resource tracker: an observer (lucid/rt/observer.hpp),
// installed while aggregation is on, that keeps every live resource with its
// kind, creation site and header, so resources nobody waits on show too (a
// wait record only shows the resources tasks wait on). Holders and fill are
// read through the header's ops when a snapshot is taken, as for the
// resources tasks wait on: the tracker takes no acquire or release events
// (each was an observer walk and a map edit under a lock, per lock taken:
// lock-heavy programs ran 3-4x slower with a console). Waiters are not
// tracked either: the snapshot reads them from the tasks' wait records.
//
// Threads: callbacks run on any thread, concurrently; the table is split in
// 16 shards by resource id, each under its own spin lock, held for a map
// operation, or by copy() while it reads a shard's resources. A resource
// stays alive while it is in the table: it calls on_resource_dropped (which
// takes the shard's lock) before it is destroyed, so a header is read only
// under the lock of a shard that still holds it. When aggregation is turned
// off the tracker is removed (no more callbacks) and emptied, since drops
// that follow no longer reach it.
#include <array>
#include <chrono>
#include <map>
#include <mutex>
#include <vector>

#include "console_internal.hpp"
#include "lucid/base/spin_lock.hpp"
#include "lucid/rt/detail/current.hpp"
#include "lucid/rt/detail/task_stats.hpp"
#include "lucid/rt/detail/wait_record.hpp"
#include "lucid/rt/observer.hpp"

namespace lucid::console::detail {

namespace {

/// Set on the console server's thread: what its own tasks create and wait
/// on is not the program's, and is not tracked.
thread_local bool t_untracked = false;

struct tracked {
  const resource_kind* kind = nullptr;
  source_site site{};
  const lucid::detail::resource_header* header = nullptr;  ///< null: no holders or fill to read
};

class tracker final : public observer {
 public:
  /// Creation and drop only: polls, wake-ups, spawns, waits and lock
  /// acquisitions do not walk the observers for it.
  std::uint32_t observed_events() const noexcept override {
    return observer_events::on_resource_created | observer_events::on_resource_dropped;
  }
  void on_resource_created(resource_id id, const resource_kind& kind, source_site site,
                           const lucid::detail::resource_header* header) noexcept override {
    if (t_untracked) return;
    auto& s = shard(id);
    std::lock_guard g(s.lock);
    tracked& t = s.items[id];
    t.kind = &kind;
    t.site = site;
    t.header = header;
  }
  void on_resource_dropped(resource_id id) noexcept override {
    auto& s = shard(id);
    std::lock_guard g(s.lock);
    s.items.erase(id);
  }

  /// Forgets every resource (after the tracker was removed).
  void clear() noexcept {
    for (auto& s : shards_) {
      std::lock_guard g(s.lock);
      s.items.clear();
    }
  }

  std::vector<resource_view> copy() {
    std::vector<resource_view> out;
    const std::int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                 std::chrono::steady_clock::now().time_since_epoch())
                                 .count();
    std::vector<std::pair<source_site, std::vector<std::uintptr_t>>> made;  // one per entry of out
    for (auto& s : shards_) {
      std::lock_guard g(s.lock);
      for (const auto& [id, t] : s.items) {
        resource_view v;
        v.id = id;
        v.kind = t.kind ? std::string(t.kind->name) : "?";
        std::vector<std::uintptr_t> stack;
        if (t.header != nullptr) {  // alive: a dropped resource leaves the shard first
          read_resource(*t.header, now, v);
          stack = creation_stack_of(*t.header);
        }
        out.push_back(std::move(v));
        made.emplace_back(t.site, std::move(stack));
      }
    }
    // Outside the shard locks: creating a resource takes them, and the first
    // symbolization (a resource made by std::make_shared) reads DWARF.
    for (std::size_t i = 0; i < out.size(); ++i)
      out[i].created_at = creation_location(made[i].first, made[i].second);
    return out;
  }

 private:
  struct alignas(64) table {
    lucid::detail::spin_lock lock;
    std::map<resource_id, tracked> items;
  };
  table& shard(resource_id id) noexcept { return shards_[id % shards_.size()]; }

  std::array<table, 16> shards_;
};

std::mutex g_agg_mu;
tracker* g_tracker = nullptr;  // guarded by g_agg_mu; never freed once made
bool g_on = false;

}  // namespace

std::vector<resource_view> tracked_resources() {
  std::lock_guard g(g_agg_mu);
  if (!g_on || g_tracker == nullptr) return {};
  return g_tracker->copy();
}

void untrack_this_thread() noexcept {
  t_untracked = true;
}

}  // namespace lucid::console::detail

namespace lucid::console {

void enable_aggregation(bool on) {
  std::lock_guard g(detail::g_agg_mu);
  if (on == detail::g_on) return;
  detail::g_on = on;
  lucid::detail::set_task_stats_enabled(on);
  if (on) {
    if (detail::g_tracker == nullptr) detail::g_tracker = new detail::tracker;
    add_observer(detail::g_tracker);
  } else {
    remove_observer(detail::g_tracker);
    detail::g_tracker->clear();  // drops no longer reach it: its headers may dangle
  }
}

bool aggregation_enabled() noexcept {
  return lucid::detail::task_stats_enabled();
}

}  // namespace lucid::console
