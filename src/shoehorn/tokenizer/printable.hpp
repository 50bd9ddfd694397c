// What llama2.c prints of a decoded piece. constexpr: the compile-time engine filters the same way.
#pragma once

#include <string_view>

namespace shoehorn {

// llama2.c's safe_printf filter: a piece that is one byte is printed only if it is printable
// ASCII or whitespace; any piece is cut at an embedded NUL (printf("%s") stops there).
constexpr std::string_view printable(std::string_view piece) {
  piece = piece.substr(0, piece.find('\0'));
  if (piece.size() == 1) {
    const auto c = static_cast<unsigned char>(piece[0]);
    const bool is_print = c >= 0x20 && c <= 0x7E;
    const bool is_space = c == ' ' || (c >= '\t' && c <= '\r');
    if (!is_print && !is_space) return {};
  }
  return piece;
}

}  // namespace shoehorn
