// GPT-2's byte-level alphabet: every byte is spelled as one code point, printable bytes as
// themselves and the rest (control, space, 0x7F..0xA0, 0xAD) as U+0100 onwards, in byte order
// (GPT-2's bytes_to_unicode; llama.cpp's unicode_byte_to_utf8_map).
#pragma once

#include <array>
#include <cstdint>

namespace shoehorn::byte_level {

constexpr bool printable_as_itself(int b) {
  return (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
}

constexpr std::array<char32_t, 256> make_byte_to_code_point() {
  std::array<char32_t, 256> map{};
  char32_t next = 0x100;
  for (int b = 0; b < 256; ++b) {
    map[static_cast<std::size_t>(b)] = printable_as_itself(b) ? static_cast<char32_t>(b) : next++;
  }
  return map;
}

inline constexpr std::array<char32_t, 256> kByteToCodePoint = make_byte_to_code_point();

// The byte a code point of the alphabet spells, or -1 for a code point outside it.
constexpr int byte_of(char32_t cp) {
  if (cp < 0x100) return printable_as_itself(static_cast<int>(cp)) ? static_cast<int>(cp) : -1;
  for (int b = 0; b < 256; ++b) {
    if (kByteToCodePoint[static_cast<std::size_t>(b)] == cp) return b;
  }
  return -1;
}

static_assert(kByteToCodePoint[' '] == 0x120);   // "Ġ"
static_assert(kByteToCodePoint['\n'] == 0x10A);  // "Ċ"
static_assert(byte_of(0x143) == 0xAD);

}  // namespace shoehorn::byte_level
