// ggml's 32-value blocks: quantize_row_*_ref and dequantize_row_* of ggml-quants.c, written
// again in C++ with the same arithmetic.
#include <algorithm>
#include <cmath>
#include <limits>

#include "shoehorn/quant/f16.hpp"
#include "shoehorn/quant/round.hpp"
#include "shoehorn/quant/symmetric_values.hpp"
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

// ---- Q4_1, Q5_0, Q5_1, IQ4_NL and the Q8_1 activations -------------------------------------

namespace {

// ggml's (int8_t)(v) and (uint8_t)(v) conversions of a float that its scale keeps in range; a
// corrupt value (NaN, out of range) saturates here instead of being undefined.
std::int8_t truncate_int8(float v) { return saturate_int8(std::trunc(static_cast<double>(v))); }
std::uint8_t truncate_uint8(float v) {
  if (!(v == v)) return 0;
  return static_cast<std::uint8_t>(std::clamp(std::trunc(static_cast<double>(v)), 0.0, 255.0));
}

// The smallest and the largest value of a block, as ggml's Q4_1/Q5_1 find them.
struct Range {
  float min, max;
};
Range range_of(const float* v) {
  Range r{std::numeric_limits<float>::max(), -std::numeric_limits<float>::max()};
  for (int j = 0; j < kBlockValues; ++j) {
    if (v[j] < r.min) r.min = v[j];
    if (v[j] > r.max) r.max = v[j];
  }
  return r;
}

// The value of largest magnitude, with its sign (the first of equal magnitudes).
float signed_max_of(const float* v) {
  float amax = 0.0f, max = 0.0f;
  for (int j = 0; j < kBlockValues; ++j) {
    if (amax < std::fabs(v[j])) {
      amax = std::fabs(v[j]);
      max = v[j];
    }
  }
  return max;
}

}  // namespace

void quantize_q4_1(const float* in, BlockQ4_1* out, std::size_t values) {
  constexpr int kHalf = kBlockValues / 2;
  for (std::size_t b = 0; b < blocks_of(values); ++b) {
    const float* v = in + b * kBlockValues;
    // The 16 levels span [min, max]: min is level 0.
    const Range r = range_of(v);
    const float d = (r.max - r.min) / 15.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    out[b].d = f32_to_f16(d);
    out[b].m = f32_to_f16(r.min);
    // ggml adds 0.5, truncates to int8 and caps at 15 (v - min >= 0, so never below 0).
    auto nibble = [&](float x) {
      return static_cast<std::uint8_t>(std::clamp<int>(truncate_int8((x - r.min) * id + 0.5f), 0, 15));
    };
    for (int j = 0; j < kHalf; ++j) {
      out[b].qs[j] = static_cast<std::uint8_t>(nibble(v[j]) | (nibble(v[kHalf + j]) << 4));
    }
  }
}

void dequantize_q4_1(const BlockQ4_1* in, float* out, std::size_t values) {
  constexpr int kHalf = kBlockValues / 2;
  for (std::size_t b = 0; b < blocks_of(values); ++b) {
    const float d = f16_to_f32(in[b].d);
    const float m = f16_to_f32(in[b].m);
    for (int j = 0; j < kHalf; ++j) {
      out[b * kBlockValues + j] = static_cast<float>(in[b].qs[j] & 0x0F) * d + m;
      out[b * kBlockValues + kHalf + j] = static_cast<float>(in[b].qs[j] >> 4) * d + m;
    }
  }
}

void quantize_q5_0(const float* in, BlockQ5_0* out, std::size_t values) {
  constexpr int kHalf = kBlockValues / 2;
  for (std::size_t b = 0; b < blocks_of(values); ++b) {
    const float* v = in + b * kBlockValues;
    // As Q4_0 with 32 levels: the value of largest magnitude maps to -16.
    const float d = signed_max_of(v) / -16.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    out[b].d = f32_to_f16(d);
    // ggml truncates value + 16.5 to int8 and caps it at 31.
    auto level = [&](float x) {
      return static_cast<std::uint32_t>(std::clamp<int>(truncate_int8(x * id + 16.5f), 0, 31));
    };
    std::uint32_t high = 0;
    for (int j = 0; j < kHalf; ++j) {
      const std::uint32_t lo = level(v[j]), hi = level(v[kHalf + j]);
      out[b].qs[j] = static_cast<std::uint8_t>((lo & 0x0F) | ((hi & 0x0F) << 4));
      high |= (lo >> 4) << j | (hi >> 4) << (j + kHalf);
    }
    set_fifth_bits(high, out[b].qh);
  }
}

