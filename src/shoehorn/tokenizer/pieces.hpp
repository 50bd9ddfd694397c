// What llama2.c does with a piece on its way out: decode() and safe_printf(). constexpr, so
// that the compile-time engine (ctime/) turns tokens into the very same text.
#pragma once

#include <array>
#include <cstddef>
#include <string_view>

namespace shoehorn {

// The byte a "<0xHH>" spelling stands for (exactly that form, uppercase or lowercase hex), or -1.
constexpr int parse_byte_piece(std::string_view piece) {
  if (piece.size() != 6 || piece.substr(0, 3) != "<0x" || piece[5] != '>') return -1;
  int value = 0;
  for (const char c : piece.substr(3, 2)) {
    int digit = -1;
    if (c >= '0' && c <= '9') digit = c - '0';
    if (c >= 'A' && c <= 'F') digit = c - 'A' + 10;
    if (c >= 'a' && c <= 'f') digit = c - 'a' + 10;
    if (digit < 0) return -1;
    value = value * 16 + digit;
  }
  return value;
}

namespace detail {
// One byte per entry: decode_piece's byte pieces point here.
constexpr std::array<char, 256> make_byte_table() {
  std::array<char, 256> table{};
  for (int i = 0; i < 256; ++i) table[static_cast<std::size_t>(i)] = static_cast<char>(i);
  return table;
}
inline constexpr std::array<char, 256> kByteTable = make_byte_table();
}  // namespace detail

// llama2.c's decode(): the space that opens a piece right after BOS is dropped, and a byte
// piece <0xHH> becomes that byte.
constexpr std::string_view decode_piece(std::string_view piece, bool after_bos) {
  if (after_bos && !piece.empty() && piece.front() == ' ') piece.remove_prefix(1);
  const int byte = parse_byte_piece(piece);
  if (byte >= 0) return {&detail::kByteTable[static_cast<std::size_t>(byte)], 1};
  return piece;
}

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
