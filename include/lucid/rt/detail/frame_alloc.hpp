// lucid::detail::frame_alloc / frame_free: the allocator of coroutine frames
// and task cells.
//
// Contract: per-thread free lists in 16-byte size classes up to 1 KiB, carved
// from 1 MiB chunks (mapped with MAP_POPULATE), with batches exchanged through a global pool so
// memory freed on one worker is reused by another (a producer/consumer pair of workers does not
// grow without bound). Memory is kept for reuse by the process, not returned to the OS. Larger
// blocks, and every block in ASan and TSan builds (so the sanitizers see each frame), use malloc.
// Thread safety: any thread may allocate and free; a block may be freed on a
// thread other than the one that allocated it.
#pragma once

#include <cstddef>

namespace lucid::detail {

void* frame_alloc(std::size_t n);
void frame_free(void* p, std::size_t n) noexcept;

}  // namespace lucid::detail
