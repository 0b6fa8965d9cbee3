// lucid::console container nodes: the elements of libstdc++'s node-based
// containers (std::map, std::unordered_map, std::list) and of std::deque
// (whose buffers are nodes too) whose object lies in a suspended frame,
// found from the frame's words alone. Private to
// src/console; the handle-holder search (handle_holders.cpp) uses it to find
// a sender kept in a map of pending replies or a queue of requests.
//
// What is recognised, at word i of a frame (x = the address of word i):
//   std::list      next, prev, size: size >= 1, next's prev == x and prev's
//                  next == x. Elements at node + 16.
//   std::map       (the header's color word at i) root, leftmost, rightmost,
//                  count: count >= 1, root's parent == x. Elements at node +
//                  32; the tree is walked through each node's left and right.
//   unordered_map  buckets, bucket count, first node, count: count >= 1, at
//                  least two buckets (a map with elements has), and an entry
//                  of the bucket array is x + 16 (the "before begin" node,
//                  which the first node's bucket holds). Elements at node +
//                  8; the nodes are walked as one list.
// Each container's first node (the root for a map) must also start a heap
// block (heap_block_bytes): the links of an intrusive list inside coroutine
// frames (lucid's wait lists) pass the other checks too, and walking them
// would cost a read per node.
//
// And one contiguous container in pieces (for_each_deque_range):
//   std::deque     (std::queue's storage) map, map size, then the start and
//                  finish iterators, each cur, first, last, node: at least 8
//                  map slots, first <= cur < last in both, both buffers the
//                  same size, start's node <= finish's node inside the map,
//                  the map a heap block of its size, and the map's entries
//                  at the two nodes the two buffers' first. Elements fill
//                  [start cur, finish cur), one buffer per map entry: each
//                  buffer's part is passed on as a range, which holds a
//                  handle as a vector's elements do.
// These are libstdc++'s layouts (GCC 12). A container of another library is
// not found. lucid's handle registries (sync/detail/handle_registry.hpp) are
// circular lists like std::list's: one whose links are handles is skipped.
//
// Memory safety: heap memory is read only through read_own_memory()
// (process_vm_readv on this process), which fails instead of faulting when a
// pointer is stale, and never through a pointer. The checks above make a
// match of unrelated words unlikely, not impossible: what is found is a lead.
// Bounds: at most 4096 elements (or deque buffers) per container and 4096
// reads per frame (the task stays claimed meanwhile: a few milliseconds at
// most).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

namespace lucid::console::detail {

/// Reads `n` bytes at `addr` of this process into `out` without faulting;
/// the number of bytes read (short or 0 where `addr` is not mapped).
std::size_t read_own_memory(std::uintptr_t addr, void* out, std::size_t n) noexcept;

/// The bytes of the heap block that starts at `p`, as the allocator gave
/// it; 0 when `p` is not (recognisably) the start of a live block. Under
/// ASan and TSan, their allocator says; otherwise glibc's chunk header: the
/// size word before `p` (a multiple of 16) and, after the chunk, the next
/// one's "previous in use" bit, read through read_own_memory().
std::size_t heap_block_bytes(std::uintptr_t p) noexcept;

/// Whether heap_block_bytes() can tell: false where a sandbox refuses
/// process_vm_readv (then no node is read either, and callers that check a
/// block's bounds go on without the check).
bool heap_blocks_known() noexcept;

/// The most words read_heap_object() reads.
inline constexpr std::size_t kMaxObjectWords = 64;

/// The words of the heap object at `p`, up to `max` (at most
/// kMaxObjectWords) into `out`, never past its block's end: `p` starts a
/// block (heap_block_bytes), or is the object of a std::make_shared, two
/// words into its block (a member coroutine's `this` for a shared object).
/// The number of words read; 0 when `p` is neither. One read of this
/// process's memory for most objects.
std::size_t read_heap_object(std::uintptr_t p, std::uintptr_t* out, std::size_t max) noexcept;

/// The element addresses of the node-based containers found in `words`,
/// copied from memory whose first word is at `base`; each is passed to
/// `element`. `links` (sorted): addresses of lucid's own handle links,
/// whose registries are lists too and are skipped. Reads heap memory only
/// through read_own_memory().
void for_each_node_element(const std::uintptr_t* words, std::size_t n, std::uintptr_t base,
                           const std::vector<std::uintptr_t>& links,
                           const std::function<void(std::uintptr_t)>& element);

/// The element ranges [begin, end) of the std::deques found in `words` (a
/// deque's words hold no link to their own address, so where they were
/// copied from does not matter): one per buffer that holds elements, passed
/// to `range`. Reads heap memory only through read_own_memory().
void for_each_deque_range(const std::uintptr_t* words, std::size_t n,
                          const std::function<void(std::uintptr_t, std::uintptr_t)>& range);

}  // namespace lucid::console::detail
