// CRC-32 (the zlib / PNG polynomial, reflected 0xEDB88320): the per-tensor checksum of a pack.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace shoehorn {

inline constexpr std::array<std::uint32_t, 256> kCrc32Table = [] {
  std::array<std::uint32_t, 256> table{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    table[i] = c;
  }
  return table;
}();

// Continues a CRC over more bytes: crc32(b, crc32(a)) == crc32(a then b); start from 0.
constexpr std::uint32_t crc32(std::span<const std::byte> bytes, std::uint32_t crc = 0) {
  crc = ~crc;
  for (const std::byte b : bytes) crc = kCrc32Table[(crc ^ std::to_integer<std::uint32_t>(b)) & 0xFF] ^ (crc >> 8);
  return ~crc;
}

}  // namespace shoehorn
