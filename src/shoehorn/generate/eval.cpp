#include "shoehorn/generate/eval.hpp"

#include <algorithm>

namespace shoehorn {

double negative_log_likelihood(std::span<const float> logits, int target) {
  const float max = *std::max_element(logits.begin(), logits.end());
  double sum = 0.0;
  for (const float l : logits) sum += std::exp(static_cast<double>(l) - max);
  return std::log(sum) - (static_cast<double>(logits[static_cast<std::size_t>(target)]) - max);
}

EvalResult evaluate(Transformer& transformer, std::span<const int> tokens, int bos) {
  const std::size_t window = static_cast<std::size_t>(transformer.max_positions()) - 1;
  EvalResult result;
  if (window == 0) return result;  // one position holds BOS and predicts nothing of the text
  for (std::size_t start = 0; start < tokens.size(); start += window) {
    const std::span<const int> part = tokens.subspan(start, std::min(window, tokens.size() - start));
    int input = bos;
    for (std::size_t i = 0; i < part.size(); ++i) {
      const std::span<float> logits = transformer.forward(input, static_cast<int>(i));
      result.nll += negative_log_likelihood(logits, part[i]);
      input = part[i];
    }
    result.tokens += part.size();
    ++result.windows;
  }
  return result;
}

}  // namespace shoehorn
