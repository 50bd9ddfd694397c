#include "shoehorn/model/random_model.hpp"

#include <cmath>

#include "shoehorn/sample/rng.hpp"

namespace shoehorn {

const std::vector<NamedShape>& named_shapes() {
  // dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len
  static const std::vector<NamedShape> shapes = {
      {"stories260K", {64, 172, 5, 8, 4, 512, 512}},
      {"stories15M", {288, 768, 6, 6, 6, 32000, 256}},
      {"stories42M", {512, 1376, 8, 8, 8, 32000, 1024}},
      {"stories110M", {768, 2048, 12, 12, 12, 32000, 1024}},
  };
  return shapes;
}

std::optional<Config> find_shape(std::string_view name) {
  for (const NamedShape& s : named_shapes()) {
    if (s.name == name) return s.config;
  }
  return std::nullopt;
}

namespace {

struct Filler {
  Arena& arena;
  Xorshift64Star rng;

  Matrix matrix(int rows, int cols) {
    const std::span<float> values =
        arena.allocate<float>(static_cast<std::size_t>(rows) * static_cast<std::size_t>(cols));
    const float bound = 1.0f / std::sqrt(static_cast<float>(cols));
    for (float& v : values) v = (2.0f * rng.next_f32() - 1.0f) * bound;
    Matrix m;
    m.rows = rows;
    m.cols = cols;
    m.f32 = values.data();
    return m;
  }

  std::span<const float> ones(int n) {
    const std::span<float> values = arena.allocate<float>(static_cast<std::size_t>(n));
    for (float& v : values) v = 1.0f;
    return values;
  }
};

ArenaPlan plan_for(const Config& c, bool shared) {
  ArenaPlan plan;
  auto mat = [&](int rows, int cols) {
    plan.add<float>(static_cast<std::size_t>(rows) * static_cast<std::size_t>(cols));
  };
  mat(c.vocab_size, c.dim);
  for (int l = 0; l < c.n_layers; ++l) {
    plan.add<float>(static_cast<std::size_t>(c.dim));
    mat(c.dim, c.dim);
    mat(c.kv_dim(), c.dim);
    mat(c.kv_dim(), c.dim);
    mat(c.dim, c.dim);
    plan.add<float>(static_cast<std::size_t>(c.dim));
    mat(c.hidden_dim, c.dim);
    mat(c.dim, c.hidden_dim);
    mat(c.hidden_dim, c.dim);
  }
  plan.add<float>(static_cast<std::size_t>(c.dim));
  if (!shared) mat(c.vocab_size, c.dim);
  return plan;
}

}  // namespace

Model random_model(const Config& c, bool shared_classifier, std::uint64_t seed) {
  Model model;
  model.file.path = "(random)";
  model.file.format = "random weights";
  model.file.config = c;
  model.file.shared_classifier = shared_classifier;
  model.storage = Arena(plan_for(c, shared_classifier).bytes());

  Filler fill{model.storage, Xorshift64Star(seed == 0 ? 1 : seed)};
  Weights& w = model.weights;
  w.token_embedding = fill.matrix(c.vocab_size, c.dim);
  w.layers.resize(static_cast<std::size_t>(c.n_layers));
  for (LayerWeights& layer : w.layers) {
    layer.attn_norm = fill.ones(c.dim);
    layer.wq = fill.matrix(c.dim, c.dim);
    layer.wk = fill.matrix(c.kv_dim(), c.dim);
    layer.wv = fill.matrix(c.kv_dim(), c.dim);
    layer.wo = fill.matrix(c.dim, c.dim);
    layer.ffn_norm = fill.ones(c.dim);
    layer.w1 = fill.matrix(c.hidden_dim, c.dim);
    layer.w2 = fill.matrix(c.dim, c.hidden_dim);
    layer.w3 = fill.matrix(c.hidden_dim, c.dim);
  }
  w.final_norm = fill.ones(c.dim);
  w.classifier = shared_classifier ? w.token_embedding : fill.matrix(c.vocab_size, c.dim);
  return model;
}

}  // namespace shoehorn
