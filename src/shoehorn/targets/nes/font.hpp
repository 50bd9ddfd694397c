// The cartridge's font: 8x8 glyphs for bytes 0x20..0x7E and a box (0x7F) for anything else.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace shoehorn::nes {

inline constexpr int kFirstGlyph = 0x20;
inline constexpr int kGlyphs = 96;  // 0x20..0x7F

// One byte per pixel row, bit 7 the leftmost pixel: the PPU's pattern plane order.
using FontBits = std::array<std::uint8_t, kGlyphs * 8>;
FontBits font_bits();

}  // namespace shoehorn::nes
