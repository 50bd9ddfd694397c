// What `shoehorn train` trains and how: a small text file of `key = value` lines.
//
//   # a comment; blank lines are ignored
//   dim = 64
//   train_text = ../data/train.txt, ../data/more.txt   # paths relative to this file
//
// Every key is known (an unknown key is an error, so a typo never falls back to a default), each
// appears once, and every error names the file, the line and the key. docs/TRAINING.md lists
// the keys. Standard library only, so the format is tested and fuzzed on every target.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "shoehorn/model/config.hpp"

namespace shoehorn {

enum class LrSchedule : std::uint8_t {
  cosine,  // linear warmup, then cosine decay to min_learning_rate
  wsd,     // linear warmup, constant, then linear decay to min_learning_rate over decay_fraction
};

struct TrainConfig {
  // The model.
  Config model;  // dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len, ...
  bool share_adjacent_layers = false;  // layers 2k and 2k+1 run the same weights
  bool shared_classifier = true;       // the classifier is the token embedding
  double dropout = 0;                  // training only: on the embedding and each residual write

  // The data (paths resolved against the config file's directory).
  std::string tokenizer;                // llama2.c tokenizer.bin
  std::vector<std::string> train_text;  // UTF-8 text files
  double valid_fraction = 0.05;         // the last documents of each file, held out
  bool drop_repeats = false;            // train on a document copied between files once

  // The optimization.
  int batch_size = 0;
  int steps = 0;
  double learning_rate = 0;
  double min_learning_rate = 0;
  int warmup_steps = 0;
  LrSchedule schedule = LrSchedule::cosine;
  double decay_fraction = 0.2;  // wsd: the share of steps spent decaying
  double weight_decay = 0.1;    // matrices only, never norms
  double beta1 = 0.9;
  double beta2 = 0.95;
  double grad_clip = 1.0;  // global gradient norm; 0: no clipping
  int eval_interval = 100;
  int eval_batches = 8;
  std::uint64_t seed = 1;
  int threads = 1;  // LibTorch intra-op threads; 0: every core

  // Every setting, defaults included, one canonical `key = value` line each, in a fixed order:
  // what a checkpoint records and what resuming compares.
  std::string settings_text;
};

// Parses a config; `file` names it in errors and anchors relative paths. Throws Error.
TrainConfig parse_train_config(std::string_view text, const std::string& file);
TrainConfig read_train_config(const std::string& path);

// The learning rate of step (1..steps): linear warmup over warmup_steps, then the schedule.
double learning_rate_at(const TrainConfig& config, int step);

// The value of `key` in settings_text, or "" when absent.
std::string setting(const std::string& settings_text, std::string_view key);

// The first key whose value differs between two settings texts, ignoring `threads` (which
// may change between a run and its resumption), or "" when they agree.
std::string first_changed_key(const std::string& before, const std::string& after);

// Unique weight blocks: n_layers, or half of them (rounded up) when adjacent layers share.
int weight_blocks(const TrainConfig& config);
// Parameters the model trains (shared weights counted once).
std::int64_t parameter_count(const TrainConfig& config);

}  // namespace shoehorn
