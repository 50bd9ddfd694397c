// Weights as the forward pass sees them: host-order typed arrays, one Matrix per projection.
//
// Nothing here knows about files. Loaders (format/) decode file bytes into these arrays; the
// tensor table (TensorInfo) is how a file describes where each one lives.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "shoehorn/memory/arena.hpp"
#include "shoehorn/model/config.hpp"
#include "shoehorn/quant/matrix.hpp"

namespace shoehorn {

struct LayerWeights {
  std::span<const float> attn_norm;
  Matrix wq, wk, wv, wo;
  std::span<const float> q_bias, k_bias, v_bias;  // empty unless config.qkv_bias
  std::span<const float> ffn_norm;
  Matrix w1, w2, w3;  // gate, down, up
};

struct Weights {
  Matrix token_embedding;  // vocab_size x dim
  std::vector<LayerWeights> layers;
  std::span<const float> final_norm;
  Matrix classifier;  // vocab_size x dim; the embedding itself when shared
  std::span<const float> rope_freqs;  // head_size / 2 divisors; empty unless config.rope_freqs
};

// Where each tensor sits in a file. Names follow GGUF's llama convention (token_embd.weight,
// blk.N.attn_q.weight, ...) whatever the file format, so tools speak one language.
enum class TensorRole : std::uint8_t {
  token_embedding, attn_norm, wq, wk, wv, wo, ffn_norm, w1, w2, w3, final_norm, classifier,
  q_bias, k_bias, v_bias, rope_freqs
};

struct TensorInfo {
  std::string name;
  TensorRole role = TensorRole::token_embedding;
  int layer = -1;  // -1 for tensors outside the layers
  WeightType type = WeightType::f32;
  int rows = 1;  // 1 for vectors
  int cols = 0;
  int group_size = 0;
  std::uint64_t offset = 0;  // absolute offset in the file
  std::uint64_t bytes = 0;

  std::uint64_t count() const { return static_cast<std::uint64_t>(rows) * cols; }
};

std::string tensor_name(TensorRole role, int layer);

// rows x cols of a role's tensor in a model of this config (rows 1 for the norms and the other
// vectors: biases, rope_freqs).
struct TensorShape {
  int rows;
  int cols;
};
TensorShape tensor_shape(const Config& config, TensorRole role);
bool is_matrix(TensorRole role);  // false for the F32 vectors (norms, biases, rope_freqs)

// Every tensor of a model in execution order: token embedding; rope_freqs when the config has
// it; per layer attn_norm, wq, wk, wv, the q, k and v biases when it has them, wo, ffn_norm, w1,
// w2, w3; final norm; the classifier when it is separate. F32, without offsets: writers fill in
// their own types and places.
std::vector<TensorInfo> execution_order(const Config& config, bool shared_classifier);

// A tensor of the weights as a Matrix (a norm is one f32 row).
Matrix tensor_of(const Weights& weights, TensorRole role, int layer);
// Puts a tensor where the forward pass looks for it (a vector's m.cols values are F32 m.data).
// layer is ignored for tensors outside the layers.
void place_tensor(Weights& weights, TensorRole role, int layer, const Matrix& m);

}  // namespace shoehorn
