#include "shoehorn/train/torch_llama.hpp"

#include <cmath>

#include "shoehorn/io/error.hpp"
#include "shoehorn/train/trainer.hpp"

namespace shoehorn {

namespace {

constexpr double kInitStd = 0.02;

at::Tensor rmsnorm(const at::Tensor& x, const at::Tensor& weight, float eps) {
  return weight * (x * at::rsqrt(x.pow(2).mean(-1, true) + eps));
}

// cos and sin of every position's angles, [1, T, 1, head_size / 2], computed in float exactly
// as the engine computes them.
std::pair<at::Tensor, at::Tensor> rope_tables(const Config& c, std::int64_t positions) {
  const int half = c.head_size() / 2;
  std::vector<float> cos(static_cast<std::size_t>(positions * half));
  std::vector<float> sin(cos.size());
  for (int k = 0; k < half; ++k) {
    const float freq = 1.0f / std::pow(c.rope_theta, static_cast<float>(2 * k) /
                                                         static_cast<float>(c.head_size()));
    for (std::int64_t pos = 0; pos < positions; ++pos) {
      const float angle = static_cast<float>(pos) * freq;
      cos[static_cast<std::size_t>(pos * half + k)] = std::cos(angle);
      sin[static_cast<std::size_t>(pos * half + k)] = std::sin(angle);
    }
  }
  auto tensor = [&](std::vector<float>& values) {
    return at::from_blob(values.data(), {1, positions, 1, half}, at::kFloat).clone();
  };
  return {tensor(cos), tensor(sin)};
}

// Rotates each adjacent pair (2i, 2i+1) of every head of x [B, T, heads, head_size].
at::Tensor rope(const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin) {
  const at::Tensor pairs = x.unflatten(-1, {x.size(-1) / 2, 2});
  const at::Tensor x0 = pairs.select(-1, 0), x1 = pairs.select(-1, 1);
  return at::stack({x0 * cos - x1 * sin, x0 * sin + x1 * cos}, -1).flatten(-2);
}

template <std::size_t N>
const at::Tensor& get(const std::array<at::Tensor, N>& tensors, TensorRole role) {
  return tensors[static_cast<std::size_t>(role)];
}

}  // namespace

TorchLlama::TorchLlama(const TrainConfig& config)
    : config_(config), specs_(weight_layout(config)) {
  at::NoGradGuard no_grad;
  const double residual_std = kInitStd / std::sqrt(2.0 * config.model.n_layers);
  for (const WeightSpec& s : specs_) {
    at::Tensor w;
    if (!s.is_matrix()) {
      w = at::ones({s.cols}, at::kFloat);
    } else {
      const bool residual = s.role == TensorRole::wo || s.role == TensorRole::w2;
      w = at::empty({s.rows, s.cols}, at::kFloat).normal_(0.0, residual ? residual_std : kInitStd);
    }
    weights_.push_back(w.requires_grad_(true));
  }
  blocks_.resize(static_cast<std::size_t>(weight_blocks(config)));
  for (std::size_t i = 0; i < specs_.size(); ++i) {
    const WeightSpec& s = specs_[i];
    ByRole& set = s.block >= 0 ? blocks_[static_cast<std::size_t>(s.block)] : outer_;
    set[static_cast<std::size_t>(s.role)] = weights_[i];
  }
  if (config.shared_classifier) {
    outer_[static_cast<std::size_t>(TensorRole::classifier)] =
        outer_[static_cast<std::size_t>(TensorRole::token_embedding)];
  }
}

at::Tensor TorchLlama::attention(const ByRole& b, const at::Tensor& x, const at::Tensor& cos,
                                 const at::Tensor& sin, const at::Tensor& mask) const {
  const Config& c = config_.model;
  const std::int64_t batch = x.size(0), T = x.size(1), hs = c.head_size();
  at::Tensor q = rope(at::linear(x, get(b, TensorRole::wq)).view({batch, T, c.n_heads, hs}), cos, sin);
  at::Tensor k = rope(at::linear(x, get(b, TensorRole::wk)).view({batch, T, c.n_kv_heads, hs}), cos, sin);
  at::Tensor v = at::linear(x, get(b, TensorRole::wv)).view({batch, T, c.n_kv_heads, hs});
  if (c.kv_mul() > 1) {
    k = k.repeat_interleave(c.kv_mul(), 2);
    v = v.repeat_interleave(c.kv_mul(), 2);
  }
  q = q.transpose(1, 2);  // [B, heads, T, hs]
  k = k.transpose(1, 2);
  v = v.transpose(1, 2);
  const at::Tensor scores =
      (at::matmul(q, k.transpose(-2, -1)) / std::sqrt(static_cast<float>(hs))).masked_fill(mask, -INFINITY);
  const at::Tensor out = at::matmul(at::softmax(scores, -1), v);
  return at::linear(out.transpose(1, 2).reshape({batch, T, c.dim}), get(b, TensorRole::wo));
}

at::Tensor TorchLlama::forward(const at::Tensor& tokens, Mode mode) const {
  const Config& c = config_.model;
  const std::int64_t T = tokens.size(1);
  const auto [cos, sin] = rope_tables(c, T);
  const at::Tensor mask = at::ones({T, T}, at::kBool).triu(1);
  const bool dropping = mode == Mode::train && config_.dropout > 0;
  auto drop = [&](const at::Tensor& t) { return dropping ? at::dropout(t, config_.dropout, true) : t; };
  at::Tensor x = drop(at::embedding(get(outer_, TensorRole::token_embedding), tokens));
  for (int layer = 0; layer < c.n_layers; ++layer) {
    const ByRole& b = blocks_[static_cast<std::size_t>(block_of_layer(config_, layer))];
    x = x + drop(attention(b, rmsnorm(x, get(b, TensorRole::attn_norm), c.norm_eps), cos, sin, mask));
    const at::Tensor h = rmsnorm(x, get(b, TensorRole::ffn_norm), c.norm_eps);
    const at::Tensor gate = at::silu(at::linear(h, get(b, TensorRole::w1)));
    x = x + drop(at::linear(gate * at::linear(h, get(b, TensorRole::w3)), get(b, TensorRole::w2)));
  }
  const at::Tensor out = rmsnorm(x, get(outer_, TensorRole::final_norm), c.norm_eps);
  return at::linear(out, get(outer_, TensorRole::classifier));
}

std::vector<NamedArray> TorchLlama::arrays() const {
  std::vector<NamedArray> out;
  for (std::size_t i = 0; i < specs_.size(); ++i) out.push_back(to_array(specs_[i].name, weights_[i]));
  return out;
}

void TorchLlama::load(const std::vector<NamedArray>& arrays, const std::string& origin) {
  at::NoGradGuard no_grad;
  for (std::size_t i = 0; i < specs_.size(); ++i) {
    weights_[i].copy_(to_tensor(find_weight(specs_[i], arrays, origin)));
  }
}

NamedArray to_array(const std::string& name, const at::Tensor& tensor) {
  const at::Tensor t = tensor.detach().to(at::kFloat).contiguous();
  NamedArray a{name, t.sizes().vec(), std::vector<float>(static_cast<std::size_t>(t.numel()))};
  std::copy_n(t.data_ptr<float>(), a.values.size(), a.values.begin());
  return a;
}

at::Tensor to_tensor(const NamedArray& array) {
  // from_blob only reads here: clone() copies before anything could write.
  return at::from_blob(const_cast<float*>(array.values.data()), array.shape, at::kFloat).clone();
}

std::vector<NamedArray> initial_weights(const TrainConfig& config, std::uint64_t seed) {
  at::manual_seed(seed);
  return TorchLlama(config).arrays();
}

std::vector<float> torch_logits(const TrainConfig& config, const std::vector<NamedArray>& weights,
                                const std::vector<int>& tokens) {
  TorchLlama model(config);
  model.load(weights, "torch_logits");
  at::NoGradGuard no_grad;
  std::vector<std::int64_t> ids(tokens.begin(), tokens.end());
  const at::Tensor input =
      at::from_blob(ids.data(), {1, static_cast<std::int64_t>(ids.size())}, at::kLong).clone();
  return to_array("logits", model.forward(input)).values;
}

}  // namespace shoehorn
