// The scalar kernel table: every weight type's rows, portable C++ on every target (the
// big-endian build included). SIMD paths start from it and replace what they compute faster.
#include <algorithm>
#include <array>

#include "shoehorn/kernels/block_rows.hpp"
#include "shoehorn/quant/type_functions.hpp"

namespace shoehorn::kernels {

namespace {

void f32_rows(float* out, const float* w, const float* x, int n, int row_begin, int row_end) {
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

void q8_group_rows(float* out, const Matrix& w, const std::int8_t* xq, const float* xscales,
                   int row_begin, int row_end) {
  const int n = w.cols;
  const int gs = w.group_size;
  const std::int8_t* q = w.blocks<std::int8_t>();
  for (int r = row_begin; r < row_end; ++r) {
    const std::size_t base = static_cast<std::size_t>(r) * n;
    const std::int8_t* wq = q + base;
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

// Every half (or bfloat16) as a float: one table lookup per weight.
template <float (*Widen)(std::uint16_t)>
const std::array<float, 1 << 16>& widened() {
  static const std::array<float, 1 << 16> table = [] {
    std::array<float, 1 << 16> t{};
    for (std::size_t h = 0; h < t.size(); ++h) t[h] = Widen(static_cast<std::uint16_t>(h));
    return t;
  }();
  return table;
}

// F16 and BF16 rows in block_rows.hpp's order, each weight widened by a table lookup (the
// same exact floats as the conversion).
template <float (*Widen)(std::uint16_t)>
void half_rows(float* out, const Matrix& w, const float* x, int row_begin, int row_end) {
  const std::array<float, 1 << 16>& half = widened<Widen>();
  const auto widen = [&half](std::uint16_t h) { return half[h]; };
  const int n = w.cols;
  const std::uint16_t* halves = w.blocks<std::uint16_t>();
  for (int r = row_begin; r < row_end; ++r) {
    out[r] = half_row_dot(halves + static_cast<std::size_t>(r) * n, x, n, widen);
  }
}

// Rows in chunks that stay in cache while every position of the batch reads them.
constexpr int kRowsPerChunk = 16;

template <class Rows>
void for_each_position(const Matrix& w, std::size_t out_stride, const MatvecInput& in,
                       int row_begin, int row_end, Rows rows) {
  for (int chunk = row_begin; chunk < row_end; chunk += kRowsPerChunk) {
    const int chunk_end = std::min(row_end, chunk + kRowsPerChunk);
    for (int p = 0; p < in.positions; ++p) {
      rows(static_cast<std::size_t>(p) * out_stride, static_cast<std::size_t>(p) * w.cols, chunk,
           chunk_end);
    }
  }
}

void f32_entry(float* out, std::size_t out_stride, const Matrix& w, const MatvecInput& in,
               int row_begin, int row_end) {
  for_each_position(w, out_stride, in, row_begin, row_end, [&](std::size_t o, std::size_t i, int b, int e) {
    f32_rows(out + o, w.blocks<float>(), in.f32.data() + i, w.cols, b, e);
  });
}

template <float (*Widen)(std::uint16_t), std::span<const float> MatvecInput::*Input>
void half_entry(float* out, std::size_t out_stride, const Matrix& w, const MatvecInput& in,
                int row_begin, int row_end) {
  for_each_position(w, out_stride, in, row_begin, row_end, [&](std::size_t o, std::size_t i, int b, int e) {
    half_rows<Widen>(out + o, w, (in.*Input).data() + i, b, e);
  });
}

void q8_group_entry(float* out, std::size_t out_stride, const Matrix& w, const MatvecInput& in,
                    int row_begin, int row_end) {
  for_each_position(w, out_stride, in, row_begin, row_end, [&](std::size_t o, std::size_t i, int b, int e) {
    q8_group_rows(out + o, w, in.q.data() + i,
                  in.scales.data() + i / static_cast<std::size_t>(w.group_size), b, e);
  });
}

void quantize_q8_0_input(std::span<const float> x, std::span<BlockQ8_0> out) {
  shoehorn::quantize_q8_0(x.data(), out.data(), x.size());
}

void quantize_q8_1_input(std::span<const float> x, std::span<BlockQ8_1> out) {
  shoehorn::quantize_q8_1(x.data(), out.data(), x.size());
}

void quantize_q8_k_input(std::span<const float> x, std::span<BlockQ8_K> out) {
  shoehorn::quantize_q8_k(x.data(), out.data(), x.size());
}

BlockKernels make_scalar_kernels() {
  BlockKernels k{};
  auto set = [&](WeightType type, RowsFn rows) { k.rows[static_cast<std::size_t>(type)] = rows; };
  set(WeightType::f32, f32_entry);
  set(WeightType::f16, half_entry<f16_to_f32, &MatvecInput::f16>);
  set(WeightType::bf16, half_entry<bf16_to_f32, &MatvecInput::bf16>);
  set(WeightType::q8_group, q8_group_entry);
  set(WeightType::q8_0, rows_entry<BlockQ8_0, BlockQ8_0, block_rows_scalar<BlockQ8_0>>);
  set(WeightType::q4_0, rows_entry<BlockQ4_0, BlockQ8_0, block_rows_scalar<BlockQ4_0>>);
  set(WeightType::q8_0x8, interleaved_entry<BlockQ8_0x8, interleaved_rows_scalar<BlockQ8_0x8>>);
  set(WeightType::q4_0x8, interleaved_entry<BlockQ4_0x8, interleaved_rows_scalar<BlockQ4_0x8>>);
  k.quantize_q8_0 = quantize_q8_0_input;
  // Q4_1, Q5_0, Q5_1, IQ4_NL and their Q8_1 inputs.
  set(WeightType::q4_1, rows_entry<BlockQ4_1, BlockQ8_1, block_rows_scalar<BlockQ4_1, BlockQ8_1>>);
  set(WeightType::q5_0, rows_entry<BlockQ5_0, BlockQ8_0, block_rows_scalar<BlockQ5_0>>);
  set(WeightType::q5_1, rows_entry<BlockQ5_1, BlockQ8_1, block_rows_scalar<BlockQ5_1, BlockQ8_1>>);
  set(WeightType::iq4_nl, rows_entry<BlockIQ4_NL, BlockQ8_0, block_rows_scalar<BlockIQ4_NL>>);
  k.quantize_q8_1 = quantize_q8_1_input;
  // Q4_K, Q5_K, Q2_K over Q8_K inputs.
  set(WeightType::q4_k, rows_entry<BlockQ4_K, BlockQ8_K, block_rows_scalar<BlockQ4_K, BlockQ8_K>>);
  set(WeightType::q5_k, rows_entry<BlockQ5_K, BlockQ8_K, block_rows_scalar<BlockQ5_K, BlockQ8_K>>);
  set(WeightType::q2_k, rows_entry<BlockQ2_K, BlockQ8_K, block_rows_scalar<BlockQ2_K, BlockQ8_K>>);
  // The 256-value types and their Q8_K inputs.
  k.quantize_q8_k = quantize_q8_k_input;
  set(WeightType::q6_k, rows_entry<BlockQ6_K, BlockQ8_K, block_rows_scalar<BlockQ6_K, BlockQ8_K>>);
  set(WeightType::q3_k, rows_entry<BlockQ3_K, BlockQ8_K, block_rows_scalar<BlockQ3_K, BlockQ8_K>>);
  set(WeightType::iq4_xs, rows_entry<BlockIQ4_XS, BlockQ8_K, block_rows_scalar<BlockIQ4_XS, BlockQ8_K>>);
  set(WeightType::tq1_0, rows_entry<BlockTQ1_0, BlockQ8_K, block_rows_scalar<BlockTQ1_0, BlockQ8_K>>);
  set(WeightType::tq2_0, rows_entry<BlockTQ2_0, BlockQ8_K, block_rows_scalar<BlockTQ2_0, BlockQ8_K>>);
  // (end of the 256-value types)
  k.attention_scores = attention_scores_scalar<float>;
  k.attention_mix = attention_mix_scalar<float>;
  k.attention_scores_f16 = attention_scores_scalar<std::uint16_t>;
  k.attention_mix_f16 = attention_mix_scalar<std::uint16_t>;
  k.attention_scores_q8 = attention_scores_scalar<std::int8_t>;
  k.attention_mix_q8 = attention_mix_scalar<std::int8_t>;
  return k;
}

}  // namespace

const BlockKernels& scalar_kernels() {
  static const BlockKernels kernels = make_scalar_kernels();
  return kernels;
}

}  // namespace shoehorn::kernels
