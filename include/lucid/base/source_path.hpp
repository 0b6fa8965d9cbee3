// lucid::source_path: how every lucid report, dump and log line shows a source
// file path (panic reports, async and native backtraces, the crash handler,
// the full/compact/pretty/json log formats).
//
// Contract: a path under lucid's source root (baked into lucid_base at build
// time) is shown relative to it (`examples/x.cpp`); otherwise a path under the
// working directory the process started in is shown relative to that (a
// program built outside lucid's tree, run from its own root); any other path
// is shown unchanged. The result is a view into the argument: no allocation,
// no lock, no system call, so the crash handler may use it.
// Thread safety: pure functions (the start-up directory is read once, during
// static initialisation, and never written again).
#pragma once

#include <string_view>

namespace lucid {

/// `file` as reports show it (see above); a suffix of `file`.
std::string_view source_path(std::string_view file) noexcept;

/// The same for a C string; null stays null. Async-signal-safe.
const char* source_path(const char* file) noexcept;

/// lucid's source root as baked in at build time; empty when unknown.
std::string_view source_root() noexcept;

}  // namespace lucid
