#include "shoehorn/model/transformer.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <initializer_list>

#include "shoehorn/io/error.hpp"
#include "shoehorn/kernels/ops.hpp"

namespace shoehorn {

namespace {

using kernels::MatvecInput;

// The input of the matrices that read x: x itself, plus what their formats multiply with,
// quantized once into scratch for all of them (llama2.c Q8 groups, ggml Q8_0 blocks).
MatvecInput prepare_input(std::initializer_list<const Matrix*> readers, std::span<const float> x,
                          const InputScratch& scratch) {
  MatvecInput in{x, {}, {}, {}};
  bool groups_done = false, blocks_done = false;
  for (const Matrix* w : readers) {
    if (w->type == WeightType::q8_group && !groups_done) {
      const std::size_t groups = x.size() / static_cast<std::size_t>(w->group_size);
      kernels::quantize_q8_groups(x, {scratch.q.first(x.size()), scratch.scales.first(groups)},
                                  w->group_size);
      in.q = scratch.q.first(x.size());
      in.scales = scratch.scales.first(groups);
      groups_done = true;
    }
    if ((w->type == WeightType::q8_0 || w->type == WeightType::q4_0) && !blocks_done) {
      const std::span<BlockQ8_0> blocks = scratch.blocks.first(x.size() / kBlockValues);
      quantize_q8_0(x, blocks);
      in.q8_0 = blocks;
      blocks_done = true;
    }
  }
  return in;
}

// Below this many multiply-adds a matrix is not worth waking other threads for.
constexpr std::int64_t kParallelMatvecWork = 1 << 15;

}  // namespace

Transformer::Transformer(const Model& model, int max_positions, ThreadPool* pool)
    : model_(model), max_positions_(max_positions), pool_(pool) {
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
  plan.add<BlockQ8_0>(dim / kBlockValues);
  plan.add<BlockQ8_0>(hidden / kBlockValues);
  arena_ = Arena(plan.bytes());

  x_ = arena_.allocate<float>(dim);
  xb_ = arena_.allocate<float>(dim);
  xb2_ = arena_.allocate<float>(dim);
  q_ = arena_.allocate<float>(dim);
  const std::span<float> xq_scales = arena_.allocate<float>(dim);
  hb_ = arena_.allocate<float>(hidden);
  hb2_ = arena_.allocate<float>(hidden);
  const std::span<float> hq_scales = arena_.allocate<float>(hidden);
  att_ = arena_.allocate<float>(static_cast<std::size_t>(c.n_heads) * positions);
  logits_ = arena_.allocate<float>(c.vocab_size);
  key_cache_ = arena_.allocate<float>(cache);
  value_cache_ = arena_.allocate<float>(cache);
  rope_freq_ = arena_.allocate<float>(half_head);
  rope_cos_ = arena_.allocate<float>(half_head);
  rope_sin_ = arena_.allocate<float>(half_head);
  xq_ = {arena_.allocate<std::int8_t>(dim), xq_scales,
         arena_.allocate<BlockQ8_0>(dim / kBlockValues)};
  hq_ = {arena_.allocate<std::int8_t>(hidden), hq_scales,
         arena_.allocate<BlockQ8_0>(hidden / kBlockValues)};

  kernels::rope_frequencies(rope_freq_, c.rope_theta, c.head_size());
}

void Transformer::matvec(std::span<float> out, const Matrix& w, const MatvecInput& in) {
  const std::int64_t work = static_cast<std::int64_t>(w.rows) * w.cols;
  if (pool_ == nullptr || pool_->size() == 1 || work < kParallelMatvecWork) {
    kernels::matvec_rows(out, w, in, 0, w.rows);
    return;
  }
  // A few tasks per thread even out the load; each row's sum stays whole in one task.
  const int tasks = std::min(w.rows, 4 * pool_->size());
  auto rows = [&](int task) {
    const int begin = static_cast<int>(static_cast<std::int64_t>(w.rows) * task / tasks);
    const int end = static_cast<int>(static_cast<std::int64_t>(w.rows) * (task + 1) / tasks);
    kernels::matvec_rows(out, w, in, begin, end);
  };
  pool_->run(tasks, rows);
}

void Transformer::attend_head(int layer, int pos, int h) {
  const Config& c = config();
  const int head_size = c.head_size(), kv_dim = c.kv_dim(), kv_mul = c.kv_mul();
  const std::size_t loff = static_cast<std::size_t>(layer) * max_positions_ * kv_dim;
  const float scale = std::sqrt(static_cast<float>(head_size));
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
    const float* v = value_cache_.data() + loff + static_cast<std::size_t>(t) * kv_dim + head_off;
    const float a = att[t];
    for (int i = 0; i < head_size; ++i) xb[i] += a * v[i];
  }
}

// Heads are independent: each reads its own query and writes its own scores and output.
void Transformer::attention(int layer, int pos) {
  const Config& c = config();
  auto head = [&](int h) { attend_head(layer, pos, h); };
  const std::int64_t work = static_cast<std::int64_t>(pos + 1) * c.dim * 2;
  if (pool_ == nullptr || work < kParallelMatvecWork) {
    for (int h = 0; h < c.n_heads; ++h) head(h);
  } else {
    pool_->run(c.n_heads, head);
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
    const MatvecInput attn_in = prepare_input({&lw.wq, &lw.wk, &lw.wv}, xb_, xq_);
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

    matvec(xb2_, lw.wo, prepare_input({&lw.wo}, xb_, xq_));
    for (int i = 0; i < dim; ++i) x[i] += xb2_[i];

    kernels::rmsnorm(xb_, x, lw.ffn_norm, c.norm_eps);
    const MatvecInput ffn_in = prepare_input({&lw.w1, &lw.w3}, xb_, xq_);
    matvec(hb_, lw.w1, ffn_in);
    matvec(hb2_, lw.w3, ffn_in);
    kernels::swiglu(hb_, hb2_);
    matvec(xb_, lw.w2, prepare_input({&lw.w2}, hb_, hq_));
    for (int i = 0; i < dim; ++i) x[i] += xb_[i];
  }

  kernels::rmsnorm(x, x, w.final_norm, c.norm_eps);
  matvec(logits_, w.classifier, prepare_input({&w.classifier}, x, xq_));
  return logits_;
}

}  // namespace shoehorn