void dequantize_q5_0(const BlockQ5_0* in, float* out, std::size_t values) {
  constexpr int kHalf = kBlockValues / 2;
  for (std::size_t b = 0; b < blocks_of(values); ++b) {
    const float d = f16_to_f32(in[b].d);
    const std::uint32_t high = fifth_bits(in[b].qh);
    for (int j = 0; j < kHalf; ++j) {
      const int lo = static_cast<int>((in[b].qs[j] & 0x0F) | ((high >> j & 1u) << 4)) - 16;
      const int hi = static_cast<int>((in[b].qs[j] >> 4) | ((high >> (j + kHalf) & 1u) << 4)) - 16;
      out[b * kBlockValues + j] = static_cast<float>(lo) * d;
      out[b * kBlockValues + kHalf + j] = static_cast<float>(hi) * d;
    }
  }
}

void quantize_q5_1(const float* in, BlockQ5_1* out, std::size_t values) {
  constexpr int kHalf = kBlockValues / 2;
  for (std::size_t b = 0; b < blocks_of(values); ++b) {
    const float* v = in + b * kBlockValues;
    const Range r = range_of(v);
    const float d = (r.max - r.min) / 31.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    out[b].d = f32_to_f16(d);
    out[b].m = f32_to_f16(r.min);
    // ggml adds 0.5 and truncates to uint8, with no cap: the scale keeps it at 31 or below.
    auto level = [&](float x) { return static_cast<std::uint32_t>(truncate_uint8((x - r.min) * id + 0.5f)); };
    std::uint32_t high = 0;
    for (int j = 0; j < kHalf; ++j) {
      const std::uint32_t lo = level(v[j]), hi = level(v[kHalf + j]);
      out[b].qs[j] = static_cast<std::uint8_t>((lo & 0x0F) | ((hi & 0x0F) << 4));
      high |= ((lo & 0x10) >> 4) << j | ((hi & 0x10) >> 4) << (j + kHalf);
    }
    set_fifth_bits(high, out[b].qh);
  }
}

void dequantize_q5_1(const BlockQ5_1* in, float* out, std::size_t values) {
  constexpr int kHalf = kBlockValues / 2;
  for (std::size_t b = 0; b < blocks_of(values); ++b) {
    const float d = f16_to_f32(in[b].d);
    const float m = f16_to_f32(in[b].m);
    const std::uint32_t high = fifth_bits(in[b].qh);
    for (int j = 0; j < kHalf; ++j) {
      const unsigned lo = (in[b].qs[j] & 0x0Fu) | ((high >> j & 1u) << 4);
      const unsigned hi = (in[b].qs[j] >> 4) | ((high >> (j + kHalf) & 1u) << 4);
      out[b * kBlockValues + j] = static_cast<float>(lo) * d + m;
      out[b * kBlockValues + kHalf + j] = static_cast<float>(hi) * d + m;
    }
  }
}

