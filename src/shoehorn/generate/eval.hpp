// How well a model predicts a text: negative log-likelihood over its tokens, reported as bits
// per byte of the text (comparable across tokenizers) and per-token perplexity.
//
// Windowing: the text's tokens are cut into consecutive, non-overlapping windows of up to
// max_positions - 1 tokens; each window runs from position 0 with BOS first, so every token of
// the text is predicted exactly once, from the tokens before it in its own window (and BOS).
#pragma once

#include <cmath>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "shoehorn/model/transformer.hpp"

namespace shoehorn {

struct EvalResult {
  std::uint64_t tokens = 0;   // tokens predicted (the text's, BOS excluded)
  std::uint64_t windows = 0;
  double nll = 0.0;           // sum of -ln p(token), in nats
  // The most likely next token at each position of the first window (BOS's included), to
  // compare engines position by position.
  std::vector<int> first_window_top1;

  double bits() const { return nll / std::log(2.0); }
  double bits_per_byte(std::uint64_t bytes) const {
    return bytes > 0 ? bits() / static_cast<double>(bytes) : 0.0;
  }
  double token_perplexity() const {
    return tokens > 0 ? std::exp(nll / static_cast<double>(tokens)) : 0.0;
  }
};

EvalResult evaluate(Transformer& transformer, std::span<const int> tokens, int bos);

// The text cut into `parts` consecutive runs of whole lines of about equal bytes: cut k falls
// after the first line end at or past byte k * size / parts. Fewer parts when the text has
// fewer lines; an empty text gives none.
std::vector<std::string_view> split_whole_lines(std::string_view text, int parts);

// The first index of the largest logit.
int most_likely(std::span<const float> logits);

// -ln softmax(logits)[target], in double precision.
double negative_log_likelihood(std::span<const float> logits, int target);

}  // namespace shoehorn
