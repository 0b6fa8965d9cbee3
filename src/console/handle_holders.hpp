// lucid::console handle holders: which tasks hold the handles that could end
// a wait (an empty channel's senders, a semaphore's permits, a full channel's
// receiver nobody has received from yet), found by where each handle lives.
// Private to src/console; the snapshot (snapshot.cpp) gathers the inputs
// while it walks the tasks and calls locate_holders() after the walk.
//
// Three places are searched, in this order:
//   1. The suspended frames the snapshot read (their extents, recorded while
//      each task was claimed). A handle whose address lies inside a frame is
//      held by that frame's task: holder::in_frame. Exact: a live handle in a
//      frame's memory is that frame's.
//   2. For the handles not found so, in full snapshots only, the containers
//      in the suspended frames: holder::in_container.
//        a. A std::vector in the frame whose elements hold the handle, seen
//           as three adjacent words begin <= handle < end <= capacity (at
//           most 1 MiB apart, none of them a handle's own link, begin the
//           start of a heap block at least capacity long), or a buffer
//           of a std::deque (or std::queue) in the frame whose elements
//           hold it (container_nodes.hpp); the narrowest such range wins.
//        b. Else a std::map, std::unordered_map or std::list in the frame
//           (container_nodes.hpp) with an element that holds the handle
//           within its first 24 bytes (after an integer or pointer key).
//      This needs a second walk of the tasks, each claimed again, since the
//      handles are known only once the first walk is over.
//   3. For the handles still not found: the heap blocks the suspended
//      frames point to (a member coroutine's `this`, a shared_ptr's or
//      unique_ptr's object; the first 512 bytes of a block that starts at
//      the pointer, or 16 bytes before it for a std::make_shared object,
//      never past its end: heap_block_bytes), each read once through
//      read_own_memory() (container_nodes.hpp), at most 20,000 per
//      snapshot. A handle within those bytes is the object's own member (a
//      session's sender): holder::via_object alone; one in the same
//      containers as step 2's, in those bytes: holder::in_container and
//      holder::via_object. The same for the heap blocks the elements of
//      the frames' containers point to (a registry of shared_ptrs to
//      sessions: the first 4096 words of elements per frame, read once
//      each): holder::via_element too. And for an object a frame points
//      to, the heap blocks the elements of its containers point to (a
//      server's registry of sessions, the server being a member
//      coroutine's `this`; read once per object, within the same 20,000):
//      holder::via_object_element. Every frame pointing to
//      the object is a candidate; the one named is, among those that are
//      not the object's consumers (tasks waiting on a resource whose handle
//      the object holds: callers whose replies wait in a client's map point
//      to the client to wait, not to answer), else among all, one found
//      nearest its frame (3c's last), and of those the lowest task id.
//   Steps 2 and 3 read numbers out of frames and the heap: unrelated words,
//   or a destroyed local's stale ones, can also match, so they give a lead,
//   not proof: reports say "probably", and the deadlock search does not
//   build on them (build_graph counts in_frame holders only). A handle
//   further away (four pointers from a frame), or in a global, is not
//   found.
//
// Reading frames (steps 2 and 3): only while the task is claimed (inspect.hpp), and
// only as numbers. A frame's words can change meanwhile (a waker writes its
// wait node's fields under the resource's lock), so the copy of its words
// is not instrumented by TSan; a torn or stale word only makes a wrong
// guess. Heap memory is read through read_own_memory(), never a pointer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "lucid/console/console.hpp"
#include "lucid/rt/detail/strand.hpp"

namespace lucid::console::detail {

/// Where the live handles of one resource are (resource_ops::handles): up
/// to a few addresses, and how many handles there are in all.
struct handle_addresses {
  std::vector<std::uintptr_t> at;
  std::size_t count = 0;
};

/// One suspended frame of a task read in a snapshot: its memory, its task
/// and where it is suspended.
struct frame_extent {
  std::uintptr_t start = 0, end = 0;
  task_id task = 0;
  lucid::detail::await_point at;
};

/// The extent of the frame of `p` (a claimed task's), suspended at `at`;
/// none when the frame's size is unknown.
std::optional<frame_extent> extent_of(const lucid::detail::promise_base& p, task_id task,
                                      const lucid::detail::await_point& at);

/// The holders of each resource in `handles`, found in `frames` (sorted
/// here), then, when `search_containers`, in the containers suspended frames
/// hold or point to (steps 2 and 3: more walks of every runtime's tasks).
/// `waiting`: the tasks waiting on each resource (step 3's consumers).
/// At most one holder per handle. The caller holds no runtime lock and no
/// claim.
std::map<resource_id, std::vector<holder>> locate_holders(
    const std::map<resource_id, handle_addresses>& handles, std::vector<frame_extent>& frames,
    bool search_containers, const std::map<resource_id, std::set<task_id>>& waiting);

}  // namespace lucid::console::detail
