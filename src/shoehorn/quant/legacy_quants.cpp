// ggml's 32-value blocks: quantize_row_*_ref and dequantize_row_* of ggml-quants.c, written
// again in C++ with the same arithmetic.
#include <algorithm>
#include <cmath>

#include "shoehorn/quant/f16.hpp"
#include "shoehorn/quant/round.hpp"
#include "shoehorn/quant/type_functions.hpp"

namespace shoehorn {

namespace {

std::size_t blocks_of(std::size_t values) { return values / kBlockValues; }

}  // namespace

void quantize_q8_0(const float* in, BlockQ8_0* out, std::size_t values) {
  for (std::size_t b = 0; b < blocks_of(values); ++b) {
    const float* v = in + b * kBlockValues;
    float amax = 0.0f;
    for (int j = 0; j < kBlockValues; ++j) amax = std::max(amax, std::fabs(v[j]));
    // The values divide by the float scale; the block stores it rounded to f16.
    const float d = amax / 127.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    out[b].d = f32_to_f16(d);
    for (int j = 0; j < kBlockValues; ++j) out[b].qs[j] = round_half_away_int8(v[j] * id);
  }
}

void dequantize_q8_0(const BlockQ8_0* in, float* out, std::size_t values) {
  for (std::size_t b = 0; b < blocks_of(values); ++b) {
    const float d = f16_to_f32(in[b].d);
    for (int j = 0; j < kBlockValues; ++j) out[b * kBlockValues + j] = in[b].qs[j] * d;
  }
}

void quantize_q4_0(const float* in, BlockQ4_0* out, std::size_t values) {
  constexpr int kHalf = kBlockValues / 2;
  for (std::size_t b = 0; b < blocks_of(values); ++b) {
    const float* v = in + b * kBlockValues;
    // The value of largest magnitude, with its sign, maps to -8: the one end of the nibble
    // range that has no positive twin.
    float amax = 0.0f, max = 0.0f;
    for (int j = 0; j < kBlockValues; ++j) {
      if (amax < std::fabs(v[j])) {
        amax = std::fabs(v[j]);
        max = v[j];
      }
    }
    const float d = max / -8.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    out[b].d = f32_to_f16(d);
    // ggml truncates value + 8.5 toward zero and caps it at 15.
    auto nibble = [](float scaled) {
      const std::int8_t t = saturate_int8(std::trunc(static_cast<double>(scaled + 8.5f)));
      return static_cast<std::uint8_t>(std::clamp<int>(t, 0, 15));
    };
    for (int j = 0; j < kHalf; ++j) {
      out[b].qs[j] = static_cast<std::uint8_t>(nibble(v[j] * id) | (nibble(v[kHalf + j] * id) << 4));
    }
  }
}

void dequantize_q4_0(const BlockQ4_0* in, float* out, std::size_t values) {
  constexpr int kHalf = kBlockValues / 2;
  for (std::size_t b = 0; b < blocks_of(values); ++b) {
    const float d = f16_to_f32(in[b].d);
    for (int j = 0; j < kHalf; ++j) {
      out[b * kBlockValues + j] = static_cast<float>((in[b].qs[j] & 0x0F) - 8) * d;
      out[b * kBlockValues + kHalf + j] = static_cast<float>((in[b].qs[j] >> 4) - 8) * d;
    }
  }
}

}  // namespace shoehorn
