// The Llama model in LibTorch, for training. Internal to the trainer: only train/*.cpp include
// this header (it pulls in ATen); everything else uses trainer.hpp.
//
// The forward pass mirrors model/transformer.cpp operation for operation, so that an exported
// model runs in the engine with the same logits: RMSNorm with eps inside the square root then
// a weight multiply; RoPE on adjacent pairs (2i, 2i+1) with frequency theta^(-2i/head_size);
// grouped-query attention where query head h reads kv head h / (n_heads / n_kv_heads); causal
// softmax of q.k / sqrt(head_size); SwiGLU w2(silu(w1 x) * w3 x); the classifier.
#pragma once

#include <ATen/ATen.h>

#include <array>
#include <vector>

#include "shoehorn/train/trained_model.hpp"

namespace shoehorn {

class TorchLlama {
 public:
  // Weights drawn from ATen's default generator (seed it first): matrices N(0, 0.02), the two
  // projections that write into the residual stream (wo, w2) N(0, 0.02 / sqrt(2 n_layers)),
  // norms 1. Every weight requires grad.
  explicit TorchLlama(const TrainConfig& config);

  enum class Mode : std::uint8_t { evaluate, train };

  // tokens: [batch, T] int64, T <= seq_len. Returns logits [batch, T, vocab_size]. In train
  // mode the config's dropout zeroes parts of the embedding and of each write into the residual
  // stream (drawn from ATen's default generator); evaluation is the engine's forward pass.
  at::Tensor forward(const at::Tensor& tokens, Mode mode = Mode::evaluate) const;

  const TrainConfig& config() const { return config_; }
  const std::vector<WeightSpec>& specs() const { return specs_; }
  // One tensor per spec, in weight_layout() order.
  const std::vector<at::Tensor>& weights() const { return weights_; }

  std::vector<NamedArray> arrays() const;
  // Copies the arrays into the weights in place (shapes checked). Throws Error naming origin.
  void load(const std::vector<NamedArray>& arrays, const std::string& origin);

 private:
  // Tensors by TensorRole: one set per weight block, one for the tensors outside the layers.
  using ByRole = std::array<at::Tensor, static_cast<std::size_t>(TensorRole::classifier) + 1>;

  at::Tensor attention(const ByRole& block, const at::Tensor& x, const at::Tensor& cos,
                       const at::Tensor& sin, const at::Tensor& mask) const;

  TrainConfig config_;
  std::vector<WeightSpec> specs_;
  std::vector<at::Tensor> weights_;
  std::vector<ByRole> blocks_;  // handles onto weights_
  ByRole outer_;
};

NamedArray to_array(const std::string& name, const at::Tensor& tensor);
// A float tensor holding a copy of the array's values.
at::Tensor to_tensor(const NamedArray& array);

}  // namespace shoehorn
