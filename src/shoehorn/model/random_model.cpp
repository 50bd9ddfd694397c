#include "shoehorn/model/random_model.hpp"

#include <cmath>

namespace shoehorn {

const std::vector<NamedShape>& named_shapes() {
  // dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len, rope_theta, norm_eps
  static const std::vector<NamedShape> shapes = {
      // llama2.c's TinyStories models.
      {"stories260K", {64, 172, 5, 8, 4, 512, 512}, true},
      {"stories15M", {288, 768, 6, 6, 6, 32000, 256}, true},
      {"stories42M", {512, 1376, 8, 8, 8, 32000, 1024}, true},
      {"stories110M", {768, 2048, 12, 12, 12, 32000, 1024}, true},
      // HuggingFaceTB/SmolLM2-135M and TinyLlama/TinyLlama-1.1B-Chat-v1.0 (their config.json).
      {"smollm2-135m", {576, 1536, 30, 9, 3, 49152, 8192, 100000.0f, 1e-5f}, true},
      {"tinyllama-1.1b", {2048, 5632, 22, 32, 4, 32000, 2048, 10000.0f, 1e-5f}, false},
  };
  return shapes;
}

const NamedShape* find_shape(std::string_view name) {
  for (const NamedShape& s : named_shapes()) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

RandomWeights::RandomWeights(std::uint64_t seed) : rng_(seed == 0 ? 1 : seed) {}

void RandomWeights::fill(const TensorInfo& t, std::span<float> values) {
  if (!is_matrix(t.role)) {
    for (float& v : values) v = 1.0f;
    return;
  }
  const float bound = 1.0f / std::sqrt(static_cast<float>(t.cols));
  for (float& v : values) v = (2.0f * rng_.next_f32() - 1.0f) * bound;
}

Model random_model(const Config& c, bool shared_classifier, std::uint64_t seed) {
  const std::vector<TensorInfo> tensors = execution_order(c, shared_classifier);
  ArenaPlan plan;
  for (const TensorInfo& t : tensors) plan.add<float>(t.count());

  Model model;
  model.file.path = "(random)";
  model.file.format = "random weights";
  model.file.config = c;
  model.file.shared_classifier = shared_classifier;
  model.storage = Arena(plan.bytes());
  model.weights.layers.resize(static_cast<std::size_t>(c.n_layers));
  RandomWeights random(seed);
  for (const TensorInfo& t : tensors) {
    const std::span<float> values = model.storage.allocate<float>(t.count());
    random.fill(t, values);
    Matrix m;
    m.rows = t.rows;
    m.cols = t.cols;
    m.data = values.data();
    place_tensor(model.weights, t.role, t.layer, m);
  }
  if (shared_classifier) model.weights.classifier = model.weights.token_embedding;
  return model;
}

}  // namespace shoehorn
