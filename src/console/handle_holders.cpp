// lucid::console handle holders (see handle_holders.hpp for what is searched,
// in which order, and how sure each answer is).
#include "handle_holders.hpp"

#include <algorithm>
#include <span>
#include <unordered_map>
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

/// The objects step 3 reads in one snapshot at most (one system call each).
constexpr std::size_t kMaxObjects = 20'000;

/// Where a handle was found by steps 2 and 3: in a frame, in a container in
/// a frame, in a container in an object a frame points to, or that object's
/// own member.
enum class found { in_frame, in_container, in_object_container, in_object };

/// A handle found in a container in a frame: how (a vector's range first,
/// then a node-based container's element), the range's width (the narrowest
/// vector wins) and the frame.
struct container_hit {
  int rank = 0;  ///< 0: a vector's elements; 1: a node's element
  std::uintptr_t width = 0;
  frame_extent frame;
};

holder make_holder(const frame_extent& f, found how) {
  holder h;
  h.task = f.task;
  h.acquired_at = make_location(f.at.file, f.at.function, f.at.line);
  h.in_frame = how == found::in_frame;
  h.in_container = how == found::in_container || how == found::in_object_container;
  h.via_object = how == found::in_object_container || how == found::in_object;
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

bool plausible_pointer(std::uintptr_t p) {
  return p >= 4096 && (p & 7) == 0 && p < (std::uintptr_t{1} << 47);
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

/// Calls fn(frame, its words) for every suspended frame of every claimed
/// task (a walk of every runtime's tasks, each claimed again).
template <typename Fn>
void for_each_claimed_frame(Fn&& fn) {
  std::vector<std::uintptr_t> words;
  auto scan_strand = [&](const lucid::detail::strand& s, task_id task) {
    for (const lucid::detail::promise_base* p = s.leaf; p != nullptr; p = p->parent_) {
      if (auto f = extent_of(*p, task, p->site())) {
        copy_words(*f, words);
        fn(*f, words);
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
}

/// The handles in `sorted` whose links lie whole in [begin, end).
std::span<const std::uintptr_t> handles_in(const std::vector<std::uintptr_t>& sorted,
                                           std::uintptr_t begin, std::uintptr_t end) {
  auto first = std::lower_bound(sorted.begin(), sorted.end(), begin);
  auto last = first;
  while (last != sorted.end() && *last + kLinkBytes <= end)
    ++last;
  return {first, last};
}

/// Whether [w[0], w[1]) with capacity w[2] looks like a std::vector's
/// elements before the heap is asked (see scan_words).
bool vector_shape(const std::uintptr_t* w, const std::vector<std::uintptr_t>& known) {
  const std::uintptr_t begin = w[0], end = w[1], cap = w[2];
  if ((begin & 7) != 0 || end <= begin || cap < end || cap - begin > kMaxRange) return false;
  return !contains(known, begin) && !contains(known, end) && !contains(known, cap);
}

/// A vector's elements are a heap block of their own, at least capacity
/// long: three ascending pointers of an array (a hash table's buckets) are
/// not. Unchecked where this process may not read itself (a sandbox): the
/// three words are all there is then.
bool vector_block(std::uintptr_t begin, std::uintptr_t cap) {
  return !heap_blocks_known() || heap_block_bytes(begin) >= cap - begin;
}

/// Scans `w`, the words of memory starting at `base`, for a std::vector's
/// three pointers (begin <= end <= capacity, begin 8-aligned, at most
/// kMaxRange apart, begin the start of a heap block at least capacity long:
/// heap_block_bytes) whose elements [begin, end) hold one of the handles in
/// `sorted`, then for a std::deque's buffers and node-based containers
/// (container_nodes.hpp) with an element holding one; calls hit(handle,
/// rank, width) for each (rank 0 and the range's width for a vector or a
/// deque's buffer, rank 1 for a node). A word equal to a
/// handle's address (`known`) is a handle's link to its neighbour, not a
/// vector's: triples with one are skipped.
template <typename Hit>
void scan_words(const std::vector<std::uintptr_t>& w, std::uintptr_t base,
                const std::vector<std::uintptr_t>& sorted, const std::vector<std::uintptr_t>& known,
                Hit&& hit) {
  const std::size_t n = w.size();
  for (std::size_t i = 0; i + 2 < n; ++i) {
    const std::uintptr_t begin = w[i], end = w[i + 1], cap = w[i + 2];
    if (!vector_shape(&w[i], known)) continue;
    const auto in = handles_in(sorted, begin, end);
    if (in.empty() || !vector_block(begin, cap)) continue;  // the heap asked only then
    for (std::uintptr_t h : in)
      hit(h, 0, end - begin);
  }
  // A deque's buffers, each an exact range like a vector's.
  for_each_deque_range(w.data(), n, [&](std::uintptr_t begin, std::uintptr_t end) {
    for (std::uintptr_t h : handles_in(sorted, begin, end))
      hit(h, 0, end - begin);
  });
  for_each_node_element(w.data(), n, base, known, [&](std::uintptr_t element) {
    for (std::uintptr_t h : handles_in(sorted, element, element + kElementWindow))
      hit(h, 1, 0);
  });
}

/// Step 2 of the header: containers in the frames.
std::map<std::uintptr_t, container_hit> search_containers(
    const std::vector<std::uintptr_t>& sorted, const std::vector<std::uintptr_t>& known) {
  std::map<std::uintptr_t, container_hit> hits;
  for_each_claimed_frame([&](const frame_extent& f, const std::vector<std::uintptr_t>& words) {
    scan_words(
        words, f.start, sorted, known, [&](std::uintptr_t handle, int rank, std::uintptr_t width) {
          auto [h, fresh] = hits.try_emplace(handle, container_hit{rank, width, f});
          if (!fresh &&
              (rank < h->second.rank || (rank == h->second.rank && width < h->second.width))) {
            h->second = {rank, width, f};
          }
        });
  });
  return hits;
}

/// What step 3 found: the handles in each object read, and for each handle
/// the frames pointing to an object holding it (with that object).
struct object_hits {
  /// A frame pointing to an object that holds a handle: directly, through
  /// an element of a container in the frame (3b), or through an element of
  /// a container in an object the frame points to (3c).
  struct candidate {
    frame_extent frame;
    std::uintptr_t object = 0;
    bool member = false;  ///< the object's own member, else in a container in it
    bool via_element = false;
    bool via_object_element = false;
  };
  /// A handle an object holds, and whether as its own member.
  struct held {
    std::uintptr_t handle = 0;
    bool member = false;
  };
  std::unordered_map<std::uintptr_t, std::vector<held>> held_at;  // object -> handles
  /// For an object a frame points to: the handles held by the objects the
  /// elements of its containers point to, each with that object (3c).
  std::unordered_map<std::uintptr_t, std::vector<std::pair<held, std::uintptr_t>>> deep;
  std::map<std::uintptr_t, std::vector<candidate>> candidates;
};

/// The most words of container elements read per frame for step 3b.
constexpr std::size_t kMaxElementWords = 4096;

/// The words of the elements of the containers in `w` (a frame's words,
/// from `base`): a std::vector's and a std::deque buffer's elements, and
/// each node element's first words, read through read_own_memory(), at most
/// kMaxElementWords in all. A range inside a frame (`in_frame`) is a wait
/// node's links, not a container's elements.
template <typename InFrame>
std::vector<std::uintptr_t> element_words(const std::vector<std::uintptr_t>& w, std::uintptr_t base,
                                          const std::vector<std::uintptr_t>& known,
                                          InFrame&& in_frame) {
  std::vector<std::uintptr_t> out;
  auto take = [&](std::uintptr_t begin, std::uintptr_t end) {
    if (out.size() >= kMaxElementWords || end <= begin) return;
    const std::size_t n = std::min<std::size_t>((end - begin) / sizeof(std::uintptr_t),
                                                kMaxElementWords - out.size());
    if (n == 0) return;
    const std::size_t at = out.size();
    out.resize(at + n);
    const std::size_t got = read_own_memory(begin, out.data() + at, n * sizeof(std::uintptr_t));
    out.resize(at + got / sizeof(std::uintptr_t));
  };
  for (std::size_t i = 0; i + 2 < w.size(); ++i) {
    if (vector_shape(&w[i], known) && !in_frame(w[i]) && vector_block(w[i], w[i + 2]))
      take(w[i], w[i + 1]);
  }
  for_each_deque_range(w.data(), w.size(), take);
  for_each_node_element(w.data(), w.size(), base, known,
                        [&](std::uintptr_t element) { take(element, element + kElementWindow); });
  return out;
}

/// Step 3 of the header: containers in the objects the frames point to.
/// Each object is read once, however many frames point to it; every frame
/// that points to one holding a handle is a candidate for that handle.
template <typename InFrame>
object_hits search_objects(const std::vector<std::uintptr_t>& sorted,
                           const std::vector<std::uintptr_t>& known, InFrame&& in_frame) {
  object_hits out;
  auto& held_at = out.held_at;
  std::vector<std::uintptr_t> object(kMaxObjectWords);
  std::vector<std::uintptr_t> read;  // the words of the object read last
  // Reads object p's words into `read`: only a heap block's own bytes, past
  // whose end lie other objects.
  auto read_object = [&](std::uintptr_t p) {
    const std::size_t got = read_heap_object(p, object.data(), object.size());
    read.assign(object.begin(), object.begin() + static_cast<std::ptrdiff_t>(got));
  };
  // The handles object p holds (as members or in its containers), reading
  // it the first time (then `fresh`, and its words are in `read`); null
  // once kMaxObjects objects were read.
  auto load = [&](std::uintptr_t p, bool& fresh) -> const std::vector<object_hits::held>* {
    fresh = false;
    auto it = held_at.find(p);
    if (it != held_at.end()) return &it->second;
    if (held_at.size() >= kMaxObjects) return nullptr;
    it = held_at.try_emplace(p).first;
    fresh = true;
    read_object(p);
    // A handle that is the object's own member (a session's sender), within
    // the bytes read.
    for (std::uintptr_t h : handles_in(sorted, p, p + read.size() * sizeof(std::uintptr_t)))
      it->second.push_back({h, true});
    scan_words(read, p, sorted, known, [&](std::uintptr_t handle, int, std::uintptr_t) {
      it->second.push_back({handle, false});
    });
    return &it->second;
  };
  auto pointer_to_object = [&](std::uintptr_t p) {
    return plausible_pointer(p) && !contains(known, p);
  };
  // 3c: the handles in the objects that the elements of object p's
  // containers point to (a server's registry of sessions, the server being
  // a member coroutine's `this`), found once per object.
  auto deep_of =
      [&](std::uintptr_t p,
          bool fresh) -> const std::vector<std::pair<object_hits::held, std::uintptr_t>>& {
    auto [d, first] = out.deep.try_emplace(p);
    if (!first) return d->second;
    if (!fresh) read_object(p);  // read before, through a container's element
    const std::vector<std::uintptr_t> elements = element_words(read, p, known, in_frame);
    for (std::uintptr_t q : elements) {
      if (q == p || !pointer_to_object(q)) continue;
      bool q_fresh = false;
      if (const std::vector<object_hits::held>* hs = load(q, q_fresh)) {
        for (const object_hits::held& h : *hs)
          d->second.emplace_back(h, q);
      }
    }
    return d->second;
  };
  auto add = [&](const object_hits::held& h, const frame_extent& f, std::uintptr_t obj,
                 bool via_element, bool via_object_element) {
    auto& c = out.candidates[h.handle];
    if (c.empty() || c.back().frame.task != f.task || c.back().object != obj)
      c.push_back({f, obj, h.member, via_element, via_object_element});
  };
  for_each_claimed_frame([&](const frame_extent& f, const std::vector<std::uintptr_t>& words) {
    auto visit = [&](std::uintptr_t p, bool via_element) {
      if ((p >= f.start && p < f.end) || !pointer_to_object(p)) return;
      bool fresh = false;
      const std::vector<object_hits::held>* hs = load(p, fresh);
      if (hs == nullptr) return;
      for (const object_hits::held& h : *hs)
        add(h, f, p, via_element, false);
      if (via_element) return;
      for (const auto& [h, q] : deep_of(p, fresh))
        add(h, f, q, false, true);
    };
    for (std::uintptr_t p : words)
      visit(p, false);
    // 3b: the objects the elements of the frame's containers point to (a
    // registry of shared_ptrs to sessions).
    for (std::uintptr_t p : element_words(words, f.start, known, in_frame))
      visit(p, true);
  });
  return out;
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
    bool search, const std::map<resource_id, std::set<task_id>>& waiting) {
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
        hs.push_back(make_holder(*f, found::in_frame));
      } else {
        left.emplace_back(id, a);
      }
    }
  }
  if (!search || left.empty()) return held;
  std::vector<std::uintptr_t> known;
  for (const auto& [_, h] : handles)
    known.insert(known.end(), h.at.begin(), h.at.end());
  std::sort(known.begin(), known.end());
  auto sorted_of = [](const std::vector<std::pair<resource_id, std::uintptr_t>>& v) {
    std::vector<std::uintptr_t> out;
    for (const auto& [_, a] : v)
      out.push_back(a);
    std::sort(out.begin(), out.end());
    return out;
  };
  const std::map<std::uintptr_t, container_hit> hits = search_containers(sorted_of(left), known);
  std::vector<std::pair<resource_id, std::uintptr_t>> still;  // in no frame's container
  for (const auto& [id, a] : left) {
    auto it = hits.find(a);
    if (it != hits.end()) {
      held[id].push_back(make_holder(it->second.frame, found::in_container));
    } else {
      still.emplace_back(id, a);
    }
  }
  if (still.empty()) return held;
  const object_hits found_in = search_objects(
      sorted_of(still), known, [&](std::uintptr_t a) { return frame_of(a) != nullptr; });
  std::map<std::uintptr_t, resource_id> resource_of;
  for (const auto& [id, a] : still)
    resource_of.emplace(a, id);
  // An object's consumers: the tasks waiting on a resource whose handle it
  // holds (callers whose replies wait in a client's map). They point to it
  // to wait, not to answer.
  auto consumer = [&](std::uintptr_t object, task_id task) {
    auto it = found_in.held_at.find(object);
    if (it == found_in.held_at.end()) return false;
    for (const object_hits::held& h : it->second) {
      auto r = resource_of.find(h.handle);
      if (r == resource_of.end()) continue;
      auto w = waiting.find(r->second);
      if (w != waiting.end() && w->second.count(task) != 0) return true;
    }
    return false;
  };
  for (const auto& [id, a] : still) {
    auto it = found_in.candidates.find(a);
    if (it == found_in.candidates.end()) continue;
    // Among those that are not the object's consumers (else among all),
    // those found nearest their frame (3c's objects are one pointer
    // further than 3a's and 3b's), and among those the lowest task id.
    const object_hits::candidate* best = nullptr;
    bool best_consumes = false;
    auto depth = [](const object_hits::candidate& c) { return c.via_object_element ? 1 : 0; };
    for (const object_hits::candidate& c : it->second) {
      const bool consumes = consumer(c.object, c.frame.task);
      if (best == nullptr || (best_consumes && !consumes) ||
          (best_consumes == consumes &&
           (depth(c) < depth(*best) ||
            (depth(c) == depth(*best) && c.frame.task < best->frame.task)))) {
        best = &c;
        best_consumes = consumes;
      }
    }
    holder h =
        make_holder(best->frame, best->member ? found::in_object : found::in_object_container);
    h.via_element = best->via_element;
    h.via_object_element = best->via_object_element;
    held[id].push_back(h);
  }
  return held;
}

}  // namespace lucid::console::detail
