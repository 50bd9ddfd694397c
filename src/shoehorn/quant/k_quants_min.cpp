// ggml's K-quants with a minimum: Q2_K (16 sub-blocks of 16 values, 4-bit scales and mins),
// Q4_K and Q5_K (8 sub-blocks of 32 values, 6-bit scales and mins). quantize_row_q*_K_ref
// (what quantize_q*_K runs when llama-quantize has no importance matrix) and
// dequantize_row_q*_K of ggml-quants.c, written again with the same float operations in the
// same order, so that the blocks are llama-quantize's bytes.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "shoehorn/quant/f16.hpp"
#include "shoehorn/quant/round.hpp"
#include "shoehorn/quant/type_functions.hpp"

namespace shoehorn {

namespace {

std::size_t super_blocks_of(std::size_t values) { return values / kSuperValues; }

// The level nearest v, within 0..top.
std::uint8_t clamped_level(float v, int top) {
  return static_cast<std::uint8_t>(std::clamp(nearest_int(v), 0, top));
}

// A sub-block's fit: value = scale * level - min (min >= 0 after the sign change).
struct ScaleMin {
  float scale, min;
};

// ggml's weighted sum of the errors of levels L at `scale` and offset `offset`: |error| for
// Q2_K (use_mad), error^2 for the others.
float weighted_error(int n, const float* x, const float* weights, const std::uint8_t* levels,
                     float scale, float offset, bool use_mad) {
  float total = 0.0f;
  for (int i = 0; i < n; ++i) {
    float diff = scale * static_cast<float>(levels[i]) + offset - x[i];
    diff = use_mad ? std::fabs(diff) : diff * diff;
    total += weights[i] * diff;
  }
  return total;
}

// ggml's make_qkx2_quants: the levels (0..nmax) of n values and their scale and offset
// (offset <= 0, so that the range includes zero), starting from the range [min, max], then
// trying nstep + 1 other scales (nmax + rmin + rdelta * is over the range) and their weighted
// least-squares fits, keeping the best by weighted error. The sums in ggml's order: they
// decide ties and the last bits of the scale.
ScaleMin make_qkx2_quants(int n, int nmax, const float* x, const float* weights, std::uint8_t* levels,
                          float rmin, float rdelta, int nstep, bool use_mad) {
  float min = x[0], max = x[0];
  float sum_w = weights[0];
  float sum_x = sum_w * x[0];
  for (int i = 1; i < n; ++i) {
    if (x[i] < min) min = x[i];
    if (x[i] > max) max = x[i];
    const float w = weights[i];
    sum_w += w;
    sum_x += w * x[i];
  }
  if (min > 0.0f) min = 0.0f;
  if (max == min) {
    std::fill_n(levels, n, std::uint8_t{0});
    return {0.0f, -min};
  }
  float iscale = static_cast<float>(nmax) / (max - min);
  float scale = 1.0f / iscale;
  for (int i = 0; i < n; ++i) levels[i] = clamped_level(iscale * (x[i] - min), nmax);
  float best_error = weighted_error(n, x, weights, levels, scale, min, use_mad);
  std::uint8_t trial[32];
  for (int is = 0; is <= nstep; ++is) {
    iscale = (rmin + rdelta * static_cast<float>(is) + static_cast<float>(nmax)) / (max - min);
    float sum_l = 0.0f, sum_l2 = 0.0f, sum_xl = 0.0f;
    for (int i = 0; i < n; ++i) {
      const std::uint8_t l = clamped_level(iscale * (x[i] - min), nmax);
      trial[i] = l;
      const float w = weights[i];
      const float fl = static_cast<float>(l);
      sum_l += w * fl;
      sum_l2 += w * fl * fl;
      sum_xl += w * fl * x[i];
    }
    const float det = sum_w * sum_l2 - sum_l * sum_l;
    if (!(det > 0.0f)) continue;
    float this_scale = (sum_w * sum_xl - sum_x * sum_l) / det;
    float this_min = (sum_l2 * sum_x - sum_l * sum_xl) / det;
    if (this_min > 0.0f) {
      this_min = 0.0f;
      this_scale = sum_xl / sum_l2;
    }
    const float error = weighted_error(n, x, weights, trial, this_scale, this_min, use_mad);
    if (error < best_error) {
      std::copy_n(trial, n, levels);
      best_error = error;
      scale = this_scale;
      min = this_min;
    }
  }
  return {scale, -min};
}

// The largest scale and the largest min of a super-block's sub-blocks (both >= 0).
struct Maxima {
  float scale = 0.0f, min = 0.0f;
};
Maxima maxima_of(const ScaleMin* fits, int count) {
  Maxima m;
  for (int j = 0; j < count; ++j) {
    if (fits[j].scale > m.scale) m.scale = fits[j].scale;
    if (fits[j].min > m.min) m.min = fits[j].min;
  }
  return m;
}

// The levels of one sub-block again at its stored (rounded) scale and min, as ggml redoes them:
// a zero scale keeps the levels make_qkx2_quants gave.
void requantize(const float* x, int n, float d, float dm, int top, std::uint8_t* levels) {
  if (d == 0.0f) return;
  for (int i = 0; i < n; ++i) levels[i] = clamped_level((x[i] + dm) / d, top);
}

// ---- Q4_K and Q5_K: 8 sub-blocks of 32 values, scales and mins in 12 bytes --------------------

constexpr int kSubBlocks = kSuperValues / 32;

// The 6-bit codes packed as get_scale_min_k4 reads them (ggml's order of writes).
void pack_scale_min_k4(const std::uint8_t* ls, const std::uint8_t* lm, std::uint8_t* q) {
  for (int j = 0; j < kSubBlocks; ++j) {
    if (j < 4) {
      q[j] = ls[j];
      q[j + 4] = lm[j];
    } else {
      q[j + 4] = static_cast<std::uint8_t>((ls[j] & 0xF) | ((lm[j] & 0xF) << 4));
      q[j - 4] = static_cast<std::uint8_t>(q[j - 4] | ((ls[j] >> 4) << 6));
      q[j] = static_cast<std::uint8_t>(q[j] | ((lm[j] >> 4) << 6));
    }
  }
}

// ggml's uint8_t ls = nearest_int(...) (the int's low byte), capped at 63.
std::uint8_t six_bit_code(float v) {
  return std::min<std::uint8_t>(63, static_cast<std::uint8_t>(nearest_int(v)));
}

// The part of quantize_row_q4_K_ref and quantize_row_q5_K_ref they share: each 32 values'
// levels (0..top) under the super-block's d, dmin and 6-bit codes, written into `block`'s d,
// dmin and scales.
template <class Block>
void quantize_k4_levels(const float* x, int top, float rmin, int nstep, Block& block,
                        std::uint8_t (&levels)[kSuperValues]) {
  ScaleMin fits[kSubBlocks];
  for (int j = 0; j < kSubBlocks; ++j) {
    const float* v = x + 32 * j;
    // Weights: the sub-block's root mean square plus each value's magnitude.
    float sum_x2 = 0.0f;
    for (int l = 0; l < 32; ++l) sum_x2 += v[l] * v[l];
    const float av_x = std::sqrt(sum_x2 / 32.0f);
    float weights[32];
    for (int l = 0; l < 32; ++l) weights[l] = av_x + std::fabs(v[l]);
    fits[j] = make_qkx2_quants(32, top, v, weights, levels + 32 * j, rmin, 0.1f, nstep, false);
  }
  const Maxima m = maxima_of(fits, kSubBlocks);
  const float inv_scale = m.scale > 0.0f ? 63.0f / m.scale : 0.0f;
  const float inv_min = m.min > 0.0f ? 63.0f / m.min : 0.0f;
  std::uint8_t ls[kSubBlocks], lm[kSubBlocks];
  for (int j = 0; j < kSubBlocks; ++j) {
    ls[j] = six_bit_code(inv_scale * fits[j].scale);
    lm[j] = six_bit_code(inv_min * fits[j].min);
  }
  pack_scale_min_k4(ls, lm, block.scales);
  block.d = f32_to_f16(m.scale / 63.0f);
  block.dmin = f32_to_f16(m.min / 63.0f);
  for (int j = 0; j < kSubBlocks; ++j) {
    const KScaleMin c = k4_scale_min(block.scales, j);
    const float d = f16_to_f32(block.d) * static_cast<float>(c.scale);
    const float dm = f16_to_f32(block.dmin) * static_cast<float>(c.min);
    requantize(x + 32 * j, 32, d, dm, top, levels + 32 * j);
  }
}

}  // namespace

void quantize_q4_k(const float* in, BlockQ4_K* out, std::size_t values) {
  for (std::size_t b = 0; b < super_blocks_of(values); ++b) {
    std::uint8_t levels[kSuperValues];
    quantize_k4_levels(in + b * kSuperValues, 15, -1.0f, 20, out[b], levels);
    // Each 64 values: the first 32 in the low nibbles of 32 bytes, the next 32 in the high ones.
    for (int c = 0; c < kSuperValues / 64; ++c) {
      for (int l = 0; l < 32; ++l) {
        out[b].qs[32 * c + l] = static_cast<std::uint8_t>(levels[64 * c + l] | (levels[64 * c + 32 + l] << 4));
      }
    }
  }
}

void dequantize_q4_k(const BlockQ4_K* in, float* out, std::size_t values) {
  for (std::size_t b = 0; b < super_blocks_of(values); ++b) {
    const BlockQ4_K& q = in[b];
    const float d = f16_to_f32(q.d);
    const float min = f16_to_f32(q.dmin);
    float* y = out + b * kSuperValues;
    for (int c = 0; c < kSuperValues / 64; ++c) {
      const KScaleMin lo = k4_scale_min(q.scales, 2 * c), hi = k4_scale_min(q.scales, 2 * c + 1);
      const float d1 = d * static_cast<float>(lo.scale), m1 = min * static_cast<float>(lo.min);
      const float d2 = d * static_cast<float>(hi.scale), m2 = min * static_cast<float>(hi.min);
      for (int l = 0; l < 32; ++l) y[64 * c + l] = d1 * static_cast<float>(q.qs[32 * c + l] & 0xF) - m1;
      for (int l = 0; l < 32; ++l) y[64 * c + 32 + l] = d2 * static_cast<float>(q.qs[32 * c + l] >> 4) - m2;
    }
  }
}

void quantize_q5_k(const float* in, BlockQ5_K* out, std::size_t values) {
  for (std::size_t b = 0; b < super_blocks_of(values); ++b) {
    std::uint8_t levels[kSuperValues];
    quantize_k4_levels(in + b * kSuperValues, 31, -0.5f, 15, out[b], levels);
    // As Q4_K's nibbles, and the fifth bit of value 32k + l is bit k of qh[l].
    std::memset(out[b].qh, 0, sizeof out[b].qh);
    for (int c = 0; c < kSuperValues / 64; ++c) {
      for (int l = 0; l < 32; ++l) {
        const int lo = levels[64 * c + l], hi = levels[64 * c + 32 + l];
        out[b].qs[32 * c + l] = static_cast<std::uint8_t>((lo & 0xF) | ((hi & 0xF) << 4));
        out[b].qh[l] = static_cast<std::uint8_t>(out[b].qh[l] | ((lo >> 4) << (2 * c)) | ((hi >> 4) << (2 * c + 1)));
      }
    }
  }
}

void dequantize_q5_k(const BlockQ5_K* in, float* out, std::size_t values) {
  for (std::size_t b = 0; b < super_blocks_of(values); ++b) {
    const BlockQ5_K& q = in[b];
    const float d = f16_to_f32(q.d);
    const float min = f16_to_f32(q.dmin);
    float* y = out + b * kSuperValues;
    for (int c = 0; c < kSuperValues / 64; ++c) {
      const KScaleMin lo = k4_scale_min(q.scales, 2 * c), hi = k4_scale_min(q.scales, 2 * c + 1);
      const float d1 = d * static_cast<float>(lo.scale), m1 = min * static_cast<float>(lo.min);
      const float d2 = d * static_cast<float>(hi.scale), m2 = min * static_cast<float>(hi.min);
      for (int l = 0; l < 32; ++l) {
        const int level = (q.qs[32 * c + l] & 0xF) + ((q.qh[l] >> (2 * c) & 1) << 4);
        y[64 * c + l] = d1 * static_cast<float>(level) - m1;
      }
      for (int l = 0; l < 32; ++l) {
        const int level = (q.qs[32 * c + l] >> 4) + ((q.qh[l] >> (2 * c + 1) & 1) << 4);
        y[64 * c + 32 + l] = d2 * static_cast<float>(level) - m2;
      }
    }
  }
}

// ---- Q2_K: 16 sub-blocks of 16 values, a 4-bit scale and min in each byte of scales -----------

void quantize_q2_k(const float* in, BlockQ2_K* out, std::size_t values) {
  constexpr int kGroups = kSuperValues / 16;
  constexpr float kFourBits = 15.0f;
  for (std::size_t b = 0; b < super_blocks_of(values); ++b) {
    const float* x = in + b * kSuperValues;
    BlockQ2_K& q = out[b];
    std::uint8_t levels[kSuperValues];
    ScaleMin fits[kGroups];
    for (int j = 0; j < kGroups; ++j) {
      float weights[16];
      for (int l = 0; l < 16; ++l) weights[l] = std::fabs(x[16 * j + l]);
      fits[j] = make_qkx2_quants(16, 3, x + 16 * j, weights, levels + 16 * j, -0.5f, 0.1f, 15, true);
    }
    const Maxima m = maxima_of(fits, kGroups);
    // ggml stores the int code's low byte (the scale's code, then the min's shifted in).
    if (m.scale > 0.0f) {
      const float iscale = kFourBits / m.scale;
      for (int j = 0; j < kGroups; ++j) q.scales[j] = static_cast<std::uint8_t>(nearest_int(iscale * fits[j].scale));
      q.d = f32_to_f16(m.scale / kFourBits);
    } else {
      std::fill(std::begin(q.scales), std::end(q.scales), std::uint8_t{0});
      q.d = f32_to_f16(0.0f);
    }
    if (m.min > 0.0f) {
      const float iscale = kFourBits / m.min;
      for (int j = 0; j < kGroups; ++j) {
        const auto code = static_cast<unsigned>(nearest_int(iscale * fits[j].min));
        q.scales[j] = static_cast<std::uint8_t>(q.scales[j] | (code << 4));
      }
      q.dmin = f32_to_f16(m.min / kFourBits);
    } else {
      q.dmin = f32_to_f16(0.0f);
    }
    for (int j = 0; j < kGroups; ++j) {
      const float d = f16_to_f32(q.d) * static_cast<float>(q.scales[j] & 0xF);
      const float dm = f16_to_f32(q.dmin) * static_cast<float>(q.scales[j] >> 4);
      requantize(x + 16 * j, 16, d, dm, 3, levels + 16 * j);
    }
    // Each 128 values: byte l of the 32 holds values l, l + 32, l + 64, l + 96 (2 bits each,
    // lowest first).
    for (int h = 0; h < kSuperValues / 128; ++h) {
      for (int l = 0; l < 32; ++l) {
        const std::uint8_t* v = levels + 128 * h + l;
        q.qs[32 * h + l] = static_cast<std::uint8_t>(v[0] | (v[32] << 2) | (v[64] << 4) | (v[96] << 6));
      }
    }
  }
}

void dequantize_q2_k(const BlockQ2_K* in, float* out, std::size_t values) {
  for (std::size_t b = 0; b < super_blocks_of(values); ++b) {
    const BlockQ2_K& q = in[b];
    const float d = f16_to_f32(q.d);
    const float min = f16_to_f32(q.dmin);
    float* y = out + b * kSuperValues;
    // Value v is bits 2 (v % 128 / 32) of byte 32 (v / 128) + v % 32, in sub-block v / 16.
    for (int v = 0; v < kSuperValues; ++v) {
      const std::uint8_t sc = q.scales[v / 16];
      const float dl = d * static_cast<float>(sc & 0xF), ml = min * static_cast<float>(sc >> 4);
      const int level = q.qs[32 * (v / 128) + v % 32] >> (2 * (v % 128 / 32)) & 3;
      y[v] = dl * static_cast<float>(level) - ml;
    }
  }
}

}  // namespace shoehorn
