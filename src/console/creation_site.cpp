// Where a resource was created, as the console reports it. A resource's
// source_site comes from its constructor's default argument; built through
// std::make_shared, that argument is filled in inside the standard library
// (bits/stl_construct.h), which names no line of the user's. Such a resource
// carries the stack that created it (creation_stack in
// lucid/rt/detail/wait_record.hpp); this file reports the first frame of it,
// inlined frames included, that is the user's own.
//
// Thread safety: any thread; symbolization takes debug's lock, and a
// resolved stack is kept (one per creation point) under this file's lock.
// Called outside every lock the runtime or the tracker holds: the first
// symbolization of a process reads DWARF and may take milliseconds.
#include <cstdint>
#include <map>
#include <mutex>
#include <span>
#include <vector>

#include "console_internal.hpp"
#include "lucid/debug/symbolize.hpp"

namespace lucid::console::detail {

namespace {

/// The first user frame of `stack`, innermost first; an empty location when
/// there is none.
location resolve(std::span<const std::uintptr_t> stack) {
  for (const debug::symbolized_frame& f : debug::symbolize(stack)) {
    if (f.kind != debug::frame_kind::user || f.file.empty()) continue;
    return location{std::string(source_path(f.file.c_str())), f.function, f.line};
  }
  return {};
}

}  // namespace

std::vector<std::uintptr_t> creation_stack_of(const lucid::detail::resource_header& h) {
  if (h.created_stack == nullptr) return {};
  return {h.created_stack + 1, h.created_stack + 1 + h.created_stack[0]};
}

location creation_location(const source_site& site, const std::vector<std::uintptr_t>& stack) {
  if (!stack.empty()) {
    static std::mutex lock;
    static std::map<std::vector<std::uintptr_t>, location> resolved;  // unresolved ones too
    location l;
    bool cached = false;
    {
      std::lock_guard g(lock);
      if (auto it = resolved.find(stack); it != resolved.end()) {
        l = it->second;
        cached = true;
      }
    }
    if (!cached) {
      l = resolve(stack);
      std::lock_guard g(lock);
      resolved.emplace(stack, l);
    }
    if (l.known()) return l;
  }
  if (site.file == nullptr) return {};
  return location{source_path(site.file), site.function ? site.function : "", site.line};
}

}  // namespace lucid::console::detail
