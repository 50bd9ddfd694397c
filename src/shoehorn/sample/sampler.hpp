// Token selection with llama2.c's semantics (sample/choose.hpp), over a candidate buffer sized
// once so that sampling allocates nothing.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "shoehorn/sample/choose.hpp"
#include "shoehorn/sample/rng.hpp"

namespace shoehorn {

class Sampler {
 public:
  Sampler(int vocab_size, SamplerSettings settings);

  // Picks the next token. Modifies logits in place (scaling, softmax), as llama2.c does.
  // Allocates nothing.
  int sample(std::span<float> logits);

  const SamplerSettings& settings() const { return settings_; }

 private:
  SamplerSettings settings_;
  Xorshift64Star rng_;
  std::vector<ProbIndex> candidates_;  // sized once: vocab_size
};

int argmax(std::span<const float> values);

}  // namespace shoehorn
