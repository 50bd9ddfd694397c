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

TransformerBytes Transformer::bytes(const Config& c, int max_positions, int lanes) {
  const std::size_t dim = c.dim, hidden = c.hidden_dim, n = static_cast<std::size_t>(lanes);
  const std::size_t positions = max_positions, half_head = c.head_size() / 2;
  const std::size_t cache = static_cast<std::size_t>(c.n_layers) * positions * c.kv_dim();
  ArenaPlan activations;
  for (int i = 0; i < 5; ++i) activations.add<float>(n * dim);  // x, xb, xb2, q, xq scales
  for (int i = 0; i < 3; ++i) activations.add<float>(n * hidden);  // hb, hb2, hq scales
  activations.add<float>(static_cast<std::size_t>(c.n_heads) * positions);  // att
  activations.add<float>(c.vocab_size);                                     // logits
  activations.add<float>(half_head);                                        // rope freq
  activations.add<float>(n * half_head);                                    // rope cos
  activations.add<float>(n * half_head);                                    // rope sin
  activations.add<std::int8_t>(n * dim);
  activations.add<std::int8_t>(n * hidden);
  activations.add<BlockQ8_0>(n * (dim / kBlockValues));
  activations.add<BlockQ8_0>(n * (hidden / kBlockValues));
  ArenaPlan kv;
  kv.add<float>(cache);
  kv.add<float>(cache);
  return {activations.bytes(), kv.bytes()};
}

Transformer::Transformer(const Model& model, int max_positions, ThreadPool* pool,
                         WeightSource* weights, int lanes)
    : model_(model),
      max_positions_(max_positions),
      pool_(pool),
      resident_(model.weights),
      weights_(weights != nullptr ? weights : &resident_),
      lanes_(lanes) {
  const Config& c = model.config();
  if (max_positions < 1 || max_positions > c.seq_len) {
    throw Error("positions " + std::to_string(max_positions) + " outside 1.." +
                std::to_string(c.seq_len));
  }
  if (lanes < 1) throw Error("lanes " + std::to_string(lanes) + " must be at least 1");
  const std::size_t dim = c.dim, hidden = c.hidden_dim, kv_dim = c.kv_dim();
  const std::size_t positions = max_positions, half_head = c.head_size() / 2;
  const std::size_t n = static_cast<std::size_t>(lanes);
  const std::size_t cache = static_cast<std::size_t>(c.n_layers) * positions * kv_dim;
  arena_ = Arena(bytes(c, max_positions, lanes).total());

  x_ = arena_.allocate<float>(n * dim);
  xb_ = arena_.allocate<float>(n * dim);
  xb2_ = arena_.allocate<float>(n * dim);
  q_ = arena_.allocate<float>(n * dim);
  const std::span<float> xq_scales = arena_.allocate<float>(n * dim);
  hb_ = arena_.allocate<float>(n * hidden);
  hb2_ = arena_.allocate<float>(n * hidden);
  const std::span<float> hq_scales = arena_.allocate<float>(n * hidden);
  att_ = arena_.allocate<float>(static_cast<std::size_t>(c.n_heads) * positions);
  logits_ = arena_.allocate<float>(c.vocab_size);
  rope_freq_ = arena_.allocate<float>(half_head);
  rope_cos_ = arena_.allocate<float>(n * half_head);
  rope_sin_ = arena_.allocate<float>(n * half_head);
  const std::span<std::int8_t> xq = arena_.allocate<std::int8_t>(n * dim);
  const std::span<std::int8_t> hq = arena_.allocate<std::int8_t>(n * hidden);
  const std::span<BlockQ8_0> xblocks = arena_.allocate<BlockQ8_0>(n * (dim / kBlockValues));
  const std::span<BlockQ8_0> hblocks = arena_.allocate<BlockQ8_0>(n * (hidden / kBlockValues));
  key_cache_ = arena_.allocate<float>(cache);
  value_cache_ = arena_.allocate<float>(cache);
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t xb = dim / kBlockValues, hbk = hidden / kBlockValues;
    xq_.push_back({xq.subspan(i * dim, dim), xq_scales.subspan(i * dim, dim),
                   xblocks.subspan(i * xb, xb)});
    hq_.push_back({hq.subspan(i * hidden, hidden), hq_scales.subspan(i * hidden, hidden),
                   hblocks.subspan(i * hbk, hbk)});
  }
  in_.resize(n);

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

