// The spawn-site table (see task/sites.hpp).
#include "task/sites.hpp"

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <unordered_set>

namespace lucid::detail {

namespace {

struct site_hash {
  std::size_t operator()(const source_site& s) const noexcept {
    auto h = reinterpret_cast<std::uintptr_t>(s.file) * 0x9E3779B97F4A7C15ull;
    h ^= reinterpret_cast<std::uintptr_t>(s.function) * 0xC2B2AE3D27D4EB4Full;
    h ^= static_cast<std::uintptr_t>(s.line) * 0x165667B19E3779F9ull;
    return static_cast<std::size_t>(h ^ (h >> 29));
  }
};
struct site_eq {
  bool operator()(const source_site& a, const source_site& b) const noexcept {
    return a.file == b.file && a.function == b.function && a.line == b.line;
  }
};

struct site_table {
  std::mutex mu;
  std::unordered_set<source_site, site_hash, site_eq> sites;  ///< nodes never move
};

site_table& table() {
  static site_table* t = new site_table;  // never destroyed: tasks may outlive statics
  return *t;
}

/// A cached site keeps its key beside the interned pointer, so a hit reads
/// one line of the thread's own cache.
struct cache_slot {
  source_site key;
  const source_site* interned = nullptr;
};
constexpr std::size_t kCacheSlots = 64;
thread_local cache_slot tls_cache[kCacheSlots];

}  // namespace

const source_site* intern_site(const source_site& s) {
  if (s.file == nullptr) return nullptr;
  cache_slot& slot = tls_cache[site_hash{}(s) % kCacheSlots];
  if (site_eq{}(slot.key, s)) return slot.interned;
  site_table& t = table();
  std::lock_guard l(t.mu);
  const source_site* found = &*t.sites.insert(s).first;
  slot = cache_slot{s, found};
  return found;
}

}  // namespace lucid::detail
