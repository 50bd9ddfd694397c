// Explicit byte order for every on-disk integer and float.
//
// Files are decoded from bytes with a named byte order, never by reinterpreting memory, so the
// same code reads the same file on x86-64 and on big-endian PowerPC.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

namespace shoehorn {

enum class ByteOrder : std::uint8_t { little, big };

constexpr ByteOrder native_byte_order() {
  return std::endian::native == std::endian::little ? ByteOrder::little : ByteOrder::big;
}

constexpr const char* to_string(ByteOrder order) {
  return order == ByteOrder::little ? "little-endian" : "big-endian";
}

constexpr std::uint16_t byteswap16(std::uint16_t v) {
  return static_cast<std::uint16_t>((v >> 8) | (v << 8));
}
constexpr std::uint32_t byteswap32(std::uint32_t v) {
  return ((v & 0x000000FFu) << 24) | ((v & 0x0000FF00u) << 8) | ((v & 0x00FF0000u) >> 8) |
         ((v & 0xFF000000u) >> 24);
}
constexpr std::uint64_t byteswap64(std::uint64_t v) {
  return (static_cast<std::uint64_t>(byteswap32(static_cast<std::uint32_t>(v))) << 32) |
         byteswap32(static_cast<std::uint32_t>(v >> 32));
}

// Loads from an unaligned byte pointer in the given order.
inline std::uint16_t load_u16(const std::byte* p, ByteOrder order) {
  const auto b0 = std::to_integer<std::uint16_t>(p[0]);
  const auto b1 = std::to_integer<std::uint16_t>(p[1]);
  return order == ByteOrder::little ? static_cast<std::uint16_t>(b0 | (b1 << 8))
                                    : static_cast<std::uint16_t>((b0 << 8) | b1);
}
inline std::uint32_t load_u32(const std::byte* p, ByteOrder order) {
  std::uint32_t v = 0;
  if (order == ByteOrder::little) {
    for (int i = 3; i >= 0; --i) v = (v << 8) | std::to_integer<std::uint32_t>(p[i]);
  } else {
    for (int i = 0; i < 4; ++i) v = (v << 8) | std::to_integer<std::uint32_t>(p[i]);
  }
  return v;
}
inline std::uint64_t load_u64(const std::byte* p, ByteOrder order) {
  const std::uint64_t lo = load_u32(p + (order == ByteOrder::little ? 0 : 4), order);
  const std::uint64_t hi = load_u32(p + (order == ByteOrder::little ? 4 : 0), order);
  return (hi << 32) | lo;
}
inline float load_f32(const std::byte* p, ByteOrder order) {
  return std::bit_cast<float>(load_u32(p, order));
}

inline void store_u16(std::byte* p, std::uint16_t v, ByteOrder order) {
  if (order == ByteOrder::big) v = byteswap16(v);
  p[0] = static_cast<std::byte>(v & 0xFF);
  p[1] = static_cast<std::byte>(v >> 8);
}
inline void store_u32(std::byte* p, std::uint32_t v, ByteOrder order) {
  for (int i = 0; i < 4; ++i) {
    const int shift = order == ByteOrder::little ? 8 * i : 8 * (3 - i);
    p[i] = static_cast<std::byte>((v >> shift) & 0xFF);
  }
}
inline void store_u64(std::byte* p, std::uint64_t v, ByteOrder order) {
  store_u32(p + (order == ByteOrder::little ? 0 : 4), static_cast<std::uint32_t>(v), order);
  store_u32(p + (order == ByteOrder::little ? 4 : 0), static_cast<std::uint32_t>(v >> 32), order);
}
inline void store_f32(std::byte* p, float v, ByteOrder order) {
  store_u32(p, std::bit_cast<std::uint32_t>(v), order);
}

// Bulk decode of a float array. When the file's order is the host's, this is one memcpy.
inline void decode_f32(std::span<const std::byte> src, std::span<float> dst, ByteOrder order) {
  if (dst.empty()) return;  // memcpy may not see the null pointer of an empty span
  if (order == native_byte_order()) {
    std::memcpy(dst.data(), src.data(), dst.size() * sizeof(float));
    return;
  }
  for (std::size_t i = 0; i < dst.size(); ++i) dst[i] = load_f32(src.data() + 4 * i, order);
}

inline void encode_f32(std::span<const float> src, std::span<std::byte> dst, ByteOrder order) {
  if (src.empty()) return;
  if (order == native_byte_order()) {
    std::memcpy(dst.data(), src.data(), src.size() * sizeof(float));
    return;
  }
  for (std::size_t i = 0; i < src.size(); ++i) store_f32(dst.data() + 4 * i, src[i], order);
}

}  // namespace shoehorn