void Transformer::attend_head(int layer, int pos, int lane, int h) {
  const Config& c = config();
  const int head_size = c.head_size(), kv_dim = c.kv_dim(), kv_mul = c.kv_mul();
  const std::size_t loff = static_cast<std::size_t>(layer) * max_positions_ * kv_dim;
  const float scale = std::sqrt(static_cast<float>(head_size));
  const float* q = rows(q_, c.dim)[lane].data() + static_cast<std::size_t>(h) * head_size;
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
  float* xb = rows(xb_, c.dim)[lane].data() + static_cast<std::size_t>(h) * head_size;
  std::memset(xb, 0, static_cast<std::size_t>(head_size) * sizeof(float));
  for (int t = 0; t <= pos; ++t) {
    const float* v = value_cache_.data() + loff + static_cast<std::size_t>(t) * kv_dim + head_off;
    const float a = att[t];
    for (int i = 0; i < head_size; ++i) xb[i] += a * v[i];
  }
}

// Heads are independent: each reads its own query and writes its own scores and output.
void Transformer::attention(int layer, int pos, int lane) {
  const Config& c = config();
  auto head = [&](int h) { attend_head(layer, pos, lane, h); };
  const std::int64_t work = static_cast<std::int64_t>(pos + 1) * c.dim * 2;
  if (pool_ == nullptr || work < kParallelMatvecWork) {
    for (int h = 0; h < c.n_heads; ++h) head(h);
  } else {
    pool_->run(c.n_heads, head);
  }
}

void Transformer::project(TensorRole role, int layer, LaneRows out, int lanes) {
  for (;;) {
    const WeightPiece piece = weights_->next(role, layer);
    const std::size_t first = static_cast<std::size_t>(piece.first_row);
    const std::size_t count = static_cast<std::size_t>(piece.matrix.rows);
    for (int lane = 0; lane < lanes; ++lane) {
      matvec(out[lane].subspan(first, count), piece.matrix, in_[static_cast<std::size_t>(lane)]);
    }
    weights_->done();
    if (piece.last) return;
  }
}

std::span<float> Transformer::forward(int token, int pos) {
  return forward_chunk(std::span<const int>(&token, 1), pos);
}

std::span<float> Transformer::forward_chunk(std::span<const int> tokens, int pos) {
  const Config& c = config();
  const Weights& w = model_.weights;
  const int lanes = static_cast<int>(tokens.size());
  if (lanes < 1 || lanes > lanes_ || pos < 0 || pos + lanes > max_positions_) {
    throw Error("forward_chunk: " + std::to_string(lanes) + " tokens at position " +
                std::to_string(pos) + " do not fit " + std::to_string(lanes_) + " lanes and " +
                std::to_string(max_positions_) + " positions");
  }
  const LaneRows x = rows(x_, c.dim), cos = rows(rope_cos_, c.head_size() / 2),
                 sin = rows(rope_sin_, c.head_size() / 2);

  for (int lane = 0; lane < lanes; ++lane) {
    const EmbeddingRow row = weights_->embedding(tokens[static_cast<std::size_t>(lane)]);
    kernels::embedding_row(x[lane], row.table, row.row);
    // The rotation angles depend only on the position: computed once for all layers.
    kernels::rope_angles(rope_freq_, pos + lane, cos[lane], sin[lane]);
  }

  for (int l = 0; l < c.n_layers; ++l) layer(l, pos, lanes);

  // Only the last token's logits are wanted.
  const std::span<float> last = x[lanes - 1];
  kernels::rmsnorm(last, last, w.final_norm, c.norm_eps);
  in_[0] = prepare_input({&w.classifier}, last, xq_[0]);
  project(TensorRole::classifier, -1, {logits_.data(), 0, logits_.size()}, 1);
  return logits_;
}

