#include "shoehorn/kernels/ops.hpp"

#include <cmath>
#include <cstring>

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

void matvec_q8_group_rows(float* out, const Matrix& w, const MatvecInput& in, int row_begin,
                          int row_end) {
  const int n = w.cols;
  const int gs = w.group_size;
  for (int r = row_begin; r < row_end; ++r) {
    const std::size_t base = static_cast<std::size_t>(r) * n;
    const std::int8_t* wq = w.q + base;
    float val = 0.0f;
    for (int j = 0; j + gs <= n; j += gs) {
      std::int32_t ival = 0;
      for (int k = 0; k < gs; ++k) {
        ival += static_cast<std::int32_t>(in.q[j + k]) * static_cast<std::int32_t>(wq[j + k]);
      }
      val += static_cast<float>(ival) * w.scales[(base + j) / gs] * in.scales[j / gs];
    }
    out[r] = val;
  }
}

}  // namespace

void matvec_rows(std::span<float> out, const Matrix& w, const MatvecInput& in, int row_begin,
                 int row_end) {
  switch (w.type) {
    case WeightType::f32:
      matvec_f32_rows(out.data(), w.f32, in.f32.data(), w.cols, row_begin, row_end);
      return;
    case WeightType::q8_group:
      matvec_q8_group_rows(out.data(), w, in, row_begin, row_end);
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
