// lucid::debug exception origin: every C++ exception keeps the backtrace of
// the place it was thrown.
//
// How: lucid_debug defines __cxa_throw, which the linker binds ahead of
// libstdc++'s (for throws in the program and inside libstdc++ alike). It
// captures the stack as raw addresses (captured_trace, no symbolization),
// stores it in a side table keyed by the thrown object's address, and calls
// the real __cxa_throw. The entry lives exactly as long as the exception
// object: lucid wraps the object's destructor, which the C++ runtime calls
// when the last exception_ptr or catch releases it. So a `throw;`, a copy of
// an exception_ptr, std::rethrow_exception and a rethrow from a join handle
// all keep the ORIGINAL throw site; only a new throw expression records a new
// one.
//
// Cost: one capture (about 15 ns a frame with libunwind), one malloc and a
// short spin-locked insert per throw; see bench/lucid_debug_bench.cpp.
// Not covered: exceptions created without a throw (std::make_exception_ptr)
// and objects thrown before lucid_debug's static initialisers ran (none in
// practice) have no throw site.
// Thread safety: all functions may be called from any thread.
#pragma once

#include <exception>

#include "lucid/debug/captured_trace.hpp"

namespace lucid::debug {

/// The throw-site backtrace of the exception `e` holds, or null when unknown
/// (null `e`, or an exception that was never thrown). The pointer stays valid
/// while `e` (or any other reference to the same exception object) lives.
const captured_trace* throw_site(const std::exception_ptr& e) noexcept;

/// The throw-site backtrace of the exception being handled (inside a catch
/// block), or null. Valid until that handler exits.
const captured_trace* current_throw_site() noexcept;

/// Turns throw-site capture on (the default) or off for the whole process,
/// e.g. for a benchmark baseline. Returns the previous setting.
bool set_throw_capture(bool enabled) noexcept;

namespace detail {
/// Number of live exceptions with a recorded throw site (for tests).
unsigned live_throw_sites() noexcept;

/// Does exactly what lucid adds to a throw of `object` (capture, allocate,
/// insert) and to its destruction (remove, free), without throwing: the
/// benchmark's measure of the per-throw cost.
void record_and_release_throw_site(void* object) noexcept;
}  // namespace detail

}  // namespace lucid::debug