namespace {

// ggml's best_index_int8: the level nearest x (the lower one of a tie), by bisection.
int nearest_level(float x) {
  constexpr int kLevels = 16;
  if (x <= kIQ4Levels[0]) return 0;
  if (x >= kIQ4Levels[kLevels - 1]) return kLevels - 1;
  int lo = 0, hi = kLevels - 1;
  while (hi - lo > 1) {
    const int mid = (lo + hi) / 2;
    if (x < kIQ4Levels[mid]) {
      hi = mid;
    } else {
      lo = mid;
    }
  }
  return x - kIQ4Levels[hi - 1] < kIQ4Levels[hi] - x ? hi - 1 : hi;
}

// The weighted sums that judge a scale: sum w q x and sum w q q over the block, with w = x^2
// (no importance matrix) and q each value's level at scale 1 / id.
struct Fit {
  float sumqx = 0.0f, sumq2 = 0.0f;
};
Fit fit_at(const float* x, float id) {
  Fit f;
  for (int j = 0; j < kBlockValues; ++j) {
    const float w = x[j] * x[j];
    const float q = kIQ4Levels[nearest_level(id * x[j])];
    f.sumqx += w * q * x[j];
    f.sumq2 += w * q * q;
  }
  return f;
}

// ggml's quantize_row_iq4_nl_impl for one 32-value block with no weights and 7 tries either
// side (what quantize_iq4_nl, llama-quantize's path, passes): the least-squares scale at the
// levels that max / 127 gives, then at each of the levels that max / (127 -+ k) gives, the best
// by sum(w q x)^2 / sum(w q q).
float iq4_nl_scale(const float* x) {
  constexpr int kTries = 7;
  constexpr float kNegligible = 1e-15f;  // GROUP_MAX_EPS
  float amax = 0.0f, max = 0.0f;
  for (int j = 0; j < kBlockValues; ++j) {
    const float ax = std::fabs(x[j]);
    if (ax > amax) {
      amax = ax;
      max = x[j];
    }
  }
  if (amax < kNegligible) return 0.0f;
  // sumq2 > 0 below: the largest value's weight is at least 1e-30 and every level is nonzero.
  const Fit first = fit_at(x, 1.0f / (-max / kIQ4Levels[0]));
  float d = first.sumqx / first.sumq2;
  float best = d * first.sumqx;
  for (int t = -kTries; t <= kTries; ++t) {
    const Fit f = fit_at(x, static_cast<float>(t + kIQ4Levels[0]) / max);
    if (f.sumq2 > 0.0f && f.sumqx * f.sumqx > best * f.sumq2) {
      d = f.sumqx / f.sumq2;
      best = d * f.sumqx;
    }
  }
  return d;
}

}  // namespace

void quantize_iq4_nl(const float* in, BlockIQ4_NL* out, std::size_t values) {
  constexpr int kHalf = kBlockValues / 2;
  for (std::size_t b = 0; b < blocks_of(values); ++b) {
    const float* v = in + b * kBlockValues;
    const float d = iq4_nl_scale(v);
    out[b].d = f32_to_f16(d);
    // The levels again at the float scale (a zero scale: every value at level 8, value 1).
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    for (int j = 0; j < kHalf; ++j) {
      out[b].qs[j] = static_cast<std::uint8_t>(nearest_level(id * v[j]) |
                                               (nearest_level(id * v[kHalf + j]) << 4));
    }
  }
}

void dequantize_iq4_nl(const BlockIQ4_NL* in, float* out, std::size_t values) {
  constexpr int kHalf = kBlockValues / 2;
  for (std::size_t b = 0; b < blocks_of(values); ++b) {
    const float d = f16_to_f32(in[b].d);
    for (int j = 0; j < kHalf; ++j) {
      out[b * kBlockValues + j] = d * static_cast<float>(kIQ4Levels[in[b].qs[j] & 0x0F]);
      out[b * kBlockValues + kHalf + j] = d * static_cast<float>(kIQ4Levels[in[b].qs[j] >> 4]);
    }
  }
}

// IQ4_XS: quantize_row_iq4_nl_impl with 256-value super-blocks of 32-value sub-blocks (what
// quantize_iq4_xs passes with no importance matrix: weights x^2, 7 tries): each sub-block's
// scale as IQ4_NL finds it, then six-bit scales of one f16 scale d = -max / 32 (the largest
// scale, with its sign), and each value's level again at its sub-block's d l.
void quantize_iq4_xs(const float* in, BlockIQ4_XS* out, std::size_t values) {
  constexpr int kSubBlocks = kSuperValues / kBlockValues;
  constexpr int kHalf = kBlockValues / 2;
  for (std::size_t b = 0; b < values / kSuperValues; ++b) {
    const float* x = in + b * kSuperValues;
    BlockIQ4_XS& y = out[b];
    float scales[kSubBlocks];
    float max_scale = 0.0f, amax_scale = 0.0f;
    for (int s = 0; s < kSubBlocks; ++s) {
      scales[s] = iq4_nl_scale(x + s * kBlockValues);
      if (std::fabs(scales[s]) > amax_scale) {
        amax_scale = std::fabs(scales[s]);
        max_scale = scales[s];
      }
    }
    // A block of zeros: d = -0 / 32, ggml's negative zero.
    const float d = -max_scale / 32.0f;
    y.d = f32_to_f16(d);
    y.scales_h = 0;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    for (int s = 0; s < kSubBlocks; ++s) {
      const int l = std::clamp(nearest_int(id * scales[s]), -32, 31);
      const float dl = d * static_cast<float>(l);
      const float idl = dl != 0.0f ? 1.0f / dl : 0.0f;
      const float* xs = x + s * kBlockValues;
      for (int j = 0; j < kHalf; ++j) {
        y.qs[s * kHalf + j] = static_cast<std::uint8_t>(nearest_level(idl * xs[j]) |
                                                        (nearest_level(idl * xs[kHalf + j]) << 4));
      }
      const int stored = l + 32;
      if (s % 2 == 0) {
        y.scales_l[s / 2] = static_cast<std::uint8_t>(stored & 0x0F);
      } else {
        y.scales_l[s / 2] = static_cast<std::uint8_t>(y.scales_l[s / 2] | (stored & 0x0F) << 4);
      }
      y.scales_h = static_cast<std::uint16_t>(y.scales_h | (stored >> 4) << (2 * s));
    }
  }
}

