// Q6_K and Q3_K, the K-quants without a minimum: ggml's quantize_row_q6_K_ref and
// quantize_row_q3_K_ref (what llama-quantize runs without an importance matrix: quantize_q6_K
// and quantize_q3_K call them when quant_weights is null), with make_qx_quants and
// make_q3_quants, and dequantize_row_q6_K / q3_K, written again with the same float operations
// in the same order, so that the blocks are llama.cpp's bytes.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "shoehorn/quant/f16.hpp"
#include "shoehorn/quant/round.hpp"
#include "shoehorn/quant/symmetric_values.hpp"
#include "shoehorn/quant/type_functions.hpp"

namespace shoehorn {

namespace {

constexpr float kNegligible = 1e-15f;  // GROUP_MAX_EPS
constexpr int kSubValues = 16;         // values per sub-block scale
constexpr int kSubBlocks = kSuperValues / kSubValues;

std::size_t super_blocks_of(std::size_t values) { return values / kSuperValues; }

// The value of largest magnitude with its sign (the first of equal magnitudes), and that
// magnitude.
struct SignedMax {
  float max = 0.0f, amax = 0.0f;
};
SignedMax signed_max(const float* x, int n) {
  SignedMax m;
  for (int i = 0; i < n; ++i) {
    const float ax = std::fabs(x[i]);
    if (ax > m.amax) {
      m.amax = ax;
      m.max = x[i];
    }
  }
  return m;
}

int clamp_level(int l, int nmax) { return std::max(-nmax, std::min(nmax - 1, l)); }

// ggml's make_qx_quants(16, nmax, x, L, rmse_type 1, no weights): the levels -nmax..nmax-1
// (stored + nmax) at -nmax / max, then at -(nmax + 0.1 is) / max for is = -9..9, keeping the
// least-squares scale of the best by sum(w l x)^2 / sum(w l l), with w = x^2.
float make_qx_quants(const float* x, int nmax, std::int8_t* levels) {
  const SignedMax m = signed_max(x, kSubValues);
  if (m.amax < kNegligible) {
    std::fill_n(levels, kSubValues, std::int8_t{0});
    return 0.0f;
  }
  // The sums at one inverse scale (levels written only when asked).
  auto sums_at = [&](float iscale, float& sumlx, float& suml2, std::int8_t* out) {
    sumlx = 0.0f;
    suml2 = 0.0f;
    for (int i = 0; i < kSubValues; ++i) {
      const int l = clamp_level(nearest_int(iscale * x[i]), nmax);
      if (out != nullptr) out[i] = static_cast<std::int8_t>(l + nmax);
      const float w = x[i] * x[i];
      sumlx += w * x[i] * static_cast<float>(l);
      suml2 += w * static_cast<float>(l) * static_cast<float>(l);
    }
  };
  float sumlx, suml2;
  sums_at(static_cast<float>(-nmax) / m.max, sumlx, suml2, levels);
  float scale = suml2 != 0.0f ? sumlx / suml2 : 0.0f;
  float best = scale * sumlx;
  for (int is = -9; is <= 9; ++is) {
    if (is == 0) continue;
    const float iscale = -(static_cast<float>(nmax) + 0.1f * static_cast<float>(is)) / m.max;
    sums_at(iscale, sumlx, suml2, nullptr);
    if (suml2 > 0.0f && sumlx * sumlx > best * suml2) {
      sums_at(iscale, sumlx, suml2, levels);
      scale = sumlx / suml2;
      best = scale * sumlx;
    }
  }
  return scale;
}

// ggml's make_q3_quants(16, nmax, x, L, do_rmse true): the levels at -nmax / max, then up to
// five passes that move single levels to the one the others' fit asks for while that raises
// sum(w l x)^2 / sum(w l l) (w = x^2); levels stored + nmax.
float make_q3_quants(const float* x, int nmax, std::int8_t* levels) {
  const SignedMax m = signed_max(x, kSubValues);
  if (m.amax < kNegligible) {
    std::fill_n(levels, kSubValues, std::int8_t{0});
    return 0.0f;
  }
  const float iscale = static_cast<float>(-nmax) / m.max;
  float sumlx = 0.0f, suml2 = 0.0f;
  int l[kSubValues];
  for (int i = 0; i < kSubValues; ++i) {
    l[i] = clamp_level(nearest_int(iscale * x[i]), nmax);
    const float w = x[i] * x[i];
    sumlx += w * x[i] * static_cast<float>(l[i]);
    suml2 += w * static_cast<float>(l[i]) * static_cast<float>(l[i]);
  }
  for (int pass = 0; pass < 5; ++pass) {
    int changed = 0;
    for (int i = 0; i < kSubValues; ++i) {
      const float w = x[i] * x[i];
      const float li = static_cast<float>(l[i]);
      float slx = sumlx - w * x[i] * li;
      if (slx > 0.0f) {
        float sl2 = suml2 - w * li * li;
        const int new_l = clamp_level(nearest_int(x[i] * sl2 / slx), nmax);
        if (new_l != l[i]) {
          const float nl = static_cast<float>(new_l);
          slx += w * x[i] * nl;
          sl2 += w * nl * nl;
          if (sl2 > 0.0f && slx * slx * suml2 > sumlx * sumlx * sl2) {
            l[i] = new_l;
            sumlx = slx;
            suml2 = sl2;
            ++changed;
          }
        }
      }
    }
    if (changed == 0) break;
  }
  for (int i = 0; i < kSubValues; ++i) levels[i] = static_cast<std::int8_t>(l[i] + nmax);
  return sumlx / suml2;
}

// The sub-block scale of largest magnitude, with its sign (the first of equals).
float signed_max_scale(const float (&scales)[kSubBlocks]) {
  float max_scale = 0.0f, amax = 0.0f;
  for (const float s : scales) {
    if (std::fabs(s) > amax) {
      amax = std::fabs(s);
      max_scale = s;
    }
  }
  return max_scale;
}

// Each value's level again at its sub-block's stored scale (d times the sub-block's integer
// scale), -nmax..nmax-1 stored + nmax; sub-blocks whose scale is zero keep their first levels.
template <class ScaleOf>
void requantize(const float* x, float d_block, int nmax, ScaleOf scale_of, std::int8_t* levels) {
  for (int j = 0; j < kSubBlocks; ++j) {
    const float d = d_block * static_cast<float>(scale_of(j));
    if (d == 0.0f) continue;
    for (int i = 0; i < kSubValues; ++i) {
      const int l = clamp_level(nearest_int(x[kSubValues * j + i] / d), nmax);
      levels[kSubValues * j + i] = static_cast<std::int8_t>(l + nmax);
    }
  }
}

}  // namespace

void quantize_q6_k(const float* in, BlockQ6_K* out, std::size_t values) {
  for (std::size_t b = 0; b < super_blocks_of(values); ++b) {
    const float* x = in + b * kSuperValues;
    BlockQ6_K& y = out[b];
    std::int8_t levels[kSuperValues];
    float scales[kSubBlocks];
    for (int j = 0; j < kSubBlocks; ++j) scales[j] = make_qx_quants(x + kSubValues * j, 32, levels + kSubValues * j);
    const float max_scale = signed_max_scale(scales);
    if (std::fabs(max_scale) < kNegligible) {
      y = BlockQ6_K{};
      continue;
    }
    // The sub-block scales as int8 of one f16 scale: the largest maps to -128.
    const float iscale = -128.0f / max_scale;
    y.d = f32_to_f16(1.0f / iscale);
    for (int j = 0; j < kSubBlocks; ++j) {
      y.scales[j] = static_cast<std::int8_t>(std::clamp(nearest_int(iscale * scales[j]), -128, 127));
    }
    requantize(x, f16_to_f32(y.d), 32, [&](int j) { return y.scales[j]; }, levels);
    // Low nibbles of values l and l + 64 of each half share a byte, as do l + 32 and l + 96;
    // their high two bits fill qh[l] (q6_k_value reads them back).
    for (int h = 0; h < 2; ++h) {
      const std::int8_t* L = levels + 128 * h;
      for (int l = 0; l < 32; ++l) {
        y.ql[64 * h + l] = static_cast<std::uint8_t>((L[l] & 0x0F) | (L[l + 64] & 0x0F) << 4);
        y.ql[64 * h + l + 32] = static_cast<std::uint8_t>((L[l + 32] & 0x0F) | (L[l + 96] & 0x0F) << 4);
        y.qh[32 * h + l] = static_cast<std::uint8_t>((L[l] >> 4) | (L[l + 32] >> 4) << 2 |
                                                     (L[l + 64] >> 4) << 4 | (L[l + 96] >> 4) << 6);
      }
    }
  }
}

void dequantize_q6_k(const BlockQ6_K* in, float* out, std::size_t values) {
  for (std::size_t b = 0; b < super_blocks_of(values); ++b) {
    const float d = f16_to_f32(in[b].d);
    for (int v = 0; v < kSuperValues; ++v) {
      out[b * kSuperValues + v] = d * static_cast<float>(in[b].scales[v / kSubValues]) *
                                  static_cast<float>(q6_k_value(in[b], v));
    }
  }
}

void quantize_q3_k(const float* in, BlockQ3_K* out, std::size_t values) {
  for (std::size_t b = 0; b < super_blocks_of(values); ++b) {
    const float* x = in + b * kSuperValues;
    BlockQ3_K& y = out[b];
    std::int8_t levels[kSuperValues];
    float scales[kSubBlocks];
    for (int j = 0; j < kSubBlocks; ++j) scales[j] = make_q3_quants(x + kSubValues * j, 4, levels + kSubValues * j);
    const float max_scale = signed_max_scale(scales);
    std::memset(y.scales, 0, sizeof y.scales);
    if (max_scale != 0.0f) {
      // Six-bit scales (-32..31, stored + 32) of one f16 scale: the largest maps to -32.
      const float iscale = -32.0f / max_scale;
      for (int j = 0; j < kSubBlocks; ++j) {
        const int l = std::clamp(nearest_int(iscale * scales[j]), -32, 31) + 32;
        if (j < 8) {
          y.scales[j] = static_cast<std::uint8_t>(l & 0x0F);
        } else {
          y.scales[j - 8] = static_cast<std::uint8_t>(y.scales[j - 8] | (l & 0x0F) << 4);
        }
        y.scales[8 + j % 4] = static_cast<std::uint8_t>(y.scales[8 + j % 4] | (l >> 4) << (2 * (j / 4)));
      }
      y.d = f32_to_f16(1.0f / iscale);
    } else {
      y.d = f32_to_f16(0.0f);
    }
    requantize(x, f16_to_f32(y.d), 4, [&](int j) { return q3_k_scale(y, j); }, levels);
    // Levels 0..7: bit 2 into hmask (bit v / 32 of byte v % 32), the low two bits into qs.
    std::memset(y.hmask, 0, sizeof y.hmask);
    for (int v = 0; v < kSuperValues; ++v) {
      if (levels[v] > 3) {
        y.hmask[v % 32] = static_cast<std::uint8_t>(y.hmask[v % 32] | 1u << (v / 32));
        levels[v] = static_cast<std::int8_t>(levels[v] - 4);
      }
    }
    for (int h = 0; h < 2; ++h) {
      const std::int8_t* L = levels + 128 * h;
      for (int l = 0; l < 32; ++l) {
        y.qs[32 * h + l] = static_cast<std::uint8_t>(L[l] | L[l + 32] << 2 | L[l + 64] << 4 | L[l + 96] << 6);
      }
    }
  }
}

void dequantize_q3_k(const BlockQ3_K* in, float* out, std::size_t values) {
  for (std::size_t b = 0; b < super_blocks_of(values); ++b) {
    const float d_all = f16_to_f32(in[b].d);
    for (int j = 0; j < kSubBlocks; ++j) {
      const float dl = d_all * static_cast<float>(q3_k_scale(in[b], j));
      for (int i = 0; i < kSubValues; ++i) {
        const int v = kSubValues * j + i;
        out[b * kSuperValues + v] = dl * static_cast<float>(q3_k_value(in[b], v));
      }
    }
  }
}

}  // namespace shoehorn
