#include "shoehorn/kernels/ops.hpp"

#include "shoehorn/quant/f16.hpp"
#include "shoehorn/quant/round.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>

#include "shoehorn/kernels/block_rows.hpp"
#include "shoehorn/kernels/elementwise.hpp"

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

void matvec_f32_rows(float* out, const float* w, const float* x, int n, int row_begin,
                     int row_end) {
  // Four rows at a time: four independent sums keep the pipeline busy while each sum still
  // adds its terms in column order, exactly as llama2.c does.
  int r = row_begin;
  for (; r + 4 <= row_end; r += 4) {
    const float* w0 = w + static_cast<std::size_t>(r) * n;
    const float* w1 = w0 + n;
    const float* w2 = w1 + n;
    const float* w3 = w2 + n;
    float a0 = 0.0f, a1 = 0.0f, a2 = 0.0f, a3 = 0.0f;
    for (int j = 0; j < n; ++j) {
      const float xj = x[j];
      a0 += w0[j] * xj;
      a1 += w1[j] * xj;
      a2 += w2[j] * xj;
      a3 += w3[j] * xj;
    }
    out[r] = a0;
    out[r + 1] = a1;
    out[r + 2] = a2;
    out[r + 3] = a3;
  }
  for (; r < row_end; ++r) {
    const float* wr = w + static_cast<std::size_t>(r) * n;
    float acc = 0.0f;
    for (int j = 0; j < n; ++j) acc += wr[j] * x[j];
    out[r] = acc;
  }
}

void matvec_q8_group_rows(float* out, const Matrix& w, const std::int8_t* xq,
                          const float* xscales, int row_begin, int row_end) {
  const int n = w.cols;
  const int gs = w.group_size;
  for (int r = row_begin; r < row_end; ++r) {
    const std::size_t base = static_cast<std::size_t>(r) * n;
    const std::int8_t* wq = w.q + base;
    float val = 0.0f;
    for (int j = 0; j + gs <= n; j += gs) {
      std::int32_t ival = 0;
      for (int k = 0; k < gs; ++k) {
        ival += static_cast<std::int32_t>(xq[j + k]) * static_cast<std::int32_t>(wq[j + k]);
      }
      val += static_cast<float>(ival) * w.scales[(base + j) / gs] * xscales[j / gs];
    }
    out[r] = val;
  }
}

// Every half as a float: one table lookup per F16 weight.
const std::array<float, 1 << 16>& f16_table() {
  static const std::array<float, 1 << 16> table = [] {
    std::array<float, 1 << 16> t{};
    for (std::size_t h = 0; h < t.size(); ++h) t[h] = f16_to_f32(static_cast<std::uint16_t>(h));
    return t;
  }();
  return table;
}

void matvec_f16_rows(float* out, const Matrix& w, const float* x, int row_begin, int row_end) {
  const std::array<float, 1 << 16>& half = f16_table();
  const int n = w.cols;
  for (int r = row_begin; r < row_end; ++r) {
    const std::uint16_t* wr = w.f16 + static_cast<std::size_t>(r) * n;
    float acc = 0.0f;
    for (int j = 0; j < n; ++j) acc += half[wr[j]] * x[j];
    out[r] = acc;
  }
}

// Rows in chunks that stay in cache while every position of the batch reads them.
constexpr int kRowsPerChunk = 16;

template <class RowsFn>
void for_each_position(const Matrix& w, std::size_t out_stride, const MatvecInput& in,
                       int row_begin, int row_end, RowsFn rows) {
  for (int chunk = row_begin; chunk < row_end; chunk += kRowsPerChunk) {
    const int chunk_end = std::min(row_end, chunk + kRowsPerChunk);
    for (int p = 0; p < in.positions; ++p) {
      rows(static_cast<std::size_t>(p) * out_stride, static_cast<std::size_t>(p) * w.cols, chunk,
           chunk_end);
    }
  }
}

// Row `row` of a matrix of interleaved groups (out.size() columns).
template <class Interleaved>
void interleaved_row(std::span<float> out, const Interleaved* groups, int row) {
  const std::size_t blocks = out.size() / kBlockValues;
  const std::size_t group = static_cast<std::size_t>(row / kInterleavedRows) * blocks;
  dequantize(std::span(groups + group, blocks), row % kInterleavedRows, out);
}

}  // namespace

void quantize_input_q8_0(std::span<const float> x, std::span<BlockQ8_0> out) {
  block_kernels(kernel_path()).quantize_q8_0(x, out);
}

void attention_scores(std::span<float> scores, const float* q, const float* keys, int head_size,
                      float scale) {
  block_kernels(kernel_path()).attention_scores(scores.data(), q, keys,
                                                static_cast<int>(scores.size()), head_size, scale);
}

