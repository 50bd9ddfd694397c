// IEEE 754 half precision <-> single precision, bit-exact and portable (no F16C, no _Float16):
// the conversions ggml performs, so F16 tensors and block scales match llama.cpp's bits.
#pragma once

#include <bit>
#include <cstdint>

namespace shoehorn {

// Exact: every half is a float.
constexpr float f16_to_f32(std::uint16_t h) {
  const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
  const std::uint32_t exponent = (h >> 10) & 0x1Fu;
  const std::uint32_t mantissa = h & 0x3FFu;
  if (exponent == 0) {
    // Zero or subnormal: mantissa x 2^-24, exact in a float.
    const float magnitude = static_cast<float>(mantissa) * 0x1.0p-24f;
    return std::bit_cast<float>(sign | std::bit_cast<std::uint32_t>(magnitude));
  }
  if (exponent == 31) return std::bit_cast<float>(sign | 0x7F800000u | (mantissa << 13));
  return std::bit_cast<float>(sign | ((exponent + 112) << 23) | (mantissa << 13));
}

// Round to nearest, ties to even; overflow gives infinity, NaN gives the quiet NaN 0x7E00.
constexpr std::uint16_t f32_to_f16(float f) {
  const std::uint32_t x = std::bit_cast<std::uint32_t>(f);
  const auto sign = static_cast<std::uint16_t>((x >> 16) & 0x8000u);
  const std::uint32_t magnitude = x & 0x7FFFFFFFu;
  if (magnitude > 0x7F800000u) return sign | 0x7E00u;  // NaN
  if (magnitude >= 0x477FF000u) return sign | 0x7C00u;  // 65520 and above round to infinity
  std::uint32_t mantissa = (magnitude & 0x7FFFFFu) | 0x800000u;
  const int exponent = static_cast<int>(magnitude >> 23);  // biased by 127
  if (magnitude <= 0x33000000u) return sign;  // 2^-25 and below round to zero
  // A half normal keeps 10 mantissa bits (drop 13); a subnormal counts units of 2^-24.
  const int drop = exponent >= 113 ? 13 : 126 - exponent;
  std::uint32_t kept = mantissa >> drop;
  const std::uint32_t rest = mantissa & ((1u << drop) - 1);
  const std::uint32_t half = 1u << (drop - 1);
  if (rest > half || (rest == half && (kept & 1u))) ++kept;  // a carry moves up the exponent
  if (exponent < 113) return static_cast<std::uint16_t>(sign | kept);
  mantissa = kept - 0x400u;  // without the implicit bit; 0x400 after a carry into the exponent
  return static_cast<std::uint16_t>(sign + (static_cast<std::uint32_t>(exponent - 112) << 10) +
                                    mantissa);
}

}  // namespace shoehorn

namespace shoehorn {

// bfloat16 is a float's high half: widening is exact.
constexpr float bf16_to_f32(std::uint16_t h) {
  return std::bit_cast<float>(static_cast<std::uint32_t>(h) << 16);
}

// ggml's GGML_FP32_TO_BF16: round to nearest even; a NaN stays a (quiet) NaN.
constexpr std::uint16_t f32_to_bf16(float f) {
  const std::uint32_t x = std::bit_cast<std::uint32_t>(f);
  if ((x & 0x7FFFFFFFu) > 0x7F800000u) return static_cast<std::uint16_t>((x >> 16) | 64);
  return static_cast<std::uint16_t>((x + (0x7FFFu + ((x >> 16) & 1))) >> 16);
}

}  // namespace shoehorn
