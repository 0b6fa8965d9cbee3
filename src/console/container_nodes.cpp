// lucid::console container nodes (see container_nodes.hpp for the layouts
// recognised and why heap memory is read only through read_own_memory()).
#include "container_nodes.hpp"

#include <sys/uio.h>
#include <unistd.h>

#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <vector>

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
// The sanitizers' allocator interface (compiler-rt's allocator_interface.h,
// which GCC does not install): safe on any pointer.
extern "C" int __sanitizer_get_ownership(const volatile void* p);
extern "C" std::size_t __sanitizer_get_allocated_size(const volatile void* p);
#endif

namespace lucid::console::detail {

namespace {

constexpr std::size_t kMaxNodes = std::size_t{1} << 12;
constexpr std::size_t kMaxReads = std::size_t{1} << 12;
/// The largest bucket array read to check an unordered_map (32 KiB).
constexpr std::size_t kMaxBuckets = std::size_t{1} << 12;
constexpr std::uintptr_t kWord = sizeof(std::uintptr_t);

bool plausible(std::uintptr_t p) {
  // 8-aligned, past the first page, under x86-64's and AArch64's 48-bit
  // user space.
  return p >= 4096 && (p & 7) == 0 && p < (std::uintptr_t{1} << 47);
}

/// One call's reads, counted against kMaxReads.
class reader {
 public:
  bool word(std::uintptr_t at, std::uintptr_t& out) {
    if (reads_ >= kMaxReads) return false;
    ++reads_;
    return read_own_memory(at, &out, kWord) == kWord;
  }
  bool words(std::uintptr_t at, std::uintptr_t* out, std::size_t n) {
    if (reads_ >= kMaxReads) return false;
    ++reads_;
    return read_own_memory(at, out, n * kWord) == n * kWord;
  }

  /// Whether `p` starts a heap block of at least `min` bytes: a node of a
  /// standard container is one, a node of an intrusive list (lucid's wait
  /// lists, inside coroutine frames) is not.
  bool block(std::uintptr_t p, std::size_t min) {
    if (reads_ >= kMaxReads) return false;
    ++reads_;
    return heap_block_bytes(p) >= min;
  }

