// The console's reads of heap objects (src/console/container_nodes.hpp):
// which words it takes for a heap block's start, and how far it reads.
// The step that names a task holding a channel's sender through an object
// its frame points to reads objects this way, so a word wrongly taken for a
// block's size makes it read a neighbour's memory, and name the wrong task.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <memory>

#include "container_nodes.hpp"

namespace {

using lucid::console::detail::heap_block_bytes;
using lucid::console::detail::kMaxObjectWords;
using lucid::console::detail::read_heap_object;

std::uintptr_t address(const void* p) {
  return reinterpret_cast<std::uintptr_t>(p);
}

TEST(HeapObjects, ABlockIsReadToItsEndAndNoFurther) {
  auto* b = static_cast<std::uintptr_t*>(std::malloc(40));
  for (int i = 0; i < 5; ++i)
    b[i] = 100 + i;
  const std::size_t bytes = heap_block_bytes(address(b));
  EXPECT_GE(bytes, 40u);
  EXPECT_LT(bytes, 64u);  // the allocator's rounding, not the next block
  std::uintptr_t out[kMaxObjectWords] = {};
  const std::size_t n = read_heap_object(address(b), out, kMaxObjectWords);
  EXPECT_EQ(n, bytes / sizeof(std::uintptr_t));
  EXPECT_EQ(out[0], 100u);
  EXPECT_EQ(out[4], 104u);
  std::free(b);
}

TEST(HeapObjects, AMakeSharedObjectIsReadFromTwoWordsIntoItsBlock) {
  struct session {
    std::uintptr_t words[6] = {7, 8, 9, 10, 11, 12};
  };
  auto s = std::make_shared<session>();
  std::uintptr_t out[kMaxObjectWords] = {};
  const std::size_t n = read_heap_object(address(s.get()), out, kMaxObjectWords);
  ASSERT_GE(n, 6u);
  EXPECT_EQ(out[0], 7u);
  EXPECT_EQ(out[5], 12u);
}

// Inside a live block, a word that looks like an in-use chunk's size (128
// bytes), before an address a frame might hold into the object. Where that
// fake chunk's successor would start, the object holds an odd number that
// is no chunk's size: the address is not a block's start, and nothing past
// it is read. (An odd word there with a size-like value would still pass:
// the search calls what it finds this way "probably".)
TEST(HeapObjects, AWordInsideAnObjectThatLooksLikeAChunkSizeIsNotTakenForABlock) {
  constexpr std::size_t kWords = 64;
  auto* b = static_cast<std::uintptr_t*>(std::calloc(kWords, sizeof(std::uintptr_t)));
  b[8] = 128 | 1;                       // "128 bytes, the previous chunk in use"
  b[8 + 128 / 8] = 0x9E3779B97F4A7C15;  // odd, and far above any chunk's size
  std::uintptr_t out[kMaxObjectWords] = {};
  EXPECT_EQ(heap_block_bytes(address(&b[9])), 0u);
  EXPECT_EQ(read_heap_object(address(&b[9]), out, kMaxObjectWords), 0u);
  b[8 + 128 / 8] = 0x29;  // odd, 40: not a multiple of 16
  EXPECT_EQ(heap_block_bytes(address(&b[9])), 0u);
  std::free(b);
}

}  // namespace
