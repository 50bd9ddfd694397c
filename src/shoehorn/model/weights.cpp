#include "shoehorn/model/weights.hpp"

namespace shoehorn {

std::string tensor_name(TensorRole role, int layer) {
  const std::string blk = "blk." + std::to_string(layer) + ".";
  switch (role) {
    case TensorRole::token_embedding: return "token_embd.weight";
    case TensorRole::attn_norm: return blk + "attn_norm.weight";
    case TensorRole::wq: return blk + "attn_q.weight";
    case TensorRole::wk: return blk + "attn_k.weight";
    case TensorRole::wv: return blk + "attn_v.weight";
    case TensorRole::wo: return blk + "attn_output.weight";
    case TensorRole::ffn_norm: return blk + "ffn_norm.weight";
    case TensorRole::w1: return blk + "ffn_gate.weight";
    case TensorRole::w2: return blk + "ffn_down.weight";
    case TensorRole::w3: return blk + "ffn_up.weight";
    case TensorRole::final_norm: return "output_norm.weight";
    case TensorRole::classifier: return "output.weight";
    case TensorRole::q_bias: return blk + "attn_q.bias";
    case TensorRole::k_bias: return blk + "attn_k.bias";
    case TensorRole::v_bias: return blk + "attn_v.bias";
    case TensorRole::rope_freqs: return "rope_freqs.weight";
  }
  return "?";
}

void place_tensor(Weights& w, TensorRole role, int layer, const Matrix& m) {
  const std::span<const float> vector(m.blocks<float>(), static_cast<std::size_t>(m.cols));
  LayerWeights* l = layer >= 0 ? &w.layers[static_cast<std::size_t>(layer)] : nullptr;
  switch (role) {
    case TensorRole::token_embedding: w.token_embedding = m; break;
    case TensorRole::final_norm: w.final_norm = vector; break;
    case TensorRole::classifier: w.classifier = m; break;
    case TensorRole::attn_norm: l->attn_norm = vector; break;
    case TensorRole::ffn_norm: l->ffn_norm = vector; break;
    case TensorRole::wq: l->wq = m; break;
    case TensorRole::wk: l->wk = m; break;
    case TensorRole::wv: l->wv = m; break;
    case TensorRole::wo: l->wo = m; break;
    case TensorRole::w1: l->w1 = m; break;
    case TensorRole::w2: l->w2 = m; break;
    case TensorRole::w3: l->w3 = m; break;
    case TensorRole::q_bias: l->q_bias = vector; break;
    case TensorRole::k_bias: l->k_bias = vector; break;
    case TensorRole::v_bias: l->v_bias = vector; break;
    case TensorRole::rope_freqs: w.rope_freqs = vector; break;
  }
}

}  // namespace shoehorn

namespace shoehorn {

bool is_matrix(TensorRole role) {
  switch (role) {
    case TensorRole::attn_norm:
    case TensorRole::ffn_norm:
    case TensorRole::final_norm:
    case TensorRole::q_bias:
    case TensorRole::k_bias:
    case TensorRole::v_bias:
    case TensorRole::rope_freqs: return false;
    default: return true;
  }
}

TensorShape tensor_shape(const Config& c, TensorRole role) {
  switch (role) {
    case TensorRole::token_embedding:
    case TensorRole::classifier: return {c.vocab_size, c.dim};
    case TensorRole::attn_norm:
    case TensorRole::ffn_norm:
    case TensorRole::final_norm:
    case TensorRole::q_bias: return {1, c.dim};
    case TensorRole::k_bias:
    case TensorRole::v_bias: return {1, c.kv_dim()};
    case TensorRole::rope_freqs: return {1, c.head_size() / 2};
    case TensorRole::wq:
    case TensorRole::wo: return {c.dim, c.dim};
    case TensorRole::wk:
    case TensorRole::wv: return {c.kv_dim(), c.dim};
    case TensorRole::w1:
    case TensorRole::w3: return {c.hidden_dim, c.dim};
    case TensorRole::w2: return {c.dim, c.hidden_dim};
  }
  return {0, 0};
}

std::vector<TensorInfo> execution_order(const Config& c, bool shared_classifier) {
  std::vector<TensorInfo> tensors;
  auto add = [&](TensorRole role, int layer) {
    TensorInfo t;
    t.name = tensor_name(role, layer);
    t.role = role;
    t.layer = layer;
    const TensorShape shape = tensor_shape(c, role);
    t.rows = shape.rows;
    t.cols = shape.cols;
    t.bytes = stored_bytes(t.type, t.count(), 0);
    tensors.push_back(std::move(t));
  };
  add(TensorRole::token_embedding, -1);
  if (c.rope_freqs) add(TensorRole::rope_freqs, -1);
  for (int l = 0; l < c.n_layers; ++l) {
    for (const TensorRole role : {TensorRole::attn_norm, TensorRole::wq, TensorRole::wk,
                                  TensorRole::wv}) {
      add(role, l);
    }
    if (c.qkv_bias) {
      for (const TensorRole role : {TensorRole::q_bias, TensorRole::k_bias, TensorRole::v_bias}) {
        add(role, l);
      }
    }
    for (const TensorRole role : {TensorRole::wo, TensorRole::ffn_norm, TensorRole::w1,
                                  TensorRole::w2, TensorRole::w3}) {
      add(role, l);
    }
  }
  add(TensorRole::final_norm, -1);
  if (!shared_classifier) add(TensorRole::classifier, -1);
  return tensors;
}

namespace {

Matrix norm_matrix(std::span<const float> norm) {
  Matrix m;
  m.rows = 1;
  m.cols = static_cast<int>(norm.size());
  m.data = norm.data();
  return m;
}

}  // namespace

Matrix tensor_of(const Weights& w, TensorRole role, int layer) {
  const LayerWeights* l = layer >= 0 ? &w.layers[static_cast<std::size_t>(layer)] : nullptr;
  switch (role) {
    case TensorRole::token_embedding: return w.token_embedding;
    case TensorRole::classifier: return w.classifier;
    case TensorRole::final_norm: return norm_matrix(w.final_norm);
    case TensorRole::attn_norm: return norm_matrix(l->attn_norm);
    case TensorRole::ffn_norm: return norm_matrix(l->ffn_norm);
    case TensorRole::wq: return l->wq;
    case TensorRole::wk: return l->wk;
    case TensorRole::wv: return l->wv;
    case TensorRole::wo: return l->wo;
    case TensorRole::w1: return l->w1;
    case TensorRole::w2: return l->w2;
    case TensorRole::w3: return l->w3;
    case TensorRole::q_bias: return norm_matrix(l->q_bias);
    case TensorRole::k_bias: return norm_matrix(l->k_bias);
    case TensorRole::v_bias: return norm_matrix(l->v_bias);
    case TensorRole::rope_freqs: return norm_matrix(w.rope_freqs);
  }
  return {};
}

}  // namespace shoehorn