 private:
  std::size_t reads_ = 0;
};

/// std::list: [next, prev, size] at `x`; not a handle registry (`links`).
void list_at(reader& r, const std::uintptr_t* w, std::uintptr_t x,
             const std::vector<std::uintptr_t>& links,
             const std::function<void(std::uintptr_t)>& element) {
  const std::uintptr_t next = w[0], prev = w[1], size = w[2];
  if (size == 0 || size > kMaxNodes || !plausible(next) || !plausible(prev) || next == x) return;
  if ((size == 1) != (next == prev)) return;  // one node is both ends
  if (!r.block(next, 3 * kWord)) return;
  if (std::binary_search(links.begin(), links.end(), next) ||
      std::binary_search(links.begin(), links.end(), prev)) {
    return;
  }
  std::uintptr_t back = 0, fwd = 0;
  if (!r.word(next + kWord, back) || back != x) return;
  if (!r.word(prev, fwd) || fwd != x) return;
  std::uintptr_t node = next;
  for (std::size_t i = 0; i < size && node != x && plausible(node); ++i) {
    element(node + 2 * kWord);
    if (!r.word(node, node)) return;
  }
}

/// std::map (_Rb_tree): the header [color, root, leftmost, rightmost] at
/// `x`, then the count.
void map_at(reader& r, const std::uintptr_t* w, std::uintptr_t x,
            const std::function<void(std::uintptr_t)>& element) {
  const std::uintptr_t root = w[1], leftmost = w[2], rightmost = w[3], count = w[4];
  if (count == 0 || count > kMaxNodes || !plausible(root) || !plausible(leftmost) ||
      !plausible(rightmost)) {
    return;
  }
  // The header is red (0; the int's padding may hold anything), and one
  // node is the root, the leftmost and the rightmost.
  if ((w[0] & 0xFFFF'FFFFu) != 0) return;
  if ((count == 1) != (root == leftmost && root == rightmost)) return;
  if (!r.block(root, 5 * kWord)) return;
  std::uintptr_t parent = 0;
  if (!r.word(root + kWord, parent) || parent != x) return;
  std::vector<std::uintptr_t> todo{root};
  std::size_t seen = 0;
  while (!todo.empty() && seen < count) {
    const std::uintptr_t node = todo.back();
    todo.pop_back();
    ++seen;
    element(node + 4 * kWord);
    std::uintptr_t links[2];  // left, right
    if (!r.words(node + 2 * kWord, links, 2)) return;
    for (std::uintptr_t child : links)
      if (child != 0 && plausible(child)) todo.push_back(child);
  }
}

/// std::unordered_map (_Hashtable): [buckets, bucket count, before-begin's
/// next, count] at `x`.
void unordered_at(reader& r, const std::uintptr_t* w, std::uintptr_t x,
                  const std::function<void(std::uintptr_t)>& element) {
  const std::uintptr_t buckets = w[0], nbuckets = w[1], first = w[2], count = w[3];
  const std::uintptr_t before_begin = x + 2 * kWord;
  if (count == 0 || count > kMaxNodes || !plausible(first) || !plausible(buckets) ||
      first == buckets) {
    return;
  }
  if (!r.block(first, 2 * kWord)) return;
  // A map with elements has more than one bucket (one is the empty map's
  // single bucket), and the first node's bucket holds before-begin.
  if (nbuckets < 2 || nbuckets > kMaxBuckets) return;
  std::vector<std::uintptr_t> b(nbuckets);
  if (!r.words(buckets, b.data(), b.size())) return;
  if (std::find(b.begin(), b.end(), before_begin) == b.end()) return;
  std::uintptr_t node = first;
  for (std::size_t i = 0; i < count && node != 0 && plausible(node); ++i) {
    element(node + kWord);
    if (!r.word(node, node)) return;
  }
}

/// std::deque (_Deque_impl_data): [map, map size, start {cur, first, last,
/// node}, finish {cur, first, last, node}] at `w`.
void deque_at(reader& r, const std::uintptr_t* w,
              const std::function<void(std::uintptr_t, std::uintptr_t)>& range) {
  const std::uintptr_t map = w[0], map_size = w[1];
  const std::uintptr_t s_cur = w[2], s_first = w[3], s_last = w[4], s_node = w[5];
  const std::uintptr_t f_cur = w[6], f_first = w[7], f_last = w[8], f_node = w[9];
  // libstdc++ gives a map at least 8 slots; an empty deque has cur == cur.
  if (map_size < 8 || map_size > kMaxBuckets || s_cur == f_cur) return;
  for (int i = 0; i < 10; ++i)
    if (i != 1 && !plausible(w[i])) return;
  if (s_cur < s_first || s_cur >= s_last || f_cur < f_first || f_cur >= f_last) return;
  const std::uintptr_t buffer = s_last - s_first;
  if (f_last - f_first != buffer) return;
  if (s_node < map || f_node < s_node || f_node >= map + map_size * kWord) return;
  const std::size_t nodes = (f_node - s_node) / kWord + 1;
  if (nodes > kMaxNodes || (nodes == 1 && (s_first != f_first || f_cur < s_cur))) return;
  if (!r.block(map, map_size * kWord)) return;
  std::vector<std::uintptr_t> buffers(nodes);
  if (!r.words(s_node, buffers.data(), nodes)) return;
  if (buffers.front() != s_first || buffers.back() != f_first) return;
  for (std::size_t i = 0; i < nodes; ++i) {
    const std::uintptr_t b = buffers[i];
    if (!plausible(b)) return;
    const std::uintptr_t begin = i == 0 ? s_cur : b;
    const std::uintptr_t end = i + 1 == nodes ? f_cur : b + buffer;
    if (end > begin) range(begin, end);
  }
}

}  // namespace

namespace {

/// This process's id, read once (getpid is a system call) and again in a
/// forked child.
std::atomic<pid_t> g_self{0};

pid_t self() noexcept {
  pid_t p = g_self.load(std::memory_order_relaxed);
  if (p == 0) {
    static const int once = ::pthread_atfork(nullptr, nullptr, [] { g_self.store(0); });
    (void)once;
    p = ::getpid();
    g_self.store(p, std::memory_order_relaxed);
  }
  return p;
}

#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
/// glibc (64-bit): the usable bytes of the block whose chunk's size word is
/// `size_word`, the word before the block at `block`; 0 when that word is no
/// live chunk's. Its low three bits are flags (1: the previous chunk is in
/// use, 2: mmap'd, 4: not the main arena); a block in use has the next
/// chunk's bit 1 set (`next_word`, or read when null), and that next chunk's
/// size word is a chunk size too: a multiple of 16, at least 16 (a heap's
/// fence post) and below 1 TiB (the top chunk). A word inside an object that
/// only looks like a size (where a pointer into the object, or a stale
/// local, led) mostly fails that second test; a window read from it would
/// reach past the object's end into its neighbours.
std::size_t glibc_block_bytes(std::uintptr_t block, std::uintptr_t size_word,
                              const std::uintptr_t* next_word) noexcept {
  constexpr std::uintptr_t kInUse = 1, kMmapped = 2, kFlags = 7;
  auto chunk_size = [](std::uintptr_t w, std::uintptr_t least, std::uintptr_t most) {
    const std::uintptr_t b = w & ~kFlags;
    return b >= least && b % 16 == 0 && b <= most;
  };
  const std::uintptr_t bytes = size_word & ~kFlags;
  if (!chunk_size(size_word, 4 * kWord, std::uintptr_t{1} << 30)) return 0;
  if ((size_word & kMmapped) != 0) {
    // A block of its own mapping: the chunk (two words before) starts a page.
    return (block - 2 * kWord) % 4096 == 0 ? bytes - 2 * kWord : 0;
  }
  std::uintptr_t next = 0;
  if (next_word != nullptr) {
    next = *next_word;
  } else if (read_own_memory(block - kWord + bytes, &next, kWord) != kWord) {
    return 0;
  }
  if ((next & kInUse) == 0 || !chunk_size(next, 2 * kWord, std::uintptr_t{1} << 40)) return 0;
  return bytes - kWord;
}
#endif

}  // namespace

std::size_t read_own_memory(std::uintptr_t addr, void* out, std::size_t n) noexcept {
  iovec local{out, n};
  iovec remote{reinterpret_cast<void*>(addr), n};
  const ssize_t got = ::process_vm_readv(self(), &local, 1, &remote, 1, 0);
  return got > 0 ? static_cast<std::size_t>(got) : 0;
}

bool heap_blocks_known() noexcept {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  return true;  // the allocator's interface, no system call
#else
  // A sandbox may refuse process_vm_readv (seccomp): try it once on a word
  // of our own.
  static const bool readable = [] {
    std::uintptr_t here = 42, copy = 0;
    return read_own_memory(reinterpret_cast<std::uintptr_t>(&here), &copy, sizeof copy) ==
               sizeof copy &&
           copy == 42;
  }();
  return readable;
#endif
}

std::size_t heap_block_bytes(std::uintptr_t p) noexcept {
  if (!plausible(p)) return 0;
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  const void* v = reinterpret_cast<const void*>(p);
  return __sanitizer_get_ownership(v) != 0 ? __sanitizer_get_allocated_size(v) : 0;
#else
  std::uintptr_t size_word = 0;
  if (read_own_memory(p - kWord, &size_word, kWord) != kWord) return 0;
  return glibc_block_bytes(p, size_word, nullptr);
#endif
}

std::size_t read_heap_object(std::uintptr_t p, std::uintptr_t* out, std::size_t max) noexcept {
  if (!plausible(p) || max == 0 || max > kMaxObjectWords) return 0;
  constexpr std::uintptr_t kShared = 2 * kWord;  // a make_shared control block's table and counts
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  std::size_t bytes = heap_block_bytes(p);
  if (bytes == 0) {
    const std::size_t whole = heap_block_bytes(p - kShared);
    bytes = whole > kShared ? whole - kShared : 0;
  }
  bytes = std::min(bytes, max * kWord);
  return bytes == 0 ? 0 : read_own_memory(p, out, bytes) / kWord;
#else
  // One read from three words before p: the size word of a block at p
  // (buf[2]) or of a block whose make_shared object is at p (buf[0]), the
  // object, and for a small block the next chunk's size word.
  constexpr std::size_t kBefore = 3;
  std::uintptr_t buf[kMaxObjectWords + kBefore + 1];
  std::size_t got = read_own_memory(p - kBefore * kWord, buf, sizeof buf) / kWord;
  if (got == 0) {
    // The two words before the size word may be another mapping's.
    buf[0] = buf[1] = 0;
    got = read_own_memory(p - kWord, buf + 2, sizeof buf - 2 * kWord) / kWord;
    if (got != 0) got += 2;
  }
  if (got <= kBefore) return 0;
  auto usable = [&](std::size_t size_at, std::uintptr_t block) {
    const std::size_t next_at = size_at + (buf[size_at] & ~std::uintptr_t{7}) / kWord;
    return glibc_block_bytes(block, buf[size_at], next_at < got ? &buf[next_at] : nullptr);
  };
  std::size_t bytes = usable(2, p);
  if (bytes == 0) {
    const std::size_t whole = usable(0, p - kShared);
    bytes = whole > kShared ? whole - kShared : 0;
  }
  const std::size_t n = std::min({bytes / kWord, max, got - kBefore});
  std::copy(buf + kBefore, buf + kBefore + n, out);
  return n;
#endif
}

void for_each_node_element(const std::uintptr_t* words, std::size_t n, std::uintptr_t base,
                           const std::vector<std::uintptr_t>& links,
                           const std::function<void(std::uintptr_t)>& element) {
  reader r;
  for (std::size_t i = 0; i < n; ++i) {
    const std::uintptr_t x = base + i * kWord;
    if (i + 3 <= n) list_at(r, words + i, x, links, element);
    if (i + 5 <= n) map_at(r, words + i, x, element);
    if (i + 4 <= n) unordered_at(r, words + i, x, element);
  }
}

void for_each_deque_range(const std::uintptr_t* words, std::size_t n,
                          const std::function<void(std::uintptr_t, std::uintptr_t)>& range) {
  reader r;
  for (std::size_t i = 0; i + 10 <= n; ++i)
    deque_at(r, words + i, range);
}

}  // namespace lucid::console::detail
