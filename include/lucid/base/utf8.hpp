// lucid::detail::utf8_sequence: how long the valid UTF-8 sequence at a byte
// is, for the writers that must emit valid UTF-8 whatever bytes they are
// given (the console's JSON, the trace subscriber's JSON lines): they replace
// a byte that starts no valid sequence with U+FFFD.
//
// Contract: strict UTF-8 (RFC 3629): overlong forms, surrogates and values
// above U+10FFFF are not valid. A plain function of its arguments.
#pragma once

#include <cstddef>
#include <string_view>

namespace lucid::detail {

/// The length of the valid UTF-8 sequence starting at s[i] (1 for ASCII,
/// 2-4 otherwise), or 0 if the bytes there are not one. Requires i < s.size().
inline std::size_t utf8_sequence(std::string_view s, std::size_t i) noexcept {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const unsigned char c = b(0);
  const auto cont = [&](std::size_t k) { return i + k < s.size() && (b(k) & 0xC0) == 0x80; };
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if (!cont(1) || !cont(2)) return 0;
    if (c == 0xE0 && b(1) < 0xA0) return 0;   // overlong
    if (c == 0xED && b(1) >= 0xA0) return 0;  // surrogates
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    if (c == 0xF0 && b(1) < 0x90) return 0;   // overlong
    if (c == 0xF4 && b(1) >= 0x90) return 0;  // above U+10FFFF
    return 4;
  }
  return 0;
}

/// U+FFFD, what a byte that starts no valid sequence becomes.
inline constexpr std::string_view kReplacementCharacter = "\xEF\xBF\xBD";

}  // namespace lucid::detail
