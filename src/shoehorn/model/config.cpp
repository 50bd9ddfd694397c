#include "shoehorn/model/config.hpp"

#include <cmath>

namespace shoehorn {

namespace {

std::optional<ConfigProblem> check_range(const char* field, int value, int max) {
  if (value <= 0 || value > max) {
    return ConfigProblem{field, "value " + std::to_string(value) + " is outside 1.." +
                                    std::to_string(max)};
  }
  return std::nullopt;
}

}  // namespace

const char* to_string(Architecture arch) {
  return arch == Architecture::qwen2 ? "qwen2" : "llama";
}

std::optional<ConfigProblem> check_config(const Config& c) {
  if (auto p = check_range("dim", c.dim, kMaxDim)) return p;
  if (auto p = check_range("hidden_dim", c.hidden_dim, kMaxHiddenDim)) return p;
  if (auto p = check_range("n_layers", c.n_layers, kMaxLayers)) return p;
  if (auto p = check_range("n_heads", c.n_heads, kMaxHeads)) return p;
  if (auto p = check_range("n_kv_heads", c.n_kv_heads, kMaxHeads)) return p;
  if (auto p = check_range("vocab_size", c.vocab_size, kMaxVocab)) return p;
  if (auto p = check_range("seq_len", c.seq_len, kMaxSeqLen)) return p;
  if (c.dim % c.n_heads != 0) {
    return ConfigProblem{"n_heads", "n_heads " + std::to_string(c.n_heads) +
                                        " does not divide dim " + std::to_string(c.dim)};
  }
  if (c.n_heads % c.n_kv_heads != 0) {
    return ConfigProblem{"n_kv_heads", "n_kv_heads " + std::to_string(c.n_kv_heads) +
                                           " does not divide n_heads " +
                                           std::to_string(c.n_heads)};
  }
  if (c.head_size() % 2 != 0) {
    return ConfigProblem{"n_heads", "head size " + std::to_string(c.head_size()) +
                                        " is odd; RoPE rotates pairs"};
  }
  if (!std::isfinite(c.rope_theta) || c.rope_theta <= 0.0f) {
    return ConfigProblem{"rope_theta", "must be a positive finite number"};
  }
  if (!std::isfinite(c.norm_eps) || c.norm_eps <= 0.0f) {
    return ConfigProblem{"norm_eps", "must be a positive finite number"};
  }
  return std::nullopt;
}

std::string describe(const Config& c) {
  return "dim=" + std::to_string(c.dim) + " hidden_dim=" + std::to_string(c.hidden_dim) +
         " n_layers=" + std::to_string(c.n_layers) + " n_heads=" + std::to_string(c.n_heads) +
         " n_kv_heads=" + std::to_string(c.n_kv_heads) +
         " vocab_size=" + std::to_string(c.vocab_size) + " seq_len=" + std::to_string(c.seq_len);
}

std::string describe_architecture(const Config& c) {
  std::string out = to_string(c.arch);
  if (c.qkv_bias) out += " with q, k, v biases";
  if (c.rope_freqs) out += c.qkv_bias ? " and rope_freqs" : " with rope_freqs";
  return out;
}

}  // namespace shoehorn
