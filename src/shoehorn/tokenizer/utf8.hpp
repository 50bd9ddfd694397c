// UTF-8 decoding with SentencePiece's rules: a malformed byte is one unit of its own.
#pragma once

#include <cstddef>
#include <string_view>

namespace shoehorn::utf8 {

// Length of the well-formed UTF-8 sequence at the start of text (1..4), or 0 when the first
// byte does not begin one (stray continuation byte, overlong form, surrogate, > U+10FFFF, or a
// sequence cut short). text must not be empty.
std::size_t valid_prefix_length(std::string_view text);

inline constexpr std::string_view kReplacementCharacter = "\xEF\xBF\xBD";  // U+FFFD
inline constexpr std::string_view kWordBoundary = "\xE2\x96\x81";          // U+2581

}  // namespace shoehorn::utf8
