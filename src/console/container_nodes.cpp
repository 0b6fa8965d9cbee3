// lucid::console container nodes (see container_nodes.hpp for the layouts
// recognised and why heap memory is read only through read_own_memory()).
#include "container_nodes.hpp"

#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
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

 private:
  std::size_t reads_ = 0;
};

/// std::list: [next, prev, size] at `x`; not a handle registry (`links`).
void list_at(reader& r, const std::uintptr_t* w, std::uintptr_t x,
             const std::vector<std::uintptr_t>& links,
             const std::function<void(std::uintptr_t)>& element) {
  const std::uintptr_t next = w[0], prev = w[1], size = w[2];
  if (size == 0 || size > kMaxNodes || !plausible(next) || !plausible(prev) || next == x) return;
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
  if (count == 0 || count > kMaxNodes || !plausible(first) || !plausible(buckets)) {
    return;
  }
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

}  // namespace

std::size_t read_own_memory(std::uintptr_t addr, void* out, std::size_t n) noexcept {
  iovec local{out, n};
  iovec remote{reinterpret_cast<void*>(addr), n};
  const ssize_t got = ::process_vm_readv(::getpid(), &local, 1, &remote, 1, 0);
  return got > 0 ? static_cast<std::size_t>(got) : 0;
}

std::size_t heap_block_bytes(std::uintptr_t p) noexcept {
  if (!plausible(p)) return 0;
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  const void* v = reinterpret_cast<const void*>(p);
  return __sanitizer_get_ownership(v) != 0 ? __sanitizer_get_allocated_size(v) : 0;
#else
  // glibc (64-bit): a chunk's size word is the word before the block, its
  // low three bits flags (1: the previous chunk is in use, 2: mmap'd, 4: not
  // the main arena). A block in use has the next chunk's bit 1 set.
  constexpr std::uintptr_t kInUse = 1, kMmapped = 2, kFlags = 7;
  std::uintptr_t size_word = 0;
  if (read_own_memory(p - kWord, &size_word, kWord) != kWord) return 0;
  const std::uintptr_t bytes = size_word & ~kFlags;
  if (bytes < 4 * kWord || bytes % 16 != 0 || bytes > (std::uintptr_t{1} << 30)) return 0;
  if ((size_word & kMmapped) != 0) {
    // A block of its own mapping: the chunk (two words before p) starts a page.
    return (p - 2 * kWord) % 4096 == 0 ? bytes - 2 * kWord : 0;
  }
  std::uintptr_t next_word = 0;
  if (read_own_memory(p - kWord + bytes, &next_word, kWord) != kWord) return 0;
  if ((next_word & kInUse) == 0 || (next_word & ~kFlags) < 2 * kWord) return 0;
  return bytes - kWord;
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

}  // namespace lucid::console::detail
