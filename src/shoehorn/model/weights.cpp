#include "shoehorn/model/weights.hpp"

namespace shoehorn {

const char* to_string(WeightType type) {
  switch (type) {
    case WeightType::f32: return "F32";
    case WeightType::q8_group: return "Q8_G";
  }
  return "?";
}

std::uint64_t stored_bytes(WeightType type, std::uint64_t count, int group_size) {
  switch (type) {
    case WeightType::f32: return count * 4;
    case WeightType::q8_group: return count + 4 * (count / static_cast<std::uint64_t>(group_size));
  }
  return 0;
}

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
  }
  return "?";
}

void place_tensor(Weights& w, TensorRole role, int layer, const Matrix& m) {
  const std::span<const float> vector(m.f32, static_cast<std::size_t>(m.cols));
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
  }
}

}  // namespace shoehorn
