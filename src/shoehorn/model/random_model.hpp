// Random-weight models of public shapes: for benchmarks, memory tests and format round trips,
// where the shape matters and the weights do not.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "shoehorn/model/model.hpp"
#include "shoehorn/sample/rng.hpp"

namespace shoehorn {

struct NamedShape {
  std::string_view name;
  Config config;
  bool shared_classifier;
};

// llama2.c's TinyStories shapes (stories260K ... stories110M), SmolLM2-135M, TinyLlama-1.1B.
const std::vector<NamedShape>& named_shapes();
const NamedShape* find_shape(std::string_view name);  // nullptr when unknown

// The values of a random model, tensor by tensor, for tensors taken in execution_order():
// every matrix uniform in +-1/sqrt(cols) (activations keep their scale through the layers),
// norms 1, from llama2.c's xorshift64*: the same model on every host, whether it is built in
// memory or streamed to a file one tensor at a time.
class RandomWeights {
 public:
  explicit RandomWeights(std::uint64_t seed);
  void fill(const TensorInfo& tensor, std::span<float> values);

 private:
  Xorshift64Star rng_;
};

Model random_model(const Config& config, bool shared_classifier, std::uint64_t seed);

}  // namespace shoehorn
