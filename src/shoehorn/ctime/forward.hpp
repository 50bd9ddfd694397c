// The Llama forward pass over a baked model, in constant evaluation or at run time.
//
// The same computation as model/transformer.cpp, operation for operation (rmsnorm, softmax,
// SwiGLU and quantization are literally the same code: kernels/elementwise.hpp), over plain
// arrays: fixed sizes, no heap, no pointers, no recursion. The one difference is that RoPE's
// cos and sin come from the tables the baker wrote with the run-time engine's own functions.
#pragma once

#include <cstddef>
#include <cstdint>

#include "shoehorn/ctime/model.hpp"
#include "shoehorn/kernels/elementwise.hpp"
#include "shoehorn/kernels/float_math.hpp"

namespace shoehorn::ctime {

// Activations and the KV cache for the first Positions positions (llama2.c's RunState).
template <class M, int Positions>
struct State {
  using S = Shape<M>;
  float x[M::dim]{};
  float xb[M::dim]{};
  float xb2[M::dim]{};
  float q[M::dim]{};
  float hb[M::hidden_dim]{};
  float hb2[M::hidden_dim]{};
  float att[Positions]{};  // one head at a time
  float logits[M::vocab_size]{};
  float key_cache[M::n_layers][Positions][S::kv_dim]{};
  float value_cache[M::n_layers][Positions][S::kv_dim]{};
  // int8 groups of the vector a Q8 matrix reads (runq.c's xq and hq).
  std::int8_t xq[S::quantized ? M::dim : 1]{};
  float xq_scales[S::groups(M::dim)]{};
  std::int8_t hq[S::quantized ? M::hidden_dim : 1]{};
  float hq_scales[S::groups(M::hidden_dim)]{};
};

namespace detail {

// out = W x, each row's sum in column order.
template <int R, int C, class Q, class QS>
constexpr void matvec(float (&out)[R], const float (&w)[R][C], const float (&input)[C], const Q&,
                      const QS&) {
  float x[C];
  for (int j = 0; j < C; ++j) x[j] = input[j];
  for (int r = 0; r < R; ++r) {
    const float (&row)[C] = w[r];
    float acc = 0.0f;
    int j = 0;
    for (; j + 4 <= C; j += 4) {
      acc += row[j] * x[j];
      acc += row[j + 1] * x[j + 1];
      acc += row[j + 2] * x[j + 2];
      acc += row[j + 3] * x[j + 3];
    }
    for (; j < C; ++j) acc += row[j] * x[j];
    out[r] = acc;
  }
}

// runq.c's matmul: integer dot products per group, scaled by both groups' scales.
template <int R, int C, int G, class X>
constexpr void matvec(float (&out)[R], const Q8Matrix<R, C, G>& w, const X&,
                      const std::int8_t (&xq)[C], const float (&xs)[C / G]) {
  for (int r = 0; r < R; ++r) {
    float val = 0.0f;
    for (int g = 0; g < C / G; ++g) {
      std::int32_t ival = 0;
      for (int k = 0; k < G; ++k) {
        ival += static_cast<std::int32_t>(xq[g * G + k]) * static_cast<std::int32_t>(w.q[r][g * G + k]);
      }
      val += static_cast<float>(ival) * w.scales[r][g] * xs[g];
    }
    out[r] = val;
  }
}

template <int R, int C>
constexpr void embedding_row(float (&out)[C], const float (&table)[R][C], int row) {
  for (int i = 0; i < C; ++i) out[i] = table[row][i];
}

template <int R, int C, int G>
constexpr void embedding_row(float (&out)[C], const Q8Matrix<R, C, G>& table, int row) {
  for (int i = 0; i < C; ++i) out[i] = table.q[row][i] * table.scales[row][i / G];
}

// The int8 groups of x, when the matrices that read it are Q8 (computed once per vector).
template <class M, int N, class Q, class QS>
constexpr void quantize_input(const float (&x)[N], Q& q, QS& scales) {
  if constexpr (Shape<M>::quantized) {
    kernels::generic::quantize_q8_groups(x, N, q, scales, M::group_size);
  }
}

template <class M, int Positions>
constexpr void rope(State<M, Positions>& s, int layer, int pos) {
  using S = Shape<M>;
  float(&k)[S::kv_dim] = s.key_cache[layer][pos];
  for (int i = 0; i < M::dim; i += 2) {
    const int pair = (i % S::head_size) / 2;
    const float fcr = M::rope_cos[pos][pair], fci = M::rope_sin[pos][pair];
    const float q0 = s.q[i], q1 = s.q[i + 1];
    s.q[i] = q0 * fcr - q1 * fci;
    s.q[i + 1] = q0 * fci + q1 * fcr;
    if (i < S::kv_dim) {  // k only within kv_dim
      const float k0 = k[i], k1 = k[i + 1];
      k[i] = k0 * fcr - k1 * fci;
      k[i + 1] = k0 * fci + k1 * fcr;
    }
  }
}

template <class M, int Positions>
constexpr void attention(State<M, Positions>& s, int layer, int pos) {
  using S = Shape<M>;
  const float scale = float_math::sqrt(static_cast<float>(S::head_size));
  const float(&keys)[Positions][S::kv_dim] = s.key_cache[layer];
  const float(&values)[Positions][S::kv_dim] = s.value_cache[layer];
  for (int h = 0; h < M::n_heads; ++h) {
    const int q_off = h * S::head_size;
    const int kv_off = (h / S::kv_mul) * S::head_size;
    float q[S::head_size];
    for (int i = 0; i < S::head_size; ++i) q[i] = s.q[q_off + i];
    for (int t = 0; t <= pos; ++t) {
      const float(&k)[S::kv_dim] = keys[t];
      float score = 0.0f;
      for (int i = 0; i < S::head_size; ++i) score += q[i] * k[kv_off + i];
      score /= scale;
      s.att[t] = score;
    }
    kernels::generic::softmax(s.att, static_cast<std::size_t>(pos) + 1);
    float xb[S::head_size] = {};
    for (int t = 0; t <= pos; ++t) {
      const float a = s.att[t];
      const float(&v)[S::kv_dim] = values[t];
      for (int i = 0; i < S::head_size; ++i) xb[i] += a * v[kv_off + i];
    }
    for (int i = 0; i < S::head_size; ++i) s.xb[q_off + i] = xb[i];
  }
}

}  // namespace detail

// Runs token at position pos (0 <= pos < Positions). The logits (s.logits) are computed only
// when wanted: a prompt position's logits are never read, and skipping them changes nothing else.
template <class M, int Positions>
constexpr void forward(State<M, Positions>& s, int token, int pos, bool want_logits) {
  using detail::matvec;
  using detail::quantize_input;
  detail::embedding_row(s.x, M::token_embedding, token);

  for (int l = 0; l < M::n_layers; ++l) {
    kernels::generic::rmsnorm(s.xb, s.x, M::attn_norm[l], M::dim, M::norm_eps);
    quantize_input<M>(s.xb, s.xq, s.xq_scales);
    matvec(s.q, M::wq[l], s.xb, s.xq, s.xq_scales);
    matvec(s.key_cache[l][pos], M::wk[l], s.xb, s.xq, s.xq_scales);
    matvec(s.value_cache[l][pos], M::wv[l], s.xb, s.xq, s.xq_scales);
    detail::rope(s, l, pos);

    detail::attention(s, l, pos);

    quantize_input<M>(s.xb, s.xq, s.xq_scales);
    matvec(s.xb2, M::wo[l], s.xb, s.xq, s.xq_scales);
    for (int i = 0; i < M::dim; ++i) s.x[i] += s.xb2[i];

    kernels::generic::rmsnorm(s.xb, s.x, M::ffn_norm[l], M::dim, M::norm_eps);
    quantize_input<M>(s.xb, s.xq, s.xq_scales);
    matvec(s.hb, M::w1[l], s.xb, s.xq, s.xq_scales);
    matvec(s.hb2, M::w3[l], s.xb, s.xq, s.xq_scales);
    kernels::generic::swiglu(s.hb, s.hb2, M::hidden_dim);
    quantize_input<M>(s.hb, s.hq, s.hq_scales);
    matvec(s.xb, M::w2[l], s.hb, s.hq, s.hq_scales);
    for (int i = 0; i < M::dim; ++i) s.x[i] += s.xb[i];
  }

  kernels::generic::rmsnorm(s.x, s.x, M::final_norm, M::dim, M::norm_eps);
  if (want_logits) {
    quantize_input<M>(s.x, s.xq, s.xq_scales);
    matvec(s.logits, M::classifier, s.x, s.xq, s.xq_scales);
  }
}

}  // namespace shoehorn::ctime
