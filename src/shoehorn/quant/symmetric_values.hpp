// Where each value of the 256-value types without a minimum (Q6_K, Q3_K, IQ4_XS, TQ1_0, TQ2_0)
// lives in its block: value v's integer and its sub-block's scale, as ggml's dequantize_row_*
// read them. The dequantizers, the scalar dot products and the SIMD kernels' tails all read
// values through these, so there is one statement of each layout.
#pragma once

#include <cstdint>

#include "shoehorn/quant/blocks.hpp"

namespace shoehorn {

// Q6_K: 128-value halves; in half h, value 32k + l (k < 4, l < 32) has its low four bits in
// ql[64h + l + 32 (k & 1)] (low nibble for k < 2, high for k >= 2) and its high two bits at
// bit 2k of qh[32h + l]. Stored as q + 32 (0..63); scales[v / 16] is its sub-block's.
inline int q6_k_value(const BlockQ6_K& b, int v) {
  const int h = v / 128, k = (v % 128) / 32, l = v % 32;
  const int low_byte = b.ql[64 * h + l + 32 * (k & 1)];
  const int low = k < 2 ? low_byte & 0x0F : low_byte >> 4;
  const int high = (b.qh[32 * h + l] >> (2 * k)) & 3;
  return (low | high << 4) - 32;
}

// Q3_K: value v's low two bits at bit 2 ((v % 128) / 32) of qs[32 (v / 128) + v % 32], its
// high bit at bit v / 32 of hmask[v % 32]; a clear high bit means 4 less (-4..3).
inline int q3_k_value(const BlockQ3_K& b, int v) {
  const int low = (b.qs[32 * (v / 128) + v % 32] >> (2 * ((v % 128) / 32))) & 3;
  const bool high = (b.hmask[v % 32] >> (v / 32) & 1) != 0;
  return low - (high ? 0 : 4);
}
// Q3_K's 16 six-bit scales less 32: scale j's low four bits are the low (j < 8) or high nibble
// of scales[j % 8], its high two bits at bit 2 (j / 4) of scales[8 + j % 4].
inline int q3_k_scale(const BlockQ3_K& b, int j) {
  const int low = j < 8 ? b.scales[j] & 0x0F : b.scales[j - 8] >> 4;
  const int high = (b.scales[8 + j % 4] >> (2 * (j / 4))) & 3;
  return (low | high << 4) - 32;
}

// IQ4_XS: eight 32-value sub-blocks laid out as IQ4_NL blocks (value j of a sub-block in byte
// j's low nibble, j + 16 in its high one), each nibble one of the 16 levels.
inline int iq4_xs_value(const BlockIQ4_XS& b, int v) {
  const int byte = b.qs[16 * (v / 32) + v % 16];
  return kIQ4Levels[(v % 32) < 16 ? byte & 0x0F : byte >> 4];
}
// Sub-block s's six-bit scale less 32: low four bits in nibble s % 2 of scales_l[s / 2], high
// two bits at bit 2s of scales_h.
inline int iq4_xs_scale(const BlockIQ4_XS& b, int s) {
  const int low = (b.scales_l[s / 2] >> (4 * (s % 2))) & 0x0F;
  const int high = (b.scales_h >> (2 * s)) & 3;
  return (low | high << 4) - 32;
}

// TQ2_0: value v at bits 2 ((v % 128) / 32) of qs[32 (v / 128) + v % 32], stored as t + 1.
inline int tq2_0_value(const BlockTQ2_0& b, int v) {
  return ((b.qs[32 * (v / 128) + v % 32] >> (2 * ((v % 128) / 32))) & 3) - 1;
}

// TQ1_0: a byte holds five base-3 digits as a fraction of 256 (the first digit most
// significant): digit n is the top of (byte * 3^n mod 256) * 3 / 256. Values 0..159: digit v / 32
// of qs[v % 32]; 160..239: digit (v - 160) / 16 of qs[32 + v % 16]; 240..255: digit (v - 240) / 4
// of qh[v % 4] (four digits a byte). Stored as t + 1.
inline int ternary_digit(std::uint8_t byte, int n) {
  constexpr std::uint8_t kPow3[5] = {1, 3, 9, 27, 81};
  const std::uint8_t shifted = static_cast<std::uint8_t>(byte * kPow3[n]);
  return (shifted * 3) >> 8;
}
inline int tq1_0_value(const BlockTQ1_0& b, int v) {
  if (v < 160) return ternary_digit(b.qs[v % 32], v / 32) - 1;
  if (v < 240) return ternary_digit(b.qs[32 + (v - 160) % 16], (v - 160) / 16) - 1;
  return ternary_digit(b.qh[(v - 240) % 4], (v - 240) / 4) - 1;
}

}  // namespace shoehorn
