// lucid::debug::symbolize: turns captured program counters into functions,
// files and lines, inlined frames included, with libdw (elfutils).
//
// Contract: symbolization is lazy and only runs when a report is printed. It
// reads the process's own ELF and DWARF through one libdw session created on
// first use and kept for the life of the process (re-reported when an address
// falls outside every known module, e.g. after dlopen). Not async-signal-safe:
// it allocates and takes a lock; the crash handler calls it only as a best
// effort after the raw addresses are written.
// Thread safety: all functions may be called from any thread (one internal
// mutex serialises libdw).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace lucid::debug {

/// Who a frame belongs to; reports show user frames and fold the rest.
enum class frame_kind : std::uint8_t {
  user,     ///< the program's own code
  runtime,  ///< lucid itself: namespace lucid::, or a file under lucid's include/ or src/
  std_lib,  ///< std::, __gnu_cxx::, __cxxabiv1::, libstdc++, the C++ standard headers
  system,  ///< the unwinder, libc, the loader, sanitizer runtimes, unknown code outside the program
};

/// One frame of a symbolized trace. An address with inlined calls yields
/// several frames with the same pc: the innermost inlined one first, each with
/// `inlined = true`, then the function they were inlined into.
struct symbolized_frame {
  std::uintptr_t pc = 0;
  std::string function;  ///< demangled name; empty when unknown
  std::string file;      ///< source path as recorded in DWARF; empty when unknown
  unsigned line = 0;
  unsigned column = 0;
  std::string module;    ///< path of the ELF object holding pc; empty when unknown
  bool inlined = false;  ///< inlined into the next frame
  frame_kind kind = frame_kind::system;
};

/// Symbolizes `pcs` (lookup addresses as captured), innermost first.
/// Never throws; an address that cannot be resolved gives a frame with an
/// empty function and file.
std::vector<symbolized_frame> symbolize(std::span<const std::uintptr_t> pcs);

/// Classifies a frame from its demangled function name, source file and
/// module path. Runtime: namespace lucid:: or a file under the lucid source
/// tree's include/ or src/ (the prefix is baked in at build time).
frame_kind classify(std::string_view function, std::string_view file,
                    std::string_view module) noexcept;

/// A path shortened for reports: relative to lucid's source tree or to the
/// current directory when it lies under one of them, unchanged otherwise.
std::string display_path(std::string_view file);

/// Demangles an Itanium C++ symbol; returns the input unchanged when it is not
/// a mangled name.
std::string demangle(const char* symbol);

}  // namespace lucid::debug
