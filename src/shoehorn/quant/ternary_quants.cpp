// TQ1_0 and TQ2_0, ggml's ternary types (BitNet b1.58, TriLMs): each value is -1, 0 or +1 times
// the block's f16 scale, the largest magnitude. quantize_row_tq1_0_ref / tq2_0_ref (what
// llama-quantize runs: quantize_tq*_0 ignore importance matrices) and dequantize_row_tq*_0,
// written again with the same arithmetic.
#include <algorithm>
#include <cmath>

#include "shoehorn/quant/f16.hpp"
#include "shoehorn/quant/round.hpp"
#include "shoehorn/quant/symmetric_values.hpp"
#include "shoehorn/quant/type_functions.hpp"

namespace shoehorn {

namespace {

std::size_t super_blocks_of(std::size_t values) { return values / kSuperValues; }

// ggml's amax = MAX(amax, fabsf(v)) over the block: a NaN is kept only while no later value
// is smaller.
float max_magnitude(const float* x) {
  float amax = 0.0f;
  for (int j = 0; j < kSuperValues; ++j) amax = amax > std::fabs(x[j]) ? amax : std::fabs(x[j]);
  return amax;
}

// lroundf(x * id) + 1: 0, 1, 2 for -1, 0, +1 (halves away from zero). A corrupt value (NaN,
// beyond the scale) saturates to the nearest digit instead of being undefined.
unsigned digit_of(float x, float id) {
  return static_cast<unsigned>(std::clamp<int>(round_half_away_int8(x * id), -1, 1) + 1);
}

// Five (or four, times 3) base-3 digits, the first most significant, as the fraction of 243
// rounded up to 256ths: ternary_digit reads digit n back as the top of byte * 3^n * 3 / 256.
std::uint8_t pack_digits(unsigned digits) {
  return static_cast<std::uint8_t>((digits * 256 + (243 - 1)) / 243);
}

}  // namespace

void quantize_tq1_0(const float* in, BlockTQ1_0* out, std::size_t values) {
  for (std::size_t b = 0; b < super_blocks_of(values); ++b) {
    const float* x = in + b * kSuperValues;
    BlockTQ1_0& y = out[b];
    const float d = max_magnitude(x);
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y.d = f32_to_f16(d);
    // Values 0..159: byte m of the first 32 holds values m, m + 32, ..., m + 128.
    for (int m = 0; m < 32; ++m) {
      unsigned q = 0;
      for (int n = 0; n < 5; ++n) q = q * 3 + digit_of(x[m + 32 * n], id);
      y.qs[m] = pack_digits(q);
    }
    // Values 160..239: byte 32 + m holds 160 + m, 176 + m, ..., 224 + m.
    for (int m = 0; m < 16; ++m) {
      unsigned q = 0;
      for (int n = 0; n < 5; ++n) q = q * 3 + digit_of(x[160 + m + 16 * n], id);
      y.qs[32 + m] = pack_digits(q);
    }
    // Values 240..255: qh[j] holds 240 + j, 244 + j, 248 + j, 252 + j, then a zero digit.
    for (int j = 0; j < 4; ++j) {
      unsigned q = 0;
      for (int n = 0; n < 4; ++n) q = q * 3 + digit_of(x[240 + j + 4 * n], id);
      y.qh[j] = pack_digits(q * 3);
    }
  }
}

void dequantize_tq1_0(const BlockTQ1_0* in, float* out, std::size_t values) {
  for (std::size_t b = 0; b < super_blocks_of(values); ++b) {
    const float d = f16_to_f32(in[b].d);
    for (int v = 0; v < kSuperValues; ++v) {
      out[b * kSuperValues + v] = static_cast<float>(tq1_0_value(in[b], v)) * d;
    }
  }
}

void quantize_tq2_0(const float* in, BlockTQ2_0* out, std::size_t values) {
  for (std::size_t b = 0; b < super_blocks_of(values); ++b) {
    const float* x = in + b * kSuperValues;
    BlockTQ2_0& y = out[b];
    const float d = max_magnitude(x);
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y.d = f32_to_f16(d);
    // Byte 32 h + m holds values 128 h + m + 32 n at bits 2n.
    for (int h = 0; h < 2; ++h) {
      for (int m = 0; m < 32; ++m) {
        unsigned q = 0;
        for (int n = 0; n < 4; ++n) q |= digit_of(x[128 * h + m + 32 * n], id) << (2 * n);
        y.qs[32 * h + m] = static_cast<std::uint8_t>(q);
      }
    }
  }
}

void dequantize_tq2_0(const BlockTQ2_0* in, float* out, std::size_t values) {
  for (std::size_t b = 0; b < super_blocks_of(values); ++b) {
    const float d = f16_to_f32(in[b].d);
    for (int v = 0; v < kSuperValues; ++v) {
      out[b * kSuperValues + v] = static_cast<float>(tq2_0_value(in[b], v)) * d;
    }
  }
}

}  // namespace shoehorn
