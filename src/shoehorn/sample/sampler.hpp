// Token selection with llama2.c's semantics: greedy at temperature 0, otherwise softmax of
// logits / temperature, then plain multinomial (top-p outside (0, 1)) or nucleus sampling.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "shoehorn/sample/rng.hpp"

namespace shoehorn {

struct SamplerSettings {
  float temperature = 1.0f;
  float topp = 0.9f;
  std::uint64_t seed = 0;
};

class Sampler {
 public:
  Sampler(int vocab_size, SamplerSettings settings);

  // Picks the next token. Modifies logits in place (scaling, softmax), as llama2.c does.
  // Allocates nothing.
  int sample(std::span<float> logits);

  const SamplerSettings& settings() const { return settings_; }

 private:
  struct ProbIndex {
    float prob;
    int index;
  };
  int sample_topp(std::span<const float> probabilities, float coin);

  SamplerSettings settings_;
  Xorshift64Star rng_;
  std::vector<ProbIndex> candidates_;  // sized once: vocab_size
};

int argmax(std::span<const float> values);

}  // namespace shoehorn
