// Random-weight models of public shapes: for benchmarks, memory tests and format round trips,
// where the shape matters and the weights do not.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "shoehorn/model/model.hpp"
#include "shoehorn/sample/rng.hpp"

namespace shoehorn {

// Llama 3's RoPE scaling as a config.json gives it (rope_scaling with rope_type "llama3").
struct Llama3RopeScaling {
  float factor = 8.0f;
  float low_freq_factor = 1.0f;
  float high_freq_factor = 4.0f;
  int original_context = 8192;  // original_max_position_embeddings
};

// The rope_freqs.weight llama.cpp's converter computes from it, in float as it does: for each
// pair's frequency theta^(-2k/head_size), 1 where its wavelength is below
// original_context / high_freq_factor, `factor` where it is above original_context /
// low_freq_factor, and between them 1 / ((1 - smooth) / factor + smooth) with smooth =
// (original_context / wavelength - low_freq_factor) / (high_freq_factor - low_freq_factor).
std::vector<float> llama3_rope_factors(const Llama3RopeScaling& scaling, float theta,
                                       int head_size);

struct NamedShape {
  std::string_view name;
  Config config;
  bool shared_classifier;
  std::optional<Llama3RopeScaling> llama3_rope = std::nullopt;  // when config.rope_freqs

  // rope_freqs.weight of this shape's scaling for a config (its own, or one with fields
  // overridden): none unless config.rope_freqs.
  std::vector<float> rope_factors(const Config& config) const;
};

// llama2.c's TinyStories shapes (stories260K ... stories110M), SmolLM2-135M and -360M,
// TinyLlama-1.1B, Llama-3.2-1B (rope_freqs), Qwen2.5-0.5B (qwen2).
const std::vector<NamedShape>& named_shapes();
const NamedShape* find_shape(std::string_view name);  // nullptr when unknown

// The values of a random model, tensor by tensor, for tensors taken in execution_order():
// every matrix uniform in +-1/sqrt(cols) (activations keep their scale through the layers),
// biases uniform in +-1/2, norms 1, rope_freqs the given factors, from llama2.c's xorshift64*:
// the same model on every host, whether it is built in memory or streamed to a file one tensor
// at a time.
class RandomWeights {
 public:
  explicit RandomWeights(std::uint64_t seed, std::vector<float> rope_factors = {});
  void fill(const TensorInfo& tensor, std::span<float> values);

 private:
  Xorshift64Star rng_;
  std::vector<float> rope_factors_;
};

Model random_model(const Config& config, bool shared_classifier, std::uint64_t seed,
                   std::vector<float> rope_factors = {});

}  // namespace shoehorn
