#include "shoehorn/train/trained_model.hpp"

#include <algorithm>

#include "shoehorn/io/error.hpp"

namespace shoehorn {

std::vector<std::int64_t> WeightSpec::shape() const {
  if (is_matrix()) return {rows, cols};
  return {cols};
}

std::vector<WeightSpec> weight_layout(const TrainConfig& config) {
  const Config& c = config.model;
  const int dim = c.dim, kv_dim = c.kv_dim(), hidden = c.hidden_dim;
  std::vector<WeightSpec> specs;
  auto add = [&](TensorRole role, int block, int rows, int cols) {
    specs.push_back({tensor_name(role, block), role, block, rows, cols});
  };
  add(TensorRole::token_embedding, -1, c.vocab_size, dim);
  for (int b = 0; b < weight_blocks(config); ++b) {
    add(TensorRole::attn_norm, b, 1, dim);
    add(TensorRole::wq, b, dim, dim);
    add(TensorRole::wk, b, kv_dim, dim);
    add(TensorRole::wv, b, kv_dim, dim);
    add(TensorRole::wo, b, dim, dim);
    add(TensorRole::ffn_norm, b, 1, dim);
    add(TensorRole::w1, b, hidden, dim);
    add(TensorRole::w2, b, dim, hidden);
    add(TensorRole::w3, b, hidden, dim);
  }
  add(TensorRole::final_norm, -1, 1, dim);
  if (!config.shared_classifier) add(TensorRole::classifier, -1, c.vocab_size, dim);
  return specs;
}

int block_of_layer(const TrainConfig& config, int layer) {
  return config.share_adjacent_layers ? layer / 2 : layer;
}

const NamedArray& find_weight(const WeightSpec& spec, const std::vector<NamedArray>& weights,
                              const std::string& origin) {
  const auto found = std::find_if(weights.begin(), weights.end(),
                                  [&](const NamedArray& a) { return a.name == spec.name; });
  if (found == weights.end()) fail(origin, "no weight '" + spec.name + "'");
  if (found->shape != spec.shape()) {
    std::string shape;
    for (const std::int64_t d : found->shape) shape += (shape.empty() ? "" : "x") + std::to_string(d);
    fail(origin, "weight '" + spec.name + "' has shape " + shape + ", the config needs " +
                     std::to_string(spec.rows) + "x" + std::to_string(spec.cols));
  }
  return *found;
}

Model trained_model(const TrainConfig& config, const std::vector<NamedArray>& weights,
                    const std::string& origin) {
  const std::vector<WeightSpec> specs = weight_layout(config);
  ArenaPlan plan;
  for (const WeightSpec& s : specs) {
    plan.add<float>(static_cast<std::size_t>(s.rows) * static_cast<std::size_t>(s.cols));
  }
  Model model;
  model.file.path = origin;
  model.file.format = "shoehorn train";
  model.file.config = config.model;
  model.file.shared_classifier = config.shared_classifier;
  model.storage = Arena(plan.bytes());
  const int n_layers = config.model.n_layers;
  model.weights.layers.resize(static_cast<std::size_t>(n_layers));
  for (const WeightSpec& s : specs) {
    const NamedArray& array = find_weight(s, weights, origin);
    const std::span<float> values = model.storage.allocate<float>(array.values.size());
    std::copy(array.values.begin(), array.values.end(), values.begin());
    Matrix m;
    m.rows = s.rows;
    m.cols = s.cols;
    m.data = values.data();
    if (s.block < 0) {
      place_tensor(model.weights, s.role, -1, m);
      continue;
    }
    for (int layer = 0; layer < n_layers; ++layer) {
      if (block_of_layer(config, layer) == s.block) place_tensor(model.weights, s.role, layer, m);
    }
  }
  if (config.shared_classifier) model.weights.classifier = model.weights.token_embedding;
  return model;
}

std::string llama2c_limitation(const TrainConfig& config) {
  const Config defaults;
  if (config.model.rope_theta != defaults.rope_theta) {
    return "llama2.c files cannot store rope_theta " + setting(config.settings_text, "rope_theta") +
           " (readers assume 10000)";
  }
  if (config.model.norm_eps != defaults.norm_eps) {
    return "llama2.c files cannot store norm_eps " + setting(config.settings_text, "norm_eps") +
           " (readers assume 1e-05)";
  }
  return {};
}

}  // namespace shoehorn
