#include "shoehorn/sample/sampler.hpp"

namespace shoehorn {

int argmax(std::span<const float> values) { return choose::argmax(values, values.size()); }

Sampler::Sampler(int vocab_size, SamplerSettings settings)
    : settings_(settings), rng_(settings.seed), candidates_(static_cast<std::size_t>(vocab_size)) {}

int Sampler::sample(std::span<float> logits) {
  return choose::token(logits, logits.size(), settings_, rng_, candidates_);
}

}  // namespace shoehorn
