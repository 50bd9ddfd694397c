// rmsnorm, softmax, SwiGLU and runq.c's activation quantization as constexpr templates over
// anything indexable: std::span in the run-time engine (kernels/ops.cpp), plain arrays in the
// compile-time engine (ctime/). One copy of llama2.c's order of float operations serves both.
#pragma once

#include <cstddef>
#include <cstdint>

#include "shoehorn/kernels/float_math.hpp"

namespace shoehorn::kernels::generic {

// out may be x itself.
template <class Out, class X, class W>
constexpr void rmsnorm(Out& out, const X& x, const W& weight, std::size_t n, float eps) {
  float ss = 0.0f;
  for (std::size_t j = 0; j < n; ++j) ss += x[j] * x[j];
  ss /= static_cast<float>(static_cast<int>(n));
  ss += eps;
  ss = 1.0f / float_math::sqrt(ss);
  for (std::size_t j = 0; j < n; ++j) out[j] = weight[j] * (ss * x[j]);
}

// Softmax of x[0..n), in place.
template <class X>
constexpr void softmax(X& x, std::size_t n) {
  float max_val = x[0];
  for (std::size_t i = 1; i < n; ++i) {
    if (x[i] > max_val) max_val = x[i];
  }
  float sum = 0.0f;
  for (std::size_t i = 0; i < n; ++i) {
    x[i] = float_math::exp(x[i] - max_val);
    sum += x[i];
  }
  for (std::size_t i = 0; i < n; ++i) x[i] /= sum;
}

// gate = silu(gate) * up.
template <class Gate, class Up>
constexpr void swiglu(Gate& gate, const Up& up, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    float val = gate[i];
    val *= (1.0f / (1.0f + float_math::exp(-val)));
    val *= up[i];
    gate[i] = val;
  }
}

// llama2.c runq.c: per group of x[0..n), scale = max|x| / 127, q = round(x / scale).
template <class X, class Q, class S>
constexpr void quantize_q8_groups(const X& x, std::size_t n, Q& q, S& scales,
                                  std::size_t group_size) {
  for (std::size_t g = 0; g < n / group_size; ++g) {
    const std::size_t base = g * group_size;
    float wmax = 0.0f;
    for (std::size_t i = 0; i < group_size; ++i) {
      const float v = x[base + i] < 0.0f ? -x[base + i] : x[base + i];  // fabs, as the max sees it
      if (v > wmax) wmax = v;
    }
    const float scale = wmax / 127.0f;
    scales[g] = scale;
    for (std::size_t i = 0; i < group_size; ++i) {
      // runq.c divides by the scale; an all-zero group (scale 0) would divide 0 by 0 there, an
      // undefined conversion of NaN. Zero is what that group means.
      const float quant = scale == 0.0f ? 0.0f : x[base + i] / scale;
      q[base + i] = float_math::round_half_away_int8(quant);
    }
  }
}

}  // namespace shoehorn::kernels::generic