void dequantize_iq4_xs(const BlockIQ4_XS* in, float* out, std::size_t values) {
  for (std::size_t b = 0; b < values / kSuperValues; ++b) {
    const float d = f16_to_f32(in[b].d);
    for (int v = 0; v < kSuperValues; ++v) {
      const float dl = d * static_cast<float>(iq4_xs_scale(in[b], v / kBlockValues));
      out[b * kSuperValues + v] = dl * static_cast<float>(iq4_xs_value(in[b], v));
    }
  }
}

namespace {

// x86's vmaxps: the second operand unless the first is greater (so a NaN there is kept only
// when it is the second).
float x86_max(float a, float b) { return a > b ? a : b; }

// The block's largest magnitude in the order ggml's AVX2 quantize_row_q8_1 takes it: eight
// lanes over the four vectors of eight, then the two halves, then pairs (the same maximum in
// any order for numbers; the order decides only which NaN survives).
float x86_max_abs(const float* v) {
  float lanes[8];
  for (int i = 0; i < 8; ++i) {
    lanes[i] = std::fabs(v[i]);
    for (int k = 1; k < 4; ++k) lanes[i] = x86_max(lanes[i], std::fabs(v[8 * k + i]));
  }
  float quad[4];
  for (int i = 0; i < 4; ++i) quad[i] = x86_max(lanes[4 + i], lanes[i]);
  return x86_max(x86_max(quad[0], quad[2]), x86_max(quad[1], quad[3]));
}

// vcvtps2dq of a whole number: itself, or INT32_MIN where it has no int32 (NaN, too large).
std::int32_t x86_to_int32(float whole) {
  if (!(whole >= -2147483648.0f && whole < 2147483648.0f)) return std::numeric_limits<std::int32_t>::min();
  return static_cast<std::int32_t>(whole);
}

}  // namespace

// ggml's CPU backend quantizes Q8_1 inputs with its AVX2 quantize_row_q8_1 on x86 (the
// figures llama.cpp gives were computed so), which is not quantize_row_q8_1_ref: the values
// multiply by 127 / max rather than 1 / d and round half to even, and s is d times the sum of
// the int32 values before they saturate to int8. These are its bytes, on any host.
void quantize_q8_1(const float* in, BlockQ8_1* out, std::size_t values) {
  for (std::size_t b = 0; b < blocks_of(values); ++b) {
    const float* v = in + b * kBlockValues;
    const float amax = x86_max_abs(v);
    const float d = amax / 127.0f;
    const float id = amax != 0.0f ? 127.0f / amax : 0.0f;
    out[b].d = f32_to_f16(d);
    std::uint32_t sum = 0;  // int32 lanes wrap: as unsigned, without overflow
    for (int j = 0; j < kBlockValues; ++j) {
      const std::int32_t q = x86_to_int32(std::nearbyint(v[j] * id));
      sum += static_cast<std::uint32_t>(q);
      out[b].qs[j] = static_cast<std::int8_t>(std::clamp<std::int32_t>(q, -128, 127));
    }
    out[b].s = f32_to_f16(d * static_cast<float>(static_cast<std::int32_t>(sum)));
  }
}

}  // namespace shoehorn
