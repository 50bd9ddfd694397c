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

}  // namespace shoehorn
