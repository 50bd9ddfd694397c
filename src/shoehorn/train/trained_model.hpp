// The weights a training run owns, as named float arrays, and the runnable Model they make.
//
// The trainer (LibTorch) keeps one array per unique weight; this side of it needs only the
// standard library: it names and shapes the arrays, and turns them into a shoehorn::Model that
// the engine runs and the llama2.c (later GGUF) writers write.
#pragma once

#include <string>
#include <vector>

#include "shoehorn/model/model.hpp"
#include "shoehorn/train/checkpoint.hpp"
#include "shoehorn/train/train_config.hpp"

namespace shoehorn {

// One trained tensor: GGUF's name for it, where it goes, and its shape (rows 1 for a vector).
// block is the weight block a layer tensor belongs to (see weight_blocks()), -1 outside layers.
struct WeightSpec {
  std::string name;
  TensorRole role = TensorRole::token_embedding;
  int block = -1;
  int rows = 1;
  int cols = 0;

  bool is_matrix() const { return rows > 1; }
  std::vector<std::int64_t> shape() const;
};

// Every trained tensor in a fixed order: the embedding, each block, the final norm, and the
// classifier when it is not the embedding.
std::vector<WeightSpec> weight_layout(const TrainConfig& config);

// The block that layer runs: layer / 2 when adjacent layers share weights.
int block_of_layer(const TrainConfig& config, int layer);

// The array of weights that spec names, checked to have its shape. Throws Error naming origin.
const NamedArray& find_weight(const WeightSpec& spec, const std::vector<NamedArray>& weights,
                              const std::string& origin);

// A Model holding copies of the arrays (layers that share a block point at the same copy).
// Checks that every array of weight_layout() is present with its shape. Throws Error naming
// `origin` and the array.
Model trained_model(const TrainConfig& config, const std::vector<NamedArray>& weights,
                    const std::string& origin);

// Why a llama2.c file cannot hold this model (it stores neither rope_theta nor norm_eps, and
// its readers assume 10000 and 1e-5), or "" when it can.
std::string llama2c_limitation(const TrainConfig& config);

}  // namespace shoehorn
