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
#include <cstdint>
#include <vector>

namespace lucid::detail {

void* frame_alloc(std::size_t n);
void frame_free(void* p, std::size_t n) noexcept;

/// frame_alloc for a coroutine frame: also remembers `n` for the calling
/// thread, where the frame's promise reads it (last_coroutine_frame_bytes)
/// in get_return_object, before the ramp can suspend or make another frame.
/// The console uses a frame's extent to find which task holds a handle
/// that lives in it (a channel's sender).
void* coroutine_frame_alloc(std::size_t n);
std::size_t last_coroutine_frame_bytes() noexcept;

/// A coroutine frame above this size is noted for the console's lint
/// ("a task frame larger than 16 KiB").
inline constexpr std::size_t kLargeFrameBytes = 16 * 1024;

/// Notes a frame of `n` bytes made by the code at `caller` (a return
/// address in the function that called the coroutine). Cold: only frames
/// above kLargeFrameBytes. At most 64 distinct callers are kept.
[[gnu::cold, gnu::noinline]] void note_large_frame(std::size_t n, const void* caller) noexcept;

/// The large frames noted so far.
struct large_frame {
  const void* caller = nullptr;
  std::size_t bytes = 0;  ///< the largest seen from this caller
  std::uint64_t count = 0;
  /// The stack when it was first seen (lookup addresses, innermost first):
  /// its first user frame is the coroutine, even when optimized code
  /// inlined the ramp into its caller.
  std::uintptr_t stack[8] = {};
  std::uint32_t stack_size = 0;
};
std::vector<large_frame> large_frames();

}  // namespace lucid::detail
