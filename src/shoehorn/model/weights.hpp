// Weights as the forward pass sees them: host-order typed arrays, one Matrix per projection.
//
// Nothing here knows about files. Loaders (format/) decode file bytes into these arrays; the
// tensor table (TensorInfo) is how a file describes where each one lives.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "shoehorn/memory/arena.hpp"
#include "shoehorn/model/config.hpp"

namespace shoehorn {

enum class WeightType : std::uint8_t {
  f32,       // plain floats
  q8_group,  // llama2.c version 2: int8 values, then one float scale per group
};

const char* to_string(WeightType type);

// Bytes that `count` values of `type` take in a file (count must be a multiple of the group).
std::uint64_t stored_bytes(WeightType type, std::uint64_t count, int group_size);

// y = W x with W stored row-major, rows x cols.
struct Matrix {
  WeightType type = WeightType::f32;
  int rows = 0;
  int cols = 0;
  int group_size = 0;                // q8_group only
  const float* f32 = nullptr;        // rows * cols (f32)
  const std::int8_t* q = nullptr;    // rows * cols (q8_group)
  const float* scales = nullptr;     // rows * cols / group_size (q8_group)
};

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

// Puts a tensor where the forward pass looks for it (a norm's values are m.f32, m.cols long).
// layer is ignored for tensors outside the layers.
void place_tensor(Weights& weights, TensorRole role, int layer, const Matrix& m);

}  // namespace shoehorn