void Transformer::layer(int l, int pos, int lanes) {
  const Config& c = config();
  const LayerWeights& lw = model_.weights.layers[static_cast<std::size_t>(l)];
  const int dim = c.dim, kv_dim = c.kv_dim(), head_size = c.head_size();
  const std::size_t loff = static_cast<std::size_t>(l) * max_positions_ * kv_dim;
  const LaneRows x = rows(x_, dim), xb = rows(xb_, dim), xb2 = rows(xb2_, dim),
                 q = rows(q_, dim), hb = rows(hb_, c.hidden_dim), hb2 = rows(hb2_, c.hidden_dim),
                 cos = rows(rope_cos_, head_size / 2), sin = rows(rope_sin_, head_size / 2);
  const std::size_t here = loff + static_cast<std::size_t>(pos) * kv_dim;
  const LaneRows k{key_cache_.data() + here, static_cast<std::size_t>(kv_dim),
                   static_cast<std::size_t>(kv_dim)};
  const LaneRows v{value_cache_.data() + here, static_cast<std::size_t>(kv_dim),
                   static_cast<std::size_t>(kv_dim)};
  auto inputs = [&](std::initializer_list<const Matrix*> readers, LaneRows from,
                    const std::vector<InputScratch>& scratch) {
    for (int lane = 0; lane < lanes; ++lane) {
      const std::size_t i = static_cast<std::size_t>(lane);
      in_[i] = prepare_input(readers, from[lane], scratch[i]);
    }
  };

  for (int lane = 0; lane < lanes; ++lane) {
    kernels::rmsnorm(xb[lane], x[lane], lw.attn_norm, c.norm_eps);
  }
  inputs({&lw.wq, &lw.wk, &lw.wv}, xb, xq_);
  project(TensorRole::wq, l, q, lanes);
  project(TensorRole::wk, l, k, lanes);
  project(TensorRole::wv, l, v, lanes);

  for (int lane = 0; lane < lanes; ++lane) {
    for (int i = 0; i < dim; i += 2) {
      const std::size_t pair = static_cast<std::size_t>(i % head_size) / 2;
      const float fcr = cos[lane][pair], fci = sin[lane][pair];
      const int rotations = i < kv_dim ? 2 : 1;  // q always, k only within kv_dim
      for (int r = 0; r < rotations; ++r) {
        float* vec = r == 0 ? q[lane].data() : k[lane].data();
        const float v0 = vec[i], v1 = vec[i + 1];
        vec[i] = v0 * fcr - v1 * fci;
        vec[i + 1] = v0 * fci + v1 * fcr;
      }
    }
    attention(l, pos + lane, lane);
  }

  inputs({&lw.wo}, xb, xq_);
  project(TensorRole::wo, l, xb2, lanes);
  for (int lane = 0; lane < lanes; ++lane) {
    for (int i = 0; i < dim; ++i) x[lane][i] += xb2[lane][i];
    kernels::rmsnorm(xb[lane], x[lane], lw.ffn_norm, c.norm_eps);
  }
  inputs({&lw.w1, &lw.w3}, xb, xq_);
  project(TensorRole::w1, l, hb, lanes);
  project(TensorRole::w3, l, hb2, lanes);
  for (int lane = 0; lane < lanes; ++lane) kernels::swiglu(hb[lane], hb2[lane]);
  inputs({&lw.w2}, hb, hq_);
  project(TensorRole::w2, l, xb, lanes);
  for (int lane = 0; lane < lanes; ++lane) {
    for (int i = 0; i < dim; ++i) x[lane][i] += xb[lane][i];
  }
}

}  // namespace shoehorn
