// lucid::detail::frame_alloc / frame_free (see
// include/lucid/rt/detail/frame_alloc.hpp for the contract).
//
// Per size class, each thread keeps a free list (thread_cache::free, owner
// only) and carves new blocks from its own mmap'd chunk. A thread that
// frees more than kLocalMax blocks of a class moves kBatch of them to the
// global pool (global_pool::batches, under global_pool::mu); a thread whose
// list is empty takes a batch back from there before carving fresh memory.
// `nonempty` lets the allocation path skip the lock when the pool has
// nothing. A thread's cache goes back to the pool when the thread exits.
// Frames above kLargeFrameBytes are also noted (note_large_frame, a small
// table under a spin lock) for the console's large-frame lint.
#include "lucid/rt/detail/frame_alloc.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <new>
#include <vector>

#include "lucid/base/spin_lock.hpp"
#include "lucid/debug/captured_trace.hpp"

#if defined(LUCID_SANITIZER_ADDRESS) || defined(LUCID_SANITIZER_THREAD)
#define LUCID_FRAME_POOL 0
#else
#define LUCID_FRAME_POOL 1
#endif

namespace lucid::detail {

namespace {
/// The size of the calling thread's last coroutine frame, for its promise.
thread_local std::size_t tls_frame_bytes = 0;
}  // namespace

std::size_t last_coroutine_frame_bytes() noexcept {
  return tls_frame_bytes;
}

#if LUCID_FRAME_POOL

namespace {

constexpr std::size_t kGranule = 16;
constexpr std::size_t kMaxSize = 1024;
constexpr std::size_t kClasses = kMaxSize / kGranule;
constexpr std::size_t kChunk = std::size_t{1024} * 1024;
constexpr std::uint32_t kBatch = 64;  // blocks moved to/from the global pool at once
constexpr std::uint32_t kLocalMax = 2 * kBatch;

struct block {
  block* next;
};

/// A batch of free blocks of one class, linked through their first word.
struct batch {
  block* head;
  std::uint32_t count;
};

struct global_pool {
  std::mutex mu;
  std::vector<batch> batches[kClasses];
  std::atomic<std::uint32_t> nonempty[kClasses] = {};  ///< batches[c].size(), read without mu
};

global_pool& global() {
  static global_pool* g = new global_pool;  // never destroyed: threads may free at exit
  return *g;
}

struct thread_cache {
  block* free[kClasses] = {};
  std::uint32_t count[kClasses] = {};
  char* bump = nullptr;
  char* bump_end = nullptr;

  ~thread_cache() {
    // Give every cached block back to the global pool.
    global_pool& g = global();
    std::lock_guard l(g.mu);
    for (std::size_t c = 0; c < kClasses; ++c) {
      if (free[c] != nullptr) {
        g.batches[c].push_back(batch{free[c], count[c]});
        g.nonempty[c].fetch_add(1, std::memory_order_relaxed);
      }
    }
  }

  void* carve(std::size_t size) {
    if (bump == nullptr || static_cast<std::size_t>(bump_end - bump) < size) {
      // MAP_POPULATE: the kernel maps the whole chunk at once, instead of one
      // page fault per 4 KiB page as the frames are first written.
      void* m = ::mmap(nullptr, kChunk, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
      if (m == MAP_FAILED) throw std::bad_alloc();
      bump = static_cast<char*>(m);
      bump_end = bump + kChunk;
    }
    void* p = bump;
    bump += size;
    return p;
  }
};

thread_local thread_cache tls_cache;

}  // namespace

namespace {
[[gnu::always_inline]] inline void* alloc_block(std::size_t n) {
  if (n > kMaxSize) {
    void* p = std::malloc(n);
    if (p == nullptr) throw std::bad_alloc();
    return p;
  }
  std::size_t c = (n + kGranule - 1) / kGranule - (n != 0 ? 1 : 0);
  thread_cache& tc = tls_cache;
  if (block* b = tc.free[c]) {
    tc.free[c] = b->next;
    --tc.count[c];
    return b;
  }
  global_pool& g = global();
  // relaxed: a stale zero only means carving fresh memory instead of reusing.
  if (g.nonempty[c].load(std::memory_order_relaxed) != 0) {
    std::lock_guard l(g.mu);
    if (!g.batches[c].empty()) {
      batch bt = g.batches[c].back();
      g.batches[c].pop_back();
      g.nonempty[c].fetch_sub(1, std::memory_order_relaxed);
      block* b = bt.head;
      tc.free[c] = b->next;
      tc.count[c] = bt.count - 1;
      return b;
    }
  }
  return tc.carve((c + 1) * kGranule);
}
}  // namespace

void* frame_alloc(std::size_t n) {
  return alloc_block(n);
}

void* coroutine_frame_alloc(std::size_t n) {
  tls_frame_bytes = n;
  return alloc_block(n);
}

void frame_free(void* p, std::size_t n) noexcept {
  if (p == nullptr) return;
  if (n > kMaxSize) {
    std::free(p);
    return;
  }
  std::size_t c = (n + kGranule - 1) / kGranule - (n != 0 ? 1 : 0);
  thread_cache& tc = tls_cache;
  auto* b = static_cast<block*>(p);
  b->next = tc.free[c];
  tc.free[c] = b;
  if (++tc.count[c] >= kLocalMax) {
    // Move the newest kBatch blocks to the global pool.
    block* head = tc.free[c];
    block* tail = head;
    for (std::uint32_t i = 1; i < kBatch; ++i)
      tail = tail->next;
    tc.free[c] = tail->next;
    tail->next = nullptr;
    tc.count[c] -= kBatch;
    global_pool& g = global();
    std::lock_guard l(g.mu);
    g.batches[c].push_back(batch{head, kBatch});
    g.nonempty[c].fetch_add(1, std::memory_order_relaxed);
  }
}

#else

void* frame_alloc(std::size_t n) {
  void* p = std::malloc(n);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}
void* coroutine_frame_alloc(std::size_t n) {
  tls_frame_bytes = n;
  return frame_alloc(n);
}
void frame_free(void* p, std::size_t) noexcept {
  std::free(p);
}

#endif

}  // namespace lucid::detail

// ------------------------------------------------------------ large frames

namespace lucid::detail {

namespace {
spin_lock g_large_lock;
large_frame g_large[64];  // guarded by g_large_lock
std::size_t g_large_count = 0;
}  // namespace

void note_large_frame(std::size_t n, const void* caller) noexcept {
  // Captured before taking the lock: the first capture on a thread may allocate.
  debug::captured_trace t;
  debug::capture(t);
  std::lock_guard g(g_large_lock);
  for (std::size_t i = 0; i < g_large_count; ++i) {
    if (g_large[i].caller == caller) {
      if (n > g_large[i].bytes) g_large[i].bytes = n;
      ++g_large[i].count;
      return;
    }
  }
  if (g_large_count < 64) {
    large_frame& f = g_large[g_large_count++];
    f = large_frame{caller, n, 1, {}, 0};
    f.stack_size = std::min<std::uint32_t>(t.size, 8);
    for (std::uint32_t i = 0; i < f.stack_size; ++i)
      f.stack[i] = t.pcs[i];
  }
}

std::vector<large_frame> large_frames() {
  std::lock_guard g(g_large_lock);
  return std::vector<large_frame>(g_large, g_large + g_large_count);
}

}  // namespace lucid::detail
