// The shape of a Llama-style model, whatever file it came from.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace shoehorn {

// The GGUF architectures shoehorn runs: llama (llama2.c's model, Llama 2/3, SmolLM2, TinyLlama)
// and qwen2 (Qwen2/2.5: biases on q, k and v, the NEOX rotation).
enum class Architecture : std::uint8_t { llama, qwen2 };
const char* to_string(Architecture arch);  // "llama", "qwen2": GGUF's general.architecture

// Which elements of a head RoPE rotates together: adjacent pairs (2i, 2i + 1), as llama2.c and
// llama.cpp's llama do (its converter permutes wq and wk for that), or GPT-NeoX's halves
// (i, i + head_size / 2), as llama.cpp's qwen2 does (its weights are as Hugging Face has them).
enum class RopeStyle : std::uint8_t { adjacent, neox };

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
  Architecture arch = Architecture::llama;
  bool qkv_bias = false;    // blk.N.attn_{q,k,v}.bias added to the projections (qwen2 always)
  bool rope_freqs = false;  // rope_freqs.weight: a divisor of each pair's frequency (Llama 3)

  RopeStyle rope_style() const {
    return arch == Architecture::qwen2 ? RopeStyle::neox : RopeStyle::adjacent;
  }
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
// "llama", "qwen2 with q, k, v biases", "llama with rope_freqs": what a model is beyond llama2.c's.
std::string describe_architecture(const Config& config);

}  // namespace shoehorn
