#include "shoehorn/model/transformer.hpp"

#include <cmath>
#include <cstring>

#include "shoehorn/io/error.hpp"
#include "shoehorn/kernels/ops.hpp"

namespace shoehorn {

namespace {

using kernels::MatvecInput;

// The input of every matrix reading x: when the matrix is llama2.c Q8, x is quantized into
// scratch once and the same groups serve every matrix that follows.
MatvecInput prepare_input(const Matrix& w, std::span<const float> x, std::span<std::int8_t> q,
                          std::span<float> scales) {
  MatvecInput in{x, {}, {}};
  if (w.type == WeightType::q8_group) {
    kernels::quantize_q8_groups(x, {q.first(x.size()), scales}, w.group_size);
    in.q = q.first(x.size());
    in.scales = scales.first(x.size() / static_cast<std::size_t>(w.group_size));
  }
  return in;
}

void matvec(std::span<float> out, const Matrix& w, const MatvecInput& in) {
  kernels::matvec_rows(out, w, in, 0, w.rows);
}

}  // namespace

Transformer::Transformer(const Model& model, int max_positions)
    : model_(model), max_positions_(max_positions) {
  const Config& c = model.config();
  if (max_positions < 1 || max_positions > c.seq_len) {
    throw Error("positions " + std::to_string(max_positions) + " outside 1.." +
                std::to_string(c.seq_len));
  }
  const std::size_t dim = c.dim, hidden = c.hidden_dim, kv_dim = c.kv_dim();
  const std::size_t positions = max_positions, half_head = c.head_size() / 2;
  const std::size_t cache = static_cast<std::size_t>(c.n_layers) * positions * kv_dim;

  ArenaPlan plan;
  for (int i = 0; i < 5; ++i) plan.add<float>(dim);  // x, xb, xb2, q, xq scales (upper bound)
  plan.add<float>(hidden);                            // hb
  plan.add<float>(hidden);                            // hb2
  plan.add<float>(hidden);                            // hq scales (upper bound)
  plan.add<float>(static_cast<std::size_t>(c.n_heads) * positions);  // att
  plan.add<float>(c.vocab_size);                                     // logits
  plan.add<float>(cache);
  plan.add<float>(cache);
  for (int i = 0; i < 3; ++i) plan.add<float>(half_head);  // rope freq, cos, sin
  plan.add<std::int8_t>(dim);
  plan.add<std::int8_t>(hidden);
  arena_ = Arena(plan.bytes());

  x_ = arena_.allocate<float>(dim);
  xb_ = arena_.allocate<float>(dim);
  xb2_ = arena_.allocate<float>(dim);
  q_ = arena_.allocate<float>(dim);
  xq_scales_ = arena_.allocate<float>(dim);
  hb_ = arena_.allocate<float>(hidden);
  hb2_ = arena_.allocate<float>(hidden);
  hq_scales_ = arena_.allocate<float>(hidden);
  att_ = arena_.allocate<float>(static_cast<std::size_t>(c.n_heads) * positions);
  logits_ = arena_.allocate<float>(c.vocab_size);
  key_cache_ = arena_.allocate<float>(cache);
  value_cache_ = arena_.allocate<float>(cache);
  rope_freq_ = arena_.allocate<float>(half_head);
  rope_cos_ = arena_.allocate<float>(half_head);
  rope_sin_ = arena_.allocate<float>(half_head);
  xq_ = arena_.allocate<std::int8_t>(dim);
  hq_ = arena_.allocate<std::int8_t>(hidden);

  kernels::rope_frequencies(rope_freq_, c.rope_theta, c.head_size());
}

void Transformer::attention(int layer, int pos) {
  const Config& c = config();
  const int head_size = c.head_size(), kv_dim = c.kv_dim(), kv_mul = c.kv_mul();
  const std::size_t loff = static_cast<std::size_t>(layer) * max_positions_ * kv_dim;
  const float scale = std::sqrt(static_cast<float>(head_size));
  for (int h = 0; h < c.n_heads; ++h) {
    const float* q = q_.data() + static_cast<std::size_t>(h) * head_size;
    const std::span<float> att = att_.subspan(static_cast<std::size_t>(h) * max_positions_,
                                              static_cast<std::size_t>(pos) + 1);
    const std::size_t head_off = static_cast<std::size_t>(h / kv_mul) * head_size;
    for (int t = 0; t <= pos; ++t) {
      const float* k = key_cache_.data() + loff + static_cast<std::size_t>(t) * kv_dim + head_off;
      float score = 0.0f;
      for (int i = 0; i < head_size; ++i) score += q[i] * k[i];
      score /= scale;
      att[t] = score;
    }
    kernels::softmax(att);
    float* xb = xb_.data() + static_cast<std::size_t>(h) * head_size;
    std::memset(xb, 0, static_cast<std::size_t>(head_size) * sizeof(float));
    for (int t = 0; t <= pos; ++t) {
      const float* v =
          value_cache_.data() + loff + static_cast<std::size_t>(t) * kv_dim + head_off;
      const float a = att[t];
      for (int i = 0; i < head_size; ++i) xb[i] += a * v[i];
    }
  }
}

std::span<float> Transformer::forward(int token, int pos) {
  const Config& c = config();
  const Weights& w = model_.weights;
  const int dim = c.dim, kv_dim = c.kv_dim(), head_size = c.head_size();
  const std::span<float> x = x_;

  kernels::embedding_row(x, w.token_embedding, token);

  // The rotation angles depend only on the position: compute them once for all layers.
  kernels::rope_angles(rope_freq_, pos, rope_cos_, rope_sin_);

  for (int l = 0; l < c.n_layers; ++l) {
    const LayerWeights& lw = w.layers[l];
    const std::size_t loff = static_cast<std::size_t>(l) * max_positions_ * kv_dim;
    const std::span<float> k = key_cache_.subspan(loff + static_cast<std::size_t>(pos) * kv_dim,
                                                  kv_dim);
    const std::span<float> v =
        value_cache_.subspan(loff + static_cast<std::size_t>(pos) * kv_dim, kv_dim);

    kernels::rmsnorm(xb_, x, lw.attn_norm, c.norm_eps);
    const MatvecInput attn_in = prepare_input(lw.wq, xb_, xq_, xq_scales_);
    matvec(q_, lw.wq, attn_in);
    matvec(k, lw.wk, attn_in);
    matvec(v, lw.wv, attn_in);

    for (int i = 0; i < dim; i += 2) {
      const std::size_t pair = static_cast<std::size_t>(i % head_size) / 2;
      const float fcr = rope_cos_[pair], fci = rope_sin_[pair];
      const int rotations = i < kv_dim ? 2 : 1;  // q always, k only within kv_dim
      for (int r = 0; r < rotations; ++r) {
        float* vec = r == 0 ? q_.data() : k.data();
        const float v0 = vec[i], v1 = vec[i + 1];
        vec[i] = v0 * fcr - v1 * fci;
        vec[i + 1] = v0 * fci + v1 * fcr;
      }
    }

    attention(l, pos);

    matvec(xb2_, lw.wo, prepare_input(lw.wo, xb_, xq_, xq_scales_));
    for (int i = 0; i < dim; ++i) x[i] += xb2_[i];

    kernels::rmsnorm(xb_, x, lw.ffn_norm, c.norm_eps);
    const MatvecInput ffn_in = prepare_input(lw.w1, xb_, xq_, xq_scales_);
    matvec(hb_, lw.w1, ffn_in);
    matvec(hb2_, lw.w3, ffn_in);
    kernels::swiglu(hb_, hb2_);
    matvec(xb_, lw.w2, prepare_input(lw.w2, hb_, hq_, hq_scales_));
    for (int i = 0; i < dim; ++i) x[i] += xb_[i];
  }

  kernels::rmsnorm(x, x, w.final_norm, c.norm_eps);
  matvec(logits_, w.classifier, prepare_input(w.classifier, x, xq_, xq_scales_));
  return logits_;
}

}  // namespace shoehorn
