#include "shoehorn/model/random_model.hpp"

#include <algorithm>
#include <cmath>

#include "shoehorn/io/error.hpp"
#include "shoehorn/io/size.hpp"

namespace shoehorn {

const std::vector<NamedShape>& named_shapes() {
  // dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len, rope_theta, norm_eps
  static const std::vector<NamedShape> shapes = {
      // llama2.c's TinyStories models.
      {"stories260K", {64, 172, 5, 8, 4, 512, 512}, true},
      {"stories15M", {288, 768, 6, 6, 6, 32000, 256}, true},
      {"stories42M", {512, 1376, 8, 8, 8, 32000, 1024}, true},
      {"stories110M", {768, 2048, 12, 12, 12, 32000, 1024}, true},
      // HuggingFaceTB/SmolLM2-135M and -360M, TinyLlama/TinyLlama-1.1B-Chat-v1.0,
      // meta-llama/Llama-3.2-1B and Qwen/Qwen2.5-0.5B (their config.json; tie_word_embeddings
      // is the shared classifier).
      {"smollm2-135m", {576, 1536, 30, 9, 3, 49152, 8192, 100000.0f, 1e-5f}, true},
      {"smollm2-360m", {960, 2560, 32, 15, 5, 49152, 8192, 100000.0f, 1e-5f}, true},
      {"tinyllama-1.1b", {2048, 5632, 22, 32, 4, 32000, 2048, 10000.0f, 1e-5f}, false},
      {"llama3.2-1b",
       {2048, 8192, 16, 32, 8, 128256, 131072, 500000.0f, 1e-5f, Architecture::llama, false, true},
       true,
       Llama3RopeScaling{32.0f, 1.0f, 4.0f, 8192}},
      {"qwen2.5-0.5b",
       {896, 4864, 24, 14, 2, 151936, 32768, 1000000.0f, 1e-6f, Architecture::qwen2, true, false},
       true},
  };
  return shapes;
}

std::vector<float> llama3_rope_factors(const Llama3RopeScaling& s, float theta, int head_size) {
  const float pi = 3.14159265358979323846f;
  const float context = static_cast<float>(s.original_context);
  const float low_freq_wavelength = context / s.low_freq_factor;
  const float high_freq_wavelength = context / s.high_freq_factor;
  std::vector<float> factors;
  for (int i = 0; i < head_size; i += 2) {
    const float freq = 1.0f / std::pow(theta, static_cast<float>(i) / static_cast<float>(head_size));
    const float wavelength = 2.0f * pi / freq;
    if (wavelength < high_freq_wavelength) {
      factors.push_back(1.0f);
    } else if (wavelength > low_freq_wavelength) {
      factors.push_back(s.factor);
    } else {
      const float smooth = (context / wavelength - s.low_freq_factor) /
                           (s.high_freq_factor - s.low_freq_factor);
      factors.push_back(1.0f / ((1.0f - smooth) / s.factor + smooth));
    }
  }
  return factors;
}

std::vector<float> NamedShape::rope_factors(const Config& c) const {
  if (!c.rope_freqs) return {};
  return llama3_rope_factors(llama3_rope.value_or(Llama3RopeScaling{}), c.rope_theta,
                             c.head_size());
}

const NamedShape* find_shape(std::string_view name) {
  for (const NamedShape& s : named_shapes()) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

RandomWeights::RandomWeights(std::uint64_t seed, std::vector<float> rope_factors)
    : rng_(seed == 0 ? 1 : seed), rope_factors_(std::move(rope_factors)) {}

void RandomWeights::fill(const TensorInfo& t, std::span<float> values) {
  if (t.role == TensorRole::rope_freqs) {
    if (rope_factors_.size() != values.size()) {
      throw Error("rope_freqs.weight holds " + std::to_string(values.size()) +
                  " factors; the random model was given " + std::to_string(rope_factors_.size()));
    }
    std::copy(rope_factors_.begin(), rope_factors_.end(), values.begin());
    return;
  }
  if (t.role == TensorRole::q_bias || t.role == TensorRole::k_bias || t.role == TensorRole::v_bias) {
    for (float& v : values) v = rng_.next_f32() - 0.5f;
    return;
  }
  if (!is_matrix(t.role)) {
    for (float& v : values) v = 1.0f;
    return;
  }
  const float bound = 1.0f / std::sqrt(static_cast<float>(t.cols));
  for (float& v : values) v = (2.0f * rng_.next_f32() - 1.0f) * bound;
}

Model random_model(const Config& c, bool shared_classifier, std::uint64_t seed,
                   std::vector<float> rope_factors) {
  const std::vector<TensorInfo> tensors = execution_order(c, shared_classifier);
  ArenaPlan plan;
  for (const TensorInfo& t : tensors) plan.add<float>(to_size(t.count(), t.name));

  Model model;
  model.file.path = "(random)";
  model.file.format = "random weights";
  model.file.config = c;
  model.file.shared_classifier = shared_classifier;
  model.storage = Arena(plan.bytes());
  model.weights.layers.resize(static_cast<std::size_t>(c.n_layers));
  RandomWeights random(seed, std::move(rope_factors));
  for (const TensorInfo& t : tensors) {
    const std::span<float> values = model.storage.allocate<float>(to_size(t.count(), t.name));
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
