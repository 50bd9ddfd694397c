// Random-weight models of public shapes: for benchmarks, memory tests and format round trips,
// where the shape matters and the weights do not.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "shoehorn/model/model.hpp"

namespace shoehorn {

struct NamedShape {
  std::string_view name;
  Config config;
};

// llama2.c's TinyStories shapes: stories15M, stories42M, stories110M (and stories260K).
const std::vector<NamedShape>& named_shapes();
std::optional<Config> find_shape(std::string_view name);

// Every matrix uniform in +-1/sqrt(cols) (activations keep their scale through the layers),
// norms 1, from llama2.c's xorshift64* seeded with seed: the same model on every host.
Model random_model(const Config& config, bool shared_classifier, std::uint64_t seed);

}  // namespace shoehorn
