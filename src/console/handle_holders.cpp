// lucid::console handle holders (see handle_holders.hpp for what is searched,
// in which order, and how sure each answer is).
#include "handle_holders.hpp"

#include <algorithm>
#include <utility>

#include "console_internal.hpp"
#include "container_nodes.hpp"
#include "lucid/rt/detail/inspect.hpp"
#include "lucid/sync/detail/handle_registry.hpp"

namespace lucid::console::detail {

namespace {

/// The widest begin..end pair the container search believes: a vector of
/// about 30,000 senders. Wider pairs are two unrelated pointers.
constexpr std::uintptr_t kMaxRange = std::uintptr_t{1} << 20;

/// A handle found in heap memory a frame points to: how (a vector's range
/// first, then a node-based container's element), the range's width (the
/// narrowest vector wins) and the frame.
struct container_hit {
  int rank = 0;  ///< 0: a vector's elements; 1: a node's element
  std::uintptr_t width = 0;
  frame_extent frame;
};

holder make_holder(const frame_extent& f, bool in_frame) {
  holder h;
  h.task = f.task;
  h.acquired_at = make_location(f.at.file, f.at.function, f.at.line);
  h.in_frame = in_frame;
  h.in_container = !in_frame;
  return h;
}

/// The bytes of a handle's link (handle_registry.hpp): a handle's address
/// is its link's, which an element range holding the handle covers whole.
constexpr std::uintptr_t kLinkBytes = sizeof(lucid::detail::handle_link);
/// A node's element holds a handle that starts within its first 24 bytes
/// (after a key of an integer or a pointer). A wider window could reach into
/// the next heap block: a node of a map from int to a sender is 56 bytes,
/// and the block after it starts 64 bytes past it.
constexpr std::uintptr_t kElementWindow = 40;

bool contains(const std::vector<std::uintptr_t>& sorted, std::uintptr_t w) {
  return std::binary_search(sorted.begin(), sorted.end(), w);
}

/// Copies the words of one claimed frame, as numbers. Not instrumented by
/// TSan (see the header). The last word of the extent is not read: the
/// extent is rounded up to 16 bytes, past a malloc'd frame's end under ASan.
[[gnu::no_sanitize_thread]] void copy_words(const frame_extent& f,
                                            std::vector<std::uintptr_t>& out) {
  const auto* w = reinterpret_cast<const volatile std::uintptr_t*>(f.start);
  const std::size_t n = (f.end - f.start) / sizeof(std::uintptr_t);
  out.resize(n > 0 ? n - 1 : 0);
  std::uintptr_t* o = out.data();
  for (std::size_t i = 0; i + 1 < n; ++i)
    o[i] = w[i];
}

void note_hit(std::map<std::uintptr_t, container_hit>& hits, std::uintptr_t handle,
              const container_hit& hit) {
  auto [h, fresh] = hits.try_emplace(handle, hit);
  if (!fresh &&
      (hit.rank < h->second.rank || (hit.rank == h->second.rank && hit.width < h->second.width))) {
    h->second = hit;
  }
}

/// Scans a frame's words `w` for a std::vector's three pointers (begin <=
/// end <= capacity, begin 8-aligned, at most kMaxRange apart) whose elements
/// [begin, end) hold one of the handles in `sorted`, then for node-based
/// containers (container_nodes.hpp) with an element holding one. A word
/// equal to a handle's address (`known`) is a handle's link to its
/// neighbour, not a vector's: triples with one are skipped.
void scan_frame(const frame_extent& f, const std::vector<std::uintptr_t>& w,
                const std::vector<std::uintptr_t>& sorted, const std::vector<std::uintptr_t>& known,
                std::map<std::uintptr_t, container_hit>& hits) {
  const std::size_t n = w.size();
  for (std::size_t i = 0; i + 2 < n; ++i) {
    const std::uintptr_t begin = w[i], end = w[i + 1], cap = w[i + 2];
    if ((begin & 7) != 0 || end <= begin || cap < end || cap - begin > kMaxRange) continue;
    auto it = std::lower_bound(sorted.begin(), sorted.end(), begin);
    if (it == sorted.end() || *it + kLinkBytes > end) continue;
    if (contains(known, begin) || contains(known, end) || contains(known, cap)) continue;
    for (; it != sorted.end() && *it + kLinkBytes <= end; ++it)
      note_hit(hits, *it, {0, end - begin, f});
  }
  for_each_node_element(w.data(), n, f.start, [&](std::uintptr_t element) {
    auto it = std::lower_bound(sorted.begin(), sorted.end(), element);
    for (; it != sorted.end() && *it + kLinkBytes <= element + kElementWindow; ++it)
      note_hit(hits, *it, {1, 0, f});
  });
}

/// Step 2 of the header: every claimed task's frames, read again.
std::map<std::uintptr_t, container_hit> search_containers(
    const std::vector<std::uintptr_t>& sorted, const std::vector<std::uintptr_t>& known) {
  std::map<std::uintptr_t, container_hit> hits;
  std::vector<std::uintptr_t> words;
  auto scan_strand = [&](const lucid::detail::strand& s, task_id task) {
    for (const lucid::detail::promise_base* p = s.leaf; p != nullptr; p = p->parent_) {
      if (auto f = extent_of(*p, task, p->site())) {
        copy_words(*f, words);
        scan_frame(*f, words, sorted, known, hits);
      }
    }
  };
  lucid::detail::for_each_runtime([&](const lucid::detail::runtime_probe& rt) {
    rt.for_each_task([&](const lucid::detail::task_probe& t) {
      if (!t.claimed() || t.root() == nullptr) return;
      scan_strand(*t.root(), t.id());
      t.for_each_branch([&](const lucid::detail::strand& b) { scan_strand(b, t.id()); });
    });
  });
  return hits;
}

}  // namespace

std::optional<frame_extent> extent_of(const lucid::detail::promise_base& p, task_id task,
                                      const lucid::detail::await_point& at) {
  const std::size_t n = p.frame_bytes();
  if (n == 0) return std::nullopt;
  auto start = reinterpret_cast<std::uintptr_t>(
      const_cast<lucid::detail::promise_base&>(p).handle().address());
  return frame_extent{start, start + n, task, at};
}

std::map<resource_id, std::vector<holder>> locate_holders(
    const std::map<resource_id, handle_addresses>& handles, std::vector<frame_extent>& frames,
    bool search) {
  std::map<resource_id, std::vector<holder>> held;
  if (handles.empty()) return held;
  std::sort(frames.begin(), frames.end(),
            [](const frame_extent& a, const frame_extent& b) { return a.start < b.start; });
  auto frame_of = [&](std::uintptr_t addr) -> const frame_extent* {
    auto it = std::upper_bound(frames.begin(), frames.end(), addr,
                               [](std::uintptr_t a, const frame_extent& f) { return a < f.start; });
    if (it == frames.begin()) return nullptr;
    --it;
    return addr < it->end ? &*it : nullptr;
  };
  std::vector<std::pair<resource_id, std::uintptr_t>> left;  // in no frame
  for (const auto& [id, h] : handles) {
    std::vector<holder>& hs = held[id];
    for (std::uintptr_t a : h.at) {
      if (const frame_extent* f = frame_of(a)) {
        hs.push_back(make_holder(*f, true));
      } else {
        left.emplace_back(id, a);
      }
    }
  }
  if (!search || left.empty()) return held;
  std::vector<std::uintptr_t> sorted, known;
  for (const auto& [_, a] : left)
    sorted.push_back(a);
  for (const auto& [_, h] : handles)
    known.insert(known.end(), h.at.begin(), h.at.end());
  std::sort(sorted.begin(), sorted.end());
  std::sort(known.begin(), known.end());
  const std::map<std::uintptr_t, container_hit> hits = search_containers(sorted, known);
  for (const auto& [id, a] : left) {
    auto it = hits.find(a);
    if (it != hits.end()) held[id].push_back(make_holder(it->second.frame, false));
  }
  return held;
}

}  // namespace lucid::console::detail
