// `shoehorn train`: a Llama-style model trained on LibTorch's CPU kernels (the shoehorn_train
// target, built only where LibTorch is found). This header names no LibTorch type.
//
// A run writes into its output directory:
//   train.tokens, valid.tokens   the tokenized corpus (token_shard.hpp), held-out split apart
//   checkpoint.bin               weights, AdamW moments, sampler state, loss log (checkpoint.hpp)
//   model.bin, tokenizer.bin     the trained model as a llama2.c checkpoint, and its vocabulary
//   model.gguf                   the trained model as an F32 GGUF with the vocabulary inside
//   loss.png                     the loss curve
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include "shoehorn/train/checkpoint.hpp"
#include "shoehorn/train/loss_log.hpp"
#include "shoehorn/train/train_config.hpp"

namespace shoehorn {

struct TrainOptions {
  std::string out_dir;
  bool resume = false;  // continue from out_dir/checkpoint.bin, bit for bit
  int stop_after = 0;   // > 0: stop (with a checkpoint) once this many steps are done
};

struct TrainOutcome {
  int steps_done = 0;
  LossLog log;
  std::string model_path;  // "" when the run stopped early or llama2.c cannot hold the model
  std::string gguf_path;   // "" when the run stopped early
};

// Trains; progress (a bar with loss, tokens/s and ETA, and one line per evaluation) goes to
// progress. Throws Error on bad data, a bad tokenizer or a checkpoint that does not match.
TrainOutcome train(const TrainConfig& config, const TrainOptions& options, std::ostream& progress);

// The weights train() starts from with this seed.
std::vector<NamedArray> initial_weights(const TrainConfig& config, std::uint64_t seed);

// LibTorch's forward pass of one sequence through weights: tokens.size() x vocab_size logits,
// row-major (the reference the engine's exported model is tested against).
std::vector<float> torch_logits(const TrainConfig& config, const std::vector<NamedArray>& weights,
                                const std::vector<int>& tokens);

}  // namespace shoehorn
