#include "shoehorn/kernels/ops.hpp"

#include "shoehorn/quant/f16.hpp"
#include "shoehorn/quant/round.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>

#include "shoehorn/kernels/block_rows.hpp"
#include "shoehorn/kernels/elementwise.hpp"
#include "shoehorn/io/error.hpp"
#include "shoehorn/quant/type_functions.hpp"

namespace shoehorn::kernels {

void rmsnorm(std::span<float> out, std::span<const float> x, std::span<const float> weight,
             float eps) {
  generic::rmsnorm(out, x, weight, x.size(), eps);
}

void softmax(std::span<float> x) { generic::softmax(x, x.size()); }

void quantize_q8_groups(std::span<const float> x, QuantizedVector out, int group_size) {
  generic::quantize_q8_groups(x, x.size(), out.q, out.scales, static_cast<std::size_t>(group_size));
}

namespace {

// Row `row` of a matrix of interleaved groups (out.size() columns).
template <class Interleaved>
void interleaved_row(std::span<float> out, const Interleaved* groups, int row) {
  const std::size_t blocks = out.size() / kBlockValues;
  const std::size_t group = static_cast<std::size_t>(row / kInterleavedRows) * blocks;
  dequantize_row(std::span(groups + group, blocks), row % kInterleavedRows, out);
}

// x rounded to a 16-bit float type and widened back (exact): ggml's F16 and BF16 vec_dot input.
template <std::uint16_t (*Narrow)(float), float (*Widen)(std::uint16_t)>
std::span<const float> round_through(std::span<const float> x, std::span<float> out) {
  for (std::size_t i = 0; i < x.size(); ++i) out[i] = Widen(Narrow(x[i]));
  return out;
}

}  // namespace

void Activations::add(WeightType weights) {
  switch (traits(weights).activation) {
    case WeightType::q8_group: groups = true; break;
    case WeightType::q8_0: q8_0 = true; break;
    case WeightType::q8_1: q8_1 = true; break;
    case WeightType::q8_k: q8_k = true; break;
    case WeightType::f16: f16 = true; break;
    case WeightType::bf16: bf16 = true; break;
    default: break;
  }
}

MatvecInput prepare_input(std::span<const Matrix> readers, std::span<const float> x, int positions,
                          const InputScratch& scratch, KernelPath path) {
  MatvecInput in;
  in.f32 = x;
  in.positions = positions;
  const BlockKernels& k = block_kernels(path);
  for (const Matrix& w : readers) {
    const WeightType act = traits(w.type).activation;
    if (act == WeightType::q8_group && in.q.empty()) {
      const std::size_t groups = x.size() / static_cast<std::size_t>(w.group_size);
      quantize_q8_groups(x, {scratch.q.first(x.size()), scratch.scales.first(groups)}, w.group_size);
      in.q = scratch.q.first(x.size());
      in.scales = scratch.scales.first(groups);
    } else if (act == WeightType::q8_0 && in.q8_0.empty()) {
      const std::span<BlockQ8_0> blocks = scratch.q8_0.first(x.size() / kBlockValues);
      k.quantize_q8_0(x, blocks);
      in.q8_0 = blocks;
    } else if (act == WeightType::q8_1 && in.q8_1.empty()) {
      const std::span<BlockQ8_1> blocks = scratch.q8_1.first(x.size() / kBlockValues);
      k.quantize_q8_1(x, blocks);
      in.q8_1 = blocks;
    } else if (act == WeightType::q8_k && in.q8_k.empty()) {
      const std::span<BlockQ8_K> blocks = scratch.q8_k.first(x.size() / kSuperValues);
      k.quantize_q8_k(x, blocks);
      in.q8_k = blocks;
    } else if (act == WeightType::f16 && in.f16.empty()) {
      in.f16 = round_through<f32_to_f16, f16_to_f32>(x, scratch.f16.first(x.size()));
    } else if (act == WeightType::bf16 && in.bf16.empty()) {
      in.bf16 = round_through<f32_to_bf16, bf16_to_f32>(x, scratch.bf16.first(x.size()));
    }
    const bool interleaved = w.type == WeightType::q8_0x8 || w.type == WeightType::q4_0x8;
    if (interleaved && in.q8_0_sums.empty()) {
      const std::span<std::int32_t> sums = scratch.q8_0_sums.first(in.q8_0.size());
      block_sums(in.q8_0, sums);
      in.q8_0_sums = sums;
    }
  }
  return in;
}

void quantize_input_q8_0(std::span<const float> x, std::span<BlockQ8_0> out, KernelPath path) {
  block_kernels(path).quantize_q8_0(x, out);
}

void attention_scores(std::span<float> scores, const float* q, const float* keys, int head_size,
                      float scale, KernelPath path) {
  block_kernels(path).attention_scores(scores.data(), q, keys,
                                                static_cast<int>(scores.size()), head_size, scale);
}

void attention_scores(std::span<float> scores, const float* q, const std::uint16_t* keys,
                      int head_size, float scale, KernelPath path) {
  block_kernels(path).attention_scores_f16(scores.data(), q, keys,
                                                    static_cast<int>(scores.size()), head_size, scale);
}

void attention_mix(std::span<float> out, std::span<const float> weights, const float* values,
                   KernelPath path) {
  block_kernels(path).attention_mix(out.data(), weights.data(), values,
                                             static_cast<int>(weights.size()),
                                             static_cast<int>(out.size()));
}

void attention_mix(std::span<float> out, std::span<const float> weights,
                   const std::uint16_t* values, KernelPath path) {
  block_kernels(path).attention_mix_f16(out.data(), weights.data(), values,
                                                 static_cast<int>(weights.size()),
                                                 static_cast<int>(out.size()));
}

void attention_scores(std::span<float> scores, const float* q, const std::int8_t* keys,
                      const float* key_scales, int head_size, float scale, KernelPath path) {
  block_kernels(path).attention_scores_q8(scores.data(), q, keys,
                                                   static_cast<int>(scores.size()), head_size, scale);
  for (std::size_t t = 0; t < scores.size(); ++t) scores[t] *= key_scales[t];
}

void attention_mix(std::span<float> out, std::span<float> weights, const std::int8_t* values,
                   const float* value_scales, KernelPath path) {
  for (std::size_t t = 0; t < weights.size(); ++t) weights[t] *= value_scales[t];
  block_kernels(path).attention_mix_q8(out.data(), weights.data(), values,
                                                static_cast<int>(weights.size()),
                                                static_cast<int>(out.size()));
}

float quantize_cached(std::span<const float> v, std::int8_t* out) {
  float amax = 0.0f;
  for (const float x : v) amax = std::max(amax, std::fabs(x));
  const float s = amax / 127.0f;
  for (std::size_t i = 0; i < v.size(); ++i) out[i] = s > 0.0f ? round_half_away_int8(v[i] / s) : 0;
  return s;
}

void block_sums(std::span<const BlockQ8_0> blocks, std::span<std::int32_t> sums) {
  for (std::size_t b = 0; b < blocks.size(); ++b) {
    std::int32_t sum = 0;
    for (const std::int8_t q : blocks[b].qs) sum += q;
    sums[b] = sum;
  }
}

void matvec_rows(float* out, std::size_t out_stride, const Matrix& w, const MatvecInput& in,
                 int row_begin, int row_end, KernelPath path) {
  const RowsFn rows = block_kernels(path).rows[static_cast<std::size_t>(w.type)];
  if (rows == nullptr) throw Error(std::string("internal error: no kernel multiplies ") + to_string(w.type));
  rows(out, out_stride, w, in, row_begin, row_end);
}

void embedding_row(std::span<float> out, const Matrix& table, int row) {
  const std::size_t base = static_cast<std::size_t>(row) * table.cols;
  switch (table.type) {
    case WeightType::q8_group: {
      const std::int8_t* q = table.blocks<std::int8_t>();
      for (std::size_t i = 0; i < out.size(); ++i) {
        out[i] = q[base + i] * table.scales[(base + i) / table.group_size];
      }
      return;
    }
    case WeightType::q8_0x8:
      interleaved_row(out, table.blocks<BlockQ8_0x8>(), row);
      return;
    case WeightType::q4_0x8:
      interleaved_row(out, table.blocks<BlockQ4_0x8>(), row);
      return;
    default: {
      // A plain array of blocks: the row starts at its first block.
      const TypeTraits& t = traits(table.type);
      const std::byte* first = static_cast<const std::byte*>(table.data) +
                               base / static_cast<std::size_t>(t.block_values) * t.block_bytes;
      t.dequantize(first, out.data(), out.size());
    }
  }
}

void rope_frequencies(std::span<float> freq, float theta, int head_size) {
  for (std::size_t k = 0; k < freq.size(); ++k) {
    const int head_dim = static_cast<int>(2 * k);
    freq[k] = 1.0f / std::pow(theta, static_cast<float>(head_dim) / static_cast<float>(head_size));
  }
}

void rope_angles(std::span<const float> freq, int pos, std::span<float> cos_out,
                 std::span<float> sin_out) {
  for (std::size_t k = 0; k < freq.size(); ++k) {
    const float val = static_cast<float>(pos) * freq[k];
    cos_out[k] = std::cos(val);
    sin_out[k] = std::sin(val);
  }
}

void swiglu(std::span<float> gate, std::span<const float> up) {
  generic::swiglu(gate, up, gate.size());
}

}  // namespace shoehorn::kernels