void attention_scores(std::span<float> scores, const float* q, const std::uint16_t* keys,
                      int head_size, float scale) {
  block_kernels(kernel_path()).attention_scores_f16(scores.data(), q, keys,
                                                    static_cast<int>(scores.size()), head_size, scale);
}

void attention_mix(std::span<float> out, std::span<const float> weights, const float* values) {
  block_kernels(kernel_path()).attention_mix(out.data(), weights.data(), values,
                                             static_cast<int>(weights.size()),
                                             static_cast<int>(out.size()));
}

void attention_mix(std::span<float> out, std::span<const float> weights,
                   const std::uint16_t* values) {
  block_kernels(kernel_path()).attention_mix_f16(out.data(), weights.data(), values,
                                                 static_cast<int>(weights.size()),
                                                 static_cast<int>(out.size()));
}

void attention_scores(std::span<float> scores, const float* q, const std::int8_t* keys,
                      const float* key_scales, int head_size, float scale) {
  block_kernels(kernel_path()).attention_scores_q8(scores.data(), q, keys,
                                                   static_cast<int>(scores.size()), head_size, scale);
  for (std::size_t t = 0; t < scores.size(); ++t) scores[t] *= key_scales[t];
}

void attention_mix(std::span<float> out, std::span<float> weights, const std::int8_t* values,
                   const float* value_scales) {
  for (std::size_t t = 0; t < weights.size(); ++t) weights[t] *= value_scales[t];
  block_kernels(kernel_path()).attention_mix_q8(out.data(), weights.data(), values,
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
                 int row_begin, int row_end) {
  const int blocks = w.cols / kBlockValues;
  switch (w.type) {
    case WeightType::f32:
      for_each_position(w, out_stride, in, row_begin, row_end, [&](std::size_t o, std::size_t i, int b, int e) {
        matvec_f32_rows(out + o, w.f32, in.f32.data() + i, w.cols, b, e);
      });
      return;
    case WeightType::q8_group:
      for_each_position(w, out_stride, in, row_begin, row_end, [&](std::size_t o, std::size_t i, int b, int e) {
        matvec_q8_group_rows(out + o, w, in.q.data() + i,
                             in.scales.data() + i / static_cast<std::size_t>(w.group_size), b, e);
      });
      return;
    case WeightType::f16:
      for_each_position(w, out_stride, in, row_begin, row_end, [&](std::size_t o, std::size_t i, int b, int e) {
        matvec_f16_rows(out + o, w, in.f32.data() + i, b, e);
      });
      return;
    case WeightType::q8_0:
      block_kernels(kernel_path()).q8_0(out, out_stride, w.q8_0,
                                        in.q8_0.data(), blocks, in.positions, row_begin, row_end);
      return;
    case WeightType::q4_0:
      block_kernels(kernel_path()).q4_0(out, out_stride, w.q4_0,
                                        in.q8_0.data(), blocks, in.positions, row_begin, row_end);
      return;
    case WeightType::q8_0x8:
      block_kernels(kernel_path()).q8_0x8(out, out_stride, w.q8_0x8, in.q8_0.data(),
                                          in.q8_0_sums.data(), blocks, in.positions, row_begin,
                                          row_end);
      return;
    case WeightType::q4_0x8:
      block_kernels(kernel_path()).q4_0x8(out, out_stride, w.q4_0x8, in.q8_0.data(),
                                          in.q8_0_sums.data(), blocks, in.positions, row_begin,
                                          row_end);
      return;
  }
}

void embedding_row(std::span<float> out, const Matrix& table, int row) {
  const std::size_t base = static_cast<std::size_t>(row) * table.cols;
  switch (table.type) {
    case WeightType::f32:
      std::memcpy(out.data(), table.f32 + base, out.size() * sizeof(float));
      return;
    case WeightType::q8_group:
      for (std::size_t i = 0; i < out.size(); ++i) {
        out[i] = table.q[base + i] * table.scales[(base + i) / table.group_size];
      }
      return;
    case WeightType::f16:
      dequantize(std::span(table.f16 + base, out.size()), out);
      return;
    case WeightType::q8_0:
      dequantize(std::span(table.q8_0 + base / kBlockValues, out.size() / kBlockValues), out);
      return;
    case WeightType::q4_0:
      dequantize(std::span(table.q4_0 + base / kBlockValues, out.size() / kBlockValues), out);
      return;
    case WeightType::q8_0x8:
      interleaved_row(out, table.q8_0x8, row);
      return;
    case WeightType::q4_0x8:
      interleaved_row(out, table.q4_0x8, row);
      return;
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
