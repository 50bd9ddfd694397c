// The forward pass's building blocks, written to llama2.c's exact arithmetic: every float
// operation happens in the same order as run.c/runq.c (-ffp-contract=off keeps the compiler
// from fusing multiplies and adds), so logits are bit-identical to the reference.
#pragma once

#include <cstdint>
#include <span>

#include "shoehorn/kernels/kernel_path.hpp"
#include "shoehorn/quant/blocks.hpp"
#include "shoehorn/quant/matrix.hpp"

namespace shoehorn::kernels {

void rmsnorm(std::span<float> out, std::span<const float> x, std::span<const float> weight,
             float eps);

void softmax(std::span<float> x);

// llama2.c runq.c activation quantization: per group, scale = max|x| / 127, q = round(x / scale).
struct QuantizedVector {
  std::span<std::int8_t> q;
  std::span<float> scales;
};
void quantize_q8_groups(std::span<const float> x, QuantizedVector out, int group_size);

// The input of a matrix-vector product, for one position or a batch of them (one vector after
// another): floats, plus the same vectors in each activation type that the weights multiply
// with (TypeTraits::activation), each computed once and shared by every matrix that reads them.
struct MatvecInput {
  std::span<const float> f32;
  int positions = 1;
  std::span<const std::int8_t> q;      // llama2.c Q8 groups (q8_group weights)
  std::span<const float> scales;
  std::span<const BlockQ8_0> q8_0;     // Q4_0, Q5_0, Q8_0, IQ4_NL and interleaved weights
  std::span<const std::int32_t> q8_0_sums;  // each Q8_0 block's sum (interleaved weights)
  std::span<const BlockQ8_1> q8_1;     // Q4_1, Q5_1
  std::span<const BlockQ8_K> q8_k;     // the 256-value types
  std::span<const float> f16;          // F16 weights: f32 rounded to half floats (as floats)
  std::span<const float> bf16;         // BF16 weights: f32 rounded to bfloat16 (as floats)
};

// Room for a batch of input vectors in each activation type (sized by activation_bytes).
struct InputScratch {
  std::span<std::int8_t> q;
  std::span<float> scales;
  std::span<BlockQ8_0> q8_0;
  std::span<std::int32_t> q8_0_sums;
  std::span<BlockQ8_1> q8_1;
  std::span<BlockQ8_K> q8_k;
  std::span<float> f16;
  std::span<float> bf16;
};

// Which activation types some weights multiply with.
struct Activations {
  bool groups = false, q8_0 = false, q8_1 = false, q8_k = false, f16 = false, bf16 = false;
  void add(WeightType weights);
};

// Room for `values` input values (a batch, one vector after another) in each type of `a`,
// from `allocate` (an Arena, or anything with allocate<T>(count)).
template <class Allocate>
InputScratch input_scratch(Allocate& allocate, const Activations& a, std::size_t values) {
  InputScratch s;
  s.q = allocate.template allocate<std::int8_t>(a.groups ? values : 0);
  s.scales = allocate.template allocate<float>(a.groups ? values : 0);
  const std::size_t blocks = a.q8_0 ? values / kBlockValues : 0;
  s.q8_0 = allocate.template allocate<BlockQ8_0>(blocks);
  s.q8_0_sums = allocate.template allocate<std::int32_t>(blocks);
  s.q8_1 = allocate.template allocate<BlockQ8_1>(a.q8_1 ? values / kBlockValues : 0);
  s.q8_k = allocate.template allocate<BlockQ8_K>(a.q8_k ? values / kSuperValues : 0);
  s.f16 = allocate.template allocate<float>(a.f16 ? values : 0);
  s.bf16 = allocate.template allocate<float>(a.bf16 ? values : 0);
  return s;
}

// The input of the matrices `readers` for x (positions vectors, one after another): x itself,
// plus x in each activation type they multiply with, quantized once into scratch, on the
// current kernel path (the same bits on every path). Groups and blocks never straddle two
// vectors (the vectors' length is a multiple of each).
MatvecInput prepare_input(std::span<const Matrix> readers, std::span<const float> x, int positions,
                          const InputScratch& scratch, KernelPath path = kernel_path());

// ggml's quantize_q8_0 of a batch of inputs, on the current kernel path (the same bits).
void quantize_input_q8_0(std::span<const float> x, std::span<BlockQ8_0> out,
                         KernelPath path = kernel_path());
// Each block's sum of its 32 values.
void block_sums(std::span<const BlockQ8_0> blocks, std::span<std::int32_t> sums);

// out[p * out_stride + r] for r in [row_begin, row_end) and every position p of the input: one
// row's sum for one position runs in order over the columns (for block types: over the blocks,
// see block_rows.hpp), the same on every kernel path and for any batch. out_stride is
// w.rows for a whole matrix, more when w is a piece of a larger one's rows.
void matvec_rows(float* out, std::size_t out_stride, const Matrix& w, const MatvecInput& in,
                 int row_begin, int row_end, KernelPath path = kernel_path());
inline void matvec_rows(std::span<float> out, const Matrix& w, const MatvecInput& in,
                        int row_begin, int row_end, KernelPath path = kernel_path()) {
  matvec_rows(out.data(), static_cast<std::size_t>(w.rows), w, in, row_begin, row_end, path);
}

// One attention head over `count` cached positions (head_size floats each, one after another),
// in llama2.c's order on every path: scores[t] = (q . keys[t]) / scale, then (after softmax)
// out = sum over t of weights[t] * values[t].
// The cache holds floats or half floats (std::uint16_t bits).
void attention_scores(std::span<float> scores, const float* q, const float* keys, int head_size,
                      float scale, KernelPath path = kernel_path());
void attention_scores(std::span<float> scores, const float* q, const std::uint16_t* keys,
                      int head_size, float scale, KernelPath path = kernel_path());
void attention_mix(std::span<float> out, std::span<const float> weights, const float* values,
                   KernelPath path = kernel_path());
void attention_mix(std::span<float> out, std::span<const float> weights,
                   const std::uint16_t* values, KernelPath path = kernel_path());

// Or it holds int8 vectors, each cached vector being its values times its scale (one scale per
// position and head, from quantize_cached). The integers take the float arithmetic above, and
// each position's scale multiplies once outside it: scores[t] = (q . keys[t]) / scale *
// key_scales[t], and the mix weighs position t by weights[t] * value_scales[t] (weights is
// overwritten with those products).
void attention_scores(std::span<float> scores, const float* q, const std::int8_t* keys,
                      const float* key_scales, int head_size, float scale,
                      KernelPath path = kernel_path());
void attention_mix(std::span<float> out, std::span<float> weights, const std::int8_t* values,
                   const float* value_scales, KernelPath path = kernel_path());

// One vector into an int8 cache: out[i] = round(v[i] / s) with s = max |v[i]| / 127; returns s.
float quantize_cached(std::span<const float> v, std::int8_t* out);

// Copies row `row` of an embedding table into out, dequantizing if needed.
void embedding_row(std::span<float> out, const Matrix& table, int row);

// RoPE as llama2.c computes it: the frequency of each pair of a head (head_size / 2 of them),
// and the cos and sin of position pos times each frequency. The compile-time engine bakes the
// tables these produce, so both engines rotate by the same bits.
void rope_frequencies(std::span<float> freq, float theta, int head_size);
void rope_angles(std::span<const float> freq, int pos, std::span<float> cos_out,
                 std::span<float> sin_out);

// out = silu(gate) * up, in place on gate.
void swiglu(std::span<float> gate, std::span<const float> up);

}  // namespace shoehorn::kernels
