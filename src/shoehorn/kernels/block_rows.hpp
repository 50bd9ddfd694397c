// The kernels behind matvec_rows, one table per kernel path (internal to kernels/).
//
// One defined order of float operations per weight type, kept by every path: for each row and
// input position, acc += term(w_b, x_b) over the blocks b in order, where term is the type's
// float expression of its block's exact integer sums (for Q8_0 and Q4_0, (float)isum_b *
// (d_w * d_x), ggml's definition). SIMD paths compute several rows' integer sums at once and
// apply the float steps lane by lane (one lane per row), so each lane repeats the scalar sum.
#pragma once

#include <bit>
#include <cstddef>
#include <array>
#include <cmath>
#include <cstdint>
#include <span>
#include <type_traits>

#include "shoehorn/kernels/kernel_path.hpp"
#include "shoehorn/kernels/ops.hpp"
#include "shoehorn/quant/blocks.hpp"
#include "shoehorn/quant/types.hpp"
#include "shoehorn/quant/f16.hpp"
#include "shoehorn/quant/symmetric_values.hpp"

namespace shoehorn::kernels {

// Rows [row_begin, row_end) of w (`blocks` blocks per row) times `positions` inputs (`blocks`
// activation blocks each, one after another): out[p * out_stride + r].
template <class Block, class Act = BlockQ8_0>
using BlockRowsFn = void (*)(float* out, std::size_t out_stride, const Block* w, const Act* x,
                             int blocks, int positions, int row_begin, int row_end);

// The same for rows interleaved by eight (row_begin and row_end multiples of eight), given also
// each input block's sum of values (x_sums, one per block of x).
template <class Interleaved>
using InterleavedRowsFn = void (*)(float* out, std::size_t out_stride, const Interleaved* w,
                                   const BlockQ8_0* x, const std::int32_t* x_sums, int blocks,
                                   int positions, int row_begin, int row_end);

// Attention over one head's cache (positions one after another, head_size floats each):
// scores[t] = (q . keys[t]) / scale, each dot product summed over i in order from 0; and
// out[i] = sum over t in order of weights[t] * values[t][i], from 0. SIMD paths run several
// positions' (or elements') sums side by side, each in that order.
// The cache holds floats, half floats or int8 values (each widened exactly before the same
// arithmetic; an int8 cache's per-vector scales are applied outside these, see ops.hpp).
template <class Cached>
using AttentionScoresFn = void (*)(float* scores, const float* q, const Cached* keys, int count,
                                   int head_size, float scale);
template <class Cached>
using AttentionMixFn = void (*)(float* out, const float* weights, const Cached* values, int count,
                                int head_size);

// Rows [row_begin, row_end) of w times every position of in (see matvec_rows).
using RowsFn = void (*)(float* out, std::size_t out_stride, const Matrix& w, const MatvecInput& in,
                        int row_begin, int row_end);

struct BlockKernels {
  std::array<RowsFn, kWeightTypeCount> rows{};  // per WeightType; nullptr: none computes it
  // The inputs as each activation type (nullptr: that type is not computed yet).
  void (*quantize_q8_0)(std::span<const float> x, std::span<BlockQ8_0> out);
  void (*quantize_q8_1)(std::span<const float> x, std::span<BlockQ8_1> out);
  void (*quantize_q8_k)(std::span<const float> x, std::span<BlockQ8_K> out);
  AttentionScoresFn<float> attention_scores;
  AttentionMixFn<float> attention_mix;
  AttentionScoresFn<std::uint16_t> attention_scores_f16;
  AttentionMixFn<std::uint16_t> attention_mix_f16;
  AttentionScoresFn<std::int8_t> attention_scores_q8;
  AttentionMixFn<std::int8_t> attention_mix_q8;
};

// The input blocks of an activation type.
inline const BlockQ8_0* activation(const MatvecInput& in, const BlockQ8_0*) { return in.q8_0.data(); }
inline const BlockQ8_1* activation(const MatvecInput& in, const BlockQ8_1*) { return in.q8_1.data(); }
inline const BlockQ8_K* activation(const MatvecInput& in, const BlockQ8_K*) { return in.q8_k.data(); }

// Values per block of an activation type.
template <class Act>
constexpr int kActValues = std::is_same_v<Act, BlockQ8_K> ? kSuperValues : kBlockValues;

// A block-rows kernel as a table entry.
template <class Block, class Act, BlockRowsFn<Block, Act> F>
void rows_entry(float* out, std::size_t out_stride, const Matrix& w, const MatvecInput& in,
                int row_begin, int row_end) {
  F(out, out_stride, w.blocks<Block>(), activation(in, static_cast<const Act*>(nullptr)),
    w.cols / kActValues<Act>, in.positions, row_begin, row_end);
}
template <class Interleaved, InterleavedRowsFn<Interleaved> F>
void interleaved_entry(float* out, std::size_t out_stride, const Matrix& w, const MatvecInput& in,
                       int row_begin, int row_end) {
  F(out, out_stride, w.blocks<Interleaved>(), in.q8_0.data(), in.q8_0_sums.data(),
    w.cols / kBlockValues, in.positions, row_begin, row_end);
}

// The scalar table: every type shoehorn computes with.
const BlockKernels& scalar_kernels();

// The kernels of a path (the scalar ones for any path this build lacks).
const BlockKernels& block_kernels(KernelPath path);

// x86.cpp: the SIMD kernels of a path, or nullptr where this build or CPU has none.
const BlockKernels* x86_block_kernels(KernelPath path);
// arm.cpp, ppc.cpp: the same for the ARM and PowerPC paths.
const BlockKernels* arm_block_kernels(KernelPath path);
const BlockKernels* ppc_block_kernels(KernelPath path);

// ---- Q6_K, Q3_K, IQ4_XS, TQ1_0, TQ2_0 over Q8_K inputs ------------------------------------
// One exact integer per block: the sum over its sub-blocks of the sub-block's integer scale
// times the sub-block's sum of weight integer x input (value v pairs with input v), ggml's
// isum. The float step is then block_term = (float)isum * (d_w * d_x), ggml's AVX2 steps for
// one block (d_x is Q8_K's float scale): the defined order every path repeats, block after
// block from 0. The sums stay below 2^31: |scale| <= 128, |w| <= 32 (Q6_K); <= 32 and <= 127
// over 32 values (IQ4_XS); |x| <= 128. (Before block_row_dot, which must see these overloads.)

// Sub-blocks of `size` values, each weighed by scale_of(sub-block).
template <class Block, class ValueOf, class ScaleOf>
int scaled_block_dot(const Block& w, const BlockQ8_K& x, int size, ValueOf value_of, ScaleOf scale_of) {
  int sum = 0;
  for (int s = 0; s < kSuperValues / size; ++s) {
    int sub = 0;
    for (int j = 0; j < size; ++j) sub += value_of(w, s * size + j) * x.qs[s * size + j];
    sum += scale_of(w, s) * sub;
  }
  return sum;
}

inline int block_dot(const BlockQ6_K& w, const BlockQ8_K& x) {
  return scaled_block_dot(w, x, 16, q6_k_value, [](const BlockQ6_K& b, int s) { return int{b.scales[s]}; });
}
inline int block_dot(const BlockQ3_K& w, const BlockQ8_K& x) {
  return scaled_block_dot(w, x, 16, q3_k_value, q3_k_scale);
}
inline int block_dot(const BlockIQ4_XS& w, const BlockQ8_K& x) {
  return scaled_block_dot(w, x, kBlockValues, iq4_xs_value, iq4_xs_scale);
}
// The ternary types have one scale: each value is -1, 0 or +1.
template <class Block, class ValueOf>
int ternary_block_dot(const Block& w, const BlockQ8_K& x, ValueOf value_of) {
  int sum = 0;
  for (int v = 0; v < kSuperValues; ++v) sum += value_of(w, v) * x.qs[v];
  return sum;
}
inline int block_dot(const BlockTQ1_0& w, const BlockQ8_K& x) { return ternary_block_dot(w, x, tq1_0_value); }
inline int block_dot(const BlockTQ2_0& w, const BlockQ8_K& x) { return ternary_block_dot(w, x, tq2_0_value); }

template <class Block>
  requires(std::is_same_v<Block, BlockQ6_K> || std::is_same_v<Block, BlockQ3_K> ||
           std::is_same_v<Block, BlockIQ4_XS> || std::is_same_v<Block, BlockTQ1_0> ||
           std::is_same_v<Block, BlockTQ2_0>)
float block_term(const Block& w, const BlockQ8_K& x) {
  return static_cast<float>(block_dot(w, x)) * (f16_to_f32(w.d) * x.d);
}
// ---- end of Q6_K, Q3_K, IQ4_XS, TQ1_0, TQ2_0 --------------------------------------------------

// The scalar reference, which SIMD code also uses for rows left over from its tiles.
inline int block_dot(const BlockQ8_0& w, const BlockQ8_0& x) {
  int sum = 0;
  for (int j = 0; j < kBlockValues; ++j) sum += w.qs[j] * x.qs[j];
  return sum;
}

// Nibble j pairs with input j, its high twin with input j + 16.
inline int block_dot(const BlockQ4_0& w, const BlockQ8_0& x) {
  constexpr int kHalf = kBlockValues / 2;
  int sum = 0;
  for (int j = 0; j < kHalf; ++j) {
    sum += ((w.qs[j] & 0x0F) - 8) * x.qs[j] + ((w.qs[j] >> 4) - 8) * x.qs[j + kHalf];
  }
  return sum;
}

// Each type's float step for one block: the defined order that every path repeats.
inline float block_term(const BlockQ8_0& w, const BlockQ8_0& x) {
  return static_cast<float>(block_dot(w, x)) * (f16_to_f32(w.d) * f16_to_f32(x.d));
}
inline float block_term(const BlockQ4_0& w, const BlockQ8_0& x) {
  return static_cast<float>(block_dot(w, x)) * (f16_to_f32(w.d) * f16_to_f32(x.d));
}

// ---- Q4_1, Q5_0, Q5_1, IQ4_NL ----------------------------------------------------------------
// Each block's weights as the integers that multiply the input's (value j pairs with input j),
// and their exact sums: |w| <= 127 and |x| <= 128, so 32 products stay below 2^20.

// Q4_1: nibbles 0..15 (the block's minimum is added in the float step).
inline int block_dot(const BlockQ4_1& w, const BlockQ8_1& x) {
  constexpr int kHalf = kBlockValues / 2;
  int sum = 0;
  for (int j = 0; j < kHalf; ++j) sum += (w.qs[j] & 0x0F) * x.qs[j] + (w.qs[j] >> 4) * x.qs[j + kHalf];
  return sum;
}

// Q5_0: nibble plus the fifth bit, less 16 (-16..15).
inline int block_dot(const BlockQ5_0& w, const BlockQ8_0& x) {
  constexpr int kHalf = kBlockValues / 2;
  const std::uint32_t high = fifth_bits(w.qh);
  int sum = 0;
  for (int j = 0; j < kHalf; ++j) {
    const int lo = static_cast<int>((w.qs[j] & 0x0Fu) | ((high >> j & 1u) << 4)) - 16;
    const int hi = static_cast<int>((w.qs[j] >> 4) | ((high >> (j + kHalf) & 1u) << 4)) - 16;
    sum += lo * x.qs[j] + hi * x.qs[j + kHalf];
  }
  return sum;
}

// Q5_1: nibble plus the fifth bit (0..31).
inline int block_dot(const BlockQ5_1& w, const BlockQ8_1& x) {
  constexpr int kHalf = kBlockValues / 2;
  const std::uint32_t high = fifth_bits(w.qh);
  int sum = 0;
  for (int j = 0; j < kHalf; ++j) {
    const int lo = static_cast<int>((w.qs[j] & 0x0Fu) | ((high >> j & 1u) << 4));
    const int hi = static_cast<int>((w.qs[j] >> 4) | ((high >> (j + kHalf) & 1u) << 4));
    sum += lo * x.qs[j] + hi * x.qs[j + kHalf];
  }
  return sum;
}

// IQ4_NL: each nibble's level (-127..113).
inline int block_dot(const BlockIQ4_NL& w, const BlockQ8_0& x) {
  constexpr int kHalf = kBlockValues / 2;
  int sum = 0;
  for (int j = 0; j < kHalf; ++j) {
    sum += kIQ4Levels[w.qs[j] & 0x0F] * x.qs[j] + kIQ4Levels[w.qs[j] >> 4] * x.qs[j + kHalf];
  }
  return sum;
}

// The float steps, ggml's vec_dot definitions: d_w d_x isum, plus m_w s_x for the types with
// a minimum (s_x = d_x times the sum of the input's quants, from quantize_q8_1).
inline float block_term(const BlockQ4_1& w, const BlockQ8_1& x) {
  return static_cast<float>(block_dot(w, x)) * (f16_to_f32(w.d) * f16_to_f32(x.d)) +
         f16_to_f32(w.m) * f16_to_f32(x.s);
}
inline float block_term(const BlockQ5_0& w, const BlockQ8_0& x) {
  return static_cast<float>(block_dot(w, x)) * (f16_to_f32(w.d) * f16_to_f32(x.d));
}
inline float block_term(const BlockQ5_1& w, const BlockQ8_1& x) {
  return static_cast<float>(block_dot(w, x)) * (f16_to_f32(w.d) * f16_to_f32(x.d)) +
         f16_to_f32(w.m) * f16_to_f32(x.s);
}
inline float block_term(const BlockIQ4_NL& w, const BlockQ8_0& x) {
  return static_cast<float>(block_dot(w, x)) * (f16_to_f32(w.d) * f16_to_f32(x.d));
}
// ---- end of Q4_1, Q5_0, Q5_1, IQ4_NL ---------------------------------------------------------

// ---- Q4_K, Q5_K, Q2_K: the K-quants with a minimum, over Q8_K inputs -------------------------
// A super-block's exact integer sums: `levels`, each sub-block's scale code times the sum of its
// levels times the input's quants; `mins`, each 16 inputs' sum (bsums) times the min code of
// their sub-block. |levels| < 63 x 31 x 128 x 256 < 2^26 and |mins| <= 16 x 63 x 2^11: no
// overflow. The float step, one defined order for all three (ggml's scalar
// ggml_vec_dot_q2_K_q8_K's): d = d_w d_x, dmin = dmin_w d_x, term = d (float)levels -
// dmin (float)mins, and the row's terms added super-block by super-block. (ggml's scalar Q4_K
// and Q5_K keep eight partial sums instead; its AVX2 code another order again.)
struct KSums {
  int levels = 0, mins = 0;
};

// The level of value v (< 256) of a super-block: Q4_K's and Q5_K's value v is in byte
// 32 (v / 64) + v % 32, the low nibble for v % 64 < 32, with Q5_K's fifth bit at bit v / 32 of
// qh[v % 32]; Q2_K's is bits 2 (v % 128 / 32) of byte 32 (v / 128) + v % 32.
inline int k_level(const BlockQ4_K& w, int v) {
  const std::uint8_t byte = w.qs[32 * (v / 64) + v % 32];
  return v % 64 < 32 ? byte & 0x0F : byte >> 4;
}
inline int k_level(const BlockQ5_K& w, int v) {
  const std::uint8_t byte = w.qs[32 * (v / 64) + v % 32];
  const int nibble = v % 64 < 32 ? byte & 0x0F : byte >> 4;
  return nibble | (w.qh[v % 32] >> (v / 32) & 1) << 4;
}
inline int k_level(const BlockQ2_K& w, int v) {
  return w.qs[32 * (v / 128) + v % 32] >> (2 * (v % 128 / 32)) & 3;
}

// Q4_K and Q5_K: 8 sub-blocks of 32 (bsums g, 16 values, in sub-block g / 2).
template <class Block>
KSums k4_sums(const Block& w, const BlockQ8_K& x) {
  KSums s;
  for (int j = 0; j < kSuperValues / 32; ++j) {
    const KScaleMin c = k4_scale_min(w.scales, j);
    int sum = 0;
    for (int v = 32 * j; v < 32 * j + 32; ++v) sum += k_level(w, v) * x.qs[v];
    s.levels += c.scale * sum;
    s.mins += c.min * (x.bsums[2 * j] + x.bsums[2 * j + 1]);
  }
  return s;
}
inline KSums block_dot(const BlockQ4_K& w, const BlockQ8_K& x) { return k4_sums(w, x); }
inline KSums block_dot(const BlockQ5_K& w, const BlockQ8_K& x) { return k4_sums(w, x); }

// Q2_K: 16 sub-blocks of 16 (sub-block g is bsums g), scale code in the low nibble of
// scales[g], min code in the high one.
inline KSums block_dot(const BlockQ2_K& w, const BlockQ8_K& x) {
  KSums s;
  for (int g = 0; g < kSuperValues / 16; ++g) {
    int sum = 0;
    for (int v = 16 * g; v < 16 * g + 16; ++v) sum += k_level(w, v) * x.qs[v];
    s.levels += (w.scales[g] & 0x0F) * sum;
    s.mins += (w.scales[g] >> 4) * x.bsums[g];
  }
  return s;
}

template <class Block>
float k_min_term(const Block& w, const BlockQ8_K& x) {
  const KSums s = block_dot(w, x);
  const float d = f16_to_f32(w.d) * x.d;
  const float dmin = f16_to_f32(w.dmin) * x.d;
  return d * static_cast<float>(s.levels) - dmin * static_cast<float>(s.mins);
}
inline float block_term(const BlockQ4_K& w, const BlockQ8_K& x) { return k_min_term(w, x); }
inline float block_term(const BlockQ5_K& w, const BlockQ8_K& x) { return k_min_term(w, x); }
inline float block_term(const BlockQ2_K& w, const BlockQ8_K& x) { return k_min_term(w, x); }
// ---- end of Q4_K, Q5_K, Q2_K -----------------------------------------------------------------

// ---- F16 and BF16 rows ----------------------------------------------------------------------
// One defined order for both (unlike llama2.c's F32 rows, made for vectors): column j goes to
// lane j % 16, each lane a chain of fused multiply-adds in column order, and then the lanes are
// added in halves: lane i += lane i + 8 (i < 8), then i + 4, i + 2, i + 1. The input is x
// rounded to the weights' own type (MatvecInput::f16, ::bf16: ggml's vec_dot_type), so each
// product is llama.cpp's. SIMD paths hold the 16 lanes in registers, one set per row and
// position, and finish the columns after the last whole 16 with add_half_columns.
inline constexpr int kHalfLanes = 16;

// Columns [from, n) of one row into the lanes (from a multiple of 16).
template <class Widen>
void add_half_columns(float (&lane)[kHalfLanes], const std::uint16_t* w, const float* x, int from,
                      int n, Widen widen) {
  for (int j = from; j < n; ++j) {
    lane[j % kHalfLanes] = std::fma(widen(w[j]), x[j], lane[j % kHalfLanes]);
  }
}

inline float add_lanes(float (&lane)[kHalfLanes]) {
  for (int width = kHalfLanes / 2; width >= 1; width /= 2) {
    for (int i = 0; i < width; ++i) lane[i] += lane[i + width];
  }
  return lane[0];
}

// A finished sum as every path returns it: a NaN as the one quiet NaN. (Which NaN's payload a
// fused multiply-add or an add passes on depends on its operand order, which compilers may
// swap: bits of NaNs would differ between builds and paths.)
inline float half_row_result(float sum) {
  return sum != sum ? std::bit_cast<float>(std::uint32_t{0x7FC00000u}) : sum;
}

template <class Widen>
float half_row_dot(const std::uint16_t* w, const float* x, int n, Widen widen) {
  float lane[kHalfLanes] = {};
  add_half_columns(lane, w, x, 0, n, widen);
  return half_row_result(add_lanes(lane));
}
// ---- end of F16 and BF16 ---------------------------------------------------------------------

template <class Block, class Act>
float block_row_dot(const Block* w, const Act* x, int blocks) {
  float acc = 0.0f;
  for (int b = 0; b < blocks; ++b) acc += block_term(w[b], x[b]);
  return acc;
}

// Each row times each position, one row's sum at a time by RowDot (block_row_dot's sum).
template <class Block, class Act, float (*RowDot)(const Block*, const Act*, int)>
void rows_one_by_one(float* out, std::size_t out_stride, const Block* w, const Act* x,
                     int blocks, int positions, int row_begin, int row_end) {
  for (int r = row_begin; r < row_end; ++r) {
    const Block* wr = w + static_cast<std::size_t>(r) * blocks;
    for (int p = 0; p < positions; ++p) {
      out[static_cast<std::size_t>(p) * out_stride + r] =
          RowDot(wr, x + static_cast<std::size_t>(p) * blocks, blocks);
    }
  }
}

template <class Block, class Act = BlockQ8_0>
void block_rows_scalar(float* out, std::size_t out_stride, const Block* w, const Act* x,
                       int blocks, int positions, int row_begin, int row_end) {
  rows_one_by_one<Block, Act, block_row_dot<Block, Act>>(out, out_stride, w, x, blocks, positions,
                                                         row_begin, row_end);
}

// Row `lane` of an interleaved group times input blocks x: the same sum as block_row_dot.
template <class Interleaved>
float interleaved_row_dot(const Interleaved* w, int lane, const BlockQ8_0* x, int blocks) {
  float acc = 0.0f;
  for (int b = 0; b < blocks; ++b) {
    int isum = 0;
    for (int j = 0; j < kBlockValues; ++j) isum += interleaved_value(w[b], lane, j) * x[b].qs[j];
    acc += static_cast<float>(isum) * (f16_to_f32(w[b].d[lane]) * f16_to_f32(x[b].d));
  }
  return acc;
}

template <class Interleaved>
void interleaved_rows_scalar(float* out, std::size_t out_stride, const Interleaved* w,
                             const BlockQ8_0* x, const std::int32_t* /*x_sums*/, int blocks,
                             int positions, int row_begin, int row_end) {
  for (int r = row_begin; r < row_end; ++r) {
    const Interleaved* group = w + static_cast<std::size_t>(r / kInterleavedRows) * blocks;
    for (int p = 0; p < positions; ++p) {
      out[static_cast<std::size_t>(p) * out_stride + r] = interleaved_row_dot(
          group, r % kInterleavedRows, x + static_cast<std::size_t>(p) * blocks, blocks);
    }
  }
}

inline float cached_value(float v) { return v; }
inline float cached_value(std::uint16_t h) { return f16_to_f32(h); }
inline float cached_value(std::int8_t q) { return static_cast<float>(q); }

template <class Cached>
void attention_scores_scalar(float* scores, const float* q, const Cached* keys, int count,
                             int head_size, float scale) {
  for (int t = 0; t < count; ++t) {
    const Cached* k = keys + static_cast<std::size_t>(t) * head_size;
    float score = 0.0f;
    for (int i = 0; i < head_size; ++i) score += q[i] * cached_value(k[i]);
    scores[t] = score / scale;
  }
}

template <class Cached>
void attention_mix_scalar(float* out, const float* weights, const Cached* values, int count,
                          int head_size) {
  for (int i = 0; i < head_size; ++i) out[i] = 0.0f;
  for (int t = 0; t < count; ++t) {
    const Cached* v = values + static_cast<std::size_t>(t) * head_size;
    const float a = weights[t];
    for (int i = 0; i < head_size; ++i) out[i] += a * cached_value(v[i]);
  }
}

}  // namespace shoehorn::kernels
