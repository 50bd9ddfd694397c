// The shape of a Llama-style model, whatever file it came from.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace shoehorn {

struct Config {
  int dim = 0;         // residual stream width
  int hidden_dim = 0;  // SwiGLU inner width
  int n_layers = 0;
  int n_heads = 0;
  int n_kv_heads = 0;  // < n_heads: grouped-query attention
  int vocab_size = 0;
  int seq_len = 0;     // longest context the model was trained for
  float rope_theta = 10000.0f;
  float norm_eps = 1e-5f;

  int head_size() const { return dim / n_heads; }
  int kv_dim() const { return dim / n_heads * n_kv_heads; }
  int kv_mul() const { return n_heads / n_kv_heads; }
};

// Hard limits that keep every size computation far from integer overflow. They are generous:
// Llama 3 70B is dim 8192, hidden 28672, 80 layers, vocab 128256.
inline constexpr int kMaxDim = 1 << 16;
inline constexpr int kMaxHiddenDim = 1 << 18;
inline constexpr int kMaxLayers = 1 << 10;
inline constexpr int kMaxHeads = 1 << 10;
inline constexpr int kMaxVocab = 1 << 22;
inline constexpr int kMaxSeqLen = 1 << 22;

// What is wrong with a config, naming the field, or nothing when it can run.
struct ConfigProblem {
  std::string field;
  std::string what;
};
std::optional<ConfigProblem> check_config(const Config& config);

std::string describe(const Config& config);

}  // namespace shoehorn
