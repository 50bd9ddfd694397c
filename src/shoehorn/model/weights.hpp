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
#include "shoehorn/quant/blocks.hpp"

namespace shoehorn {

enum class WeightType : std::uint8_t {
  f32,       // plain floats
  q8_group,  // llama2.c version 2: int8 values, then one float scale per group
  f16,       // IEEE half floats (GGUF F16)
  q8_0,      // ggml Q8_0 blocks
  q4_0,      // ggml Q4_0 blocks
  q8_0x8,    // Q8_0 rows interleaved by eight for the SIMD kernels (in memory only)
  q4_0x8,    // Q4_0 rows the same way
};

const char* to_string(WeightType type);

// Bytes that `count` values of `type` take in a file (count must be a multiple of the group or
// block).
std::uint64_t stored_bytes(WeightType type, std::uint64_t count, int group_size);

// The GGUF block format of a weight type (q8_group has none: llama2.c's own format).
std::optional<QuantType> quant_type(WeightType type);
WeightType weight_type(QuantType type);

// y = W x with W stored row-major, rows x cols.
struct Matrix {
  WeightType type = WeightType::f32;
  int rows = 0;
  int cols = 0;
  int group_size = 0;                // q8_group only
  const float* f32 = nullptr;        // rows * cols (f32)
  const std::int8_t* q = nullptr;    // rows * cols (q8_group)
  const float* scales = nullptr;     // rows * cols / group_size (q8_group)
  const std::uint16_t* f16 = nullptr;   // rows * cols (f16)
  const BlockQ8_0* q8_0 = nullptr;      // rows * cols / 32 (q8_0)
  const BlockQ4_0* q4_0 = nullptr;      // rows * cols / 32 (q4_0)
  const BlockQ8_0x8* q8_0x8 = nullptr;  // rows / 8 groups * cols / 32 (q8_0x8)
  const BlockQ4_0x8* q4_0x8 = nullptr;  // rows / 8 groups * cols / 32 (q4_0x8)
};

// False for a matrix whose rows are not in memory (they stream).
inline bool has_data(const Matrix& m) {
  return m.f32 != nullptr || m.q != nullptr || m.f16 != nullptr || m.q8_0 != nullptr ||
         m.q4_0 != nullptr || m.q8_0x8 != nullptr || m.q4_0x8 != nullptr;
}

struct LayerWeights {
  std::span<const float> attn_norm;
  Matrix wq, wk, wv, wo;
  std::span<const float> ffn_norm;
  Matrix w1, w2, w3;  // gate, down, up
};

struct Weights {
  Matrix token_embedding;  // vocab_size x dim
  std::vector<LayerWeights> layers;
  std::span<const float> final_norm;
  Matrix classifier;  // vocab_size x dim; the embedding itself when shared
};

// Where each tensor sits in a file. Names follow GGUF's llama convention (token_embd.weight,
// blk.N.attn_q.weight, ...) whatever the file format, so tools speak one language.
enum class TensorRole : std::uint8_t {
  token_embedding, attn_norm, wq, wk, wv, wo, ffn_norm, w1, w2, w3, final_norm, classifier
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

// rows x cols of a role's tensor in a model of this config (rows 1 for the norms).
struct TensorShape {
  int rows;
  int cols;
};
TensorShape tensor_shape(const Config& config, TensorRole role);
bool is_matrix(TensorRole role);

// Every tensor of a model in execution order: token embedding; per layer attn_norm, wq, wk,
// wv, wo, ffn_norm, w1, w2, w3; final norm; the classifier when it is separate. F32, without
// offsets: writers fill in their own types and places.
std::vector<TensorInfo> execution_order(const Config& config, bool shared_classifier);

// A tensor of the weights as a Matrix (a norm is one f32 row).
Matrix tensor_of(const Weights& weights, TensorRole role, int layer);
// Puts a tensor where the forward pass looks for it (a norm's values are m.f32, m.cols long).
// layer is ignored for tensors outside the layers.
void place_tensor(Weights& weights, TensorRole role, int layer, const Matrix& m);

}  // namespace shoehorn
