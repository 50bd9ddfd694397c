// The forward pass's building blocks, written to llama2.c's exact arithmetic: every float
// operation happens in the same order as run.c/runq.c (-ffp-contract=off keeps the compiler
// from fusing multiplies and adds), so logits are bit-identical to the reference.
#pragma once

#include <cstdint>
#include <span>

#include "shoehorn/model/weights.hpp"

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
// another): floats, plus their int8 groups when the weights are llama2.c Q8, plus their Q8_0
// blocks when the weights are Q8_0 or Q4_0 (each computed once and shared by every matrix that
// reads the same vectors).
struct MatvecInput {
  std::span<const float> f32;
  std::span<const std::int8_t> q;
  std::span<const float> scales;
  std::span<const BlockQ8_0> q8_0;
  int positions = 1;
  std::span<const std::int32_t> q8_0_sums = {};  // each block's sum (interleaved weights)
};

// ggml's quantize_q8_0 of a batch of inputs, on the current kernel path (the same bits).
void quantize_input_q8_0(std::span<const float> x, std::span<BlockQ8_0> out);
// Each block's sum of its 32 values.
void block_sums(std::span<const BlockQ8_0> blocks, std::span<std::int32_t> sums);

// out[p * out_stride + r] for r in [row_begin, row_end) and every position p of the input: one
// row's sum for one position runs in order over the columns (for Q8_0 and Q4_0: over the
// blocks, see block_rows.hpp), the same on every kernel path and for any batch. out_stride is
// w.rows for a whole matrix, more when w is a piece of a larger one's rows.
void matvec_rows(float* out, std::size_t out_stride, const Matrix& w, const MatvecInput& in,
                 int row_begin, int row_end);
inline void matvec_rows(std::span<float> out, const Matrix& w, const MatvecInput& in,
                        int row_begin, int row_end) {
  matvec_rows(out.data(), static_cast<std::size_t>(w.rows), w, in, row_begin, row_end);
}

// One attention head over `count` cached positions (head_size floats each, one after another),
// in llama2.c's order on every path: scores[t] = (q . keys[t]) / scale, then (after softmax)
// out = sum over t of weights[t] * values[t].
// The cache holds floats or half floats (std::uint16_t bits).
void attention_scores(std::span<float> scores, const float* q, const float* keys, int head_size,
                      float scale);
void attention_scores(std::span<float> scores, const float* q, const std::uint16_t* keys,
                      int head_size, float scale);
void attention_mix(std::span<float> out, std::span<const float> weights, const float* values);
void attention_mix(std::span<float> out, std::span<const float> weights,
                   const std::uint16_t* values);

// Or it holds int8 vectors, each cached vector being its values times its scale (one scale per
// position and head, from quantize_cached). The integers take the float arithmetic above, and
// each position's scale multiplies once outside it: scores[t] = (q . keys[t]) / scale *
// key_scales[t], and the mix weighs position t by weights[t] * value_scales[t] (weights is
// overwritten with those products).
void attention_scores(std::span<float> scores, const float* q, const std::int8_t* keys,
                      const float* key_scales, int head_size, float scale);
void attention_mix(std::span<float> out, std::span<float> weights, const std::int8_t* values,
                   const float* value_scales);

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
