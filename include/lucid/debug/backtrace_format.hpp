// lucid::debug backtrace formatting: LUCID_BACKTRACE, NO_COLOR, and the
// "user frames first" layout of a symbolized backtrace.
//
// LUCID_BACKTRACE:
//   unset, "" or "0"  off: reports give the message and where it came from,
//                     plus a note on how to see the backtrace;
//   "full"            every frame, inlined ones included, with addresses;
//   anything else     brief: user frames shown, each run of lucid runtime,
//                     std and system frames folded into one line.
// Colour (user frames in bold, folded lines dimmed) is used when the output is
// a terminal and NO_COLOR is unset or empty.
//
// Thread safety: all functions may be called from any thread.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "lucid/debug/symbolize.hpp"

namespace lucid::debug {

/// How much backtrace a report shows.
enum class backtrace_style : std::uint8_t {
  off,    ///< no backtrace, a note instead
  brief,  ///< user frames; other frames folded
  full,   ///< every frame with addresses
};

/// Parses a LUCID_BACKTRACE value (null means unset).
backtrace_style parse_backtrace_style(const char* value) noexcept;

/// What a report looks like.
struct report_options {
  backtrace_style style = backtrace_style::off;
  bool color = false;

  /// LUCID_BACKTRACE, and colour when `fd` is a terminal and NO_COLOR is unset
  /// or empty. Reads the environment on each call.
  static report_options from_env(int fd = 2);
};

/// Formats a symbolized backtrace as "stack backtrace:" followed by the
/// frames, per `options.style` (off gives the note line only). Frames keep
/// their index in the full list, so brief and full output can be compared.
///
/// Example (brief):
///   stack backtrace:
///      0: fetch_data()
///                at examples/panic_backtrace.cpp:12:5
///         ... 6 frames of lucid runtime and std hidden ...
///      7: main
///                at examples/panic_backtrace.cpp:20:3
///   note: some details are omitted, run with `LUCID_BACKTRACE=full` for a verbose backtrace.
std::string format_backtrace(std::span<const symbolized_frame> frames,
                             const report_options& options);

/// The first frame of `frames` that is user code, or null.
const symbolized_frame* first_user_frame(std::span<const symbolized_frame> frames) noexcept;

/// The note printed instead of a backtrace when LUCID_BACKTRACE is off.
inline constexpr const char* backtrace_off_note =
    "note: run with `LUCID_BACKTRACE=1` to display a backtrace";

}  // namespace lucid::debug
