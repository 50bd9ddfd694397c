#include "shoehorn/generate/eval.hpp"

#include <algorithm>
#include <vector>

namespace shoehorn {

double negative_log_likelihood(std::span<const float> logits, int target) {
  const float max = *std::max_element(logits.begin(), logits.end());
  double sum = 0.0;
  for (const float l : logits) sum += std::exp(static_cast<double>(l) - max);
  return std::log(sum) - (static_cast<double>(logits[static_cast<std::size_t>(target)]) - max);
}

int most_likely(std::span<const float> logits) {
  return static_cast<int>(std::max_element(logits.begin(), logits.end()) - logits.begin());
}

std::vector<std::string_view> split_whole_lines(std::string_view text, int parts) {
  std::vector<std::string_view> slices;
  std::size_t begin = 0;
  for (int k = 1; k <= parts && begin < text.size(); ++k) {
    std::size_t end = text.size();
    if (k < parts) {
      // In 64 bits: size * k overflows a 32-bit size_t long before the 1 GiB eval reads.
      const auto share = static_cast<std::size_t>(static_cast<std::uint64_t>(text.size()) *
                                                  static_cast<std::uint64_t>(k) /
                                                  static_cast<std::uint64_t>(parts));
      const std::size_t target = std::max(begin, share);
      const std::size_t newline = text.find('\n', target);
      end = newline == std::string_view::npos ? text.size() : newline + 1;
    }
    slices.push_back(text.substr(begin, end - begin));
    begin = end;
  }
  return slices;
}

EvalResult evaluate(Transformer& transformer, std::span<const int> tokens, int bos) {
  const std::size_t window = static_cast<std::size_t>(transformer.max_positions()) - 1;
  EvalResult result;
  const std::size_t batch = static_cast<std::size_t>(transformer.max_batch());
  std::vector<int> inputs;
  inputs.reserve(batch);
  if (window == 0) return result;  // one position holds BOS and predicts nothing of the text
  for (std::size_t start = 0; start < tokens.size(); start += window) {
    const std::span<const int> part = tokens.subspan(start, std::min(window, tokens.size() - start));
    // Position i reads BOS or the token before it, in batches that return every logit.
    for (std::size_t done = 0; done < part.size(); done += batch) {
      const std::size_t n = std::min(batch, part.size() - done);
      inputs.clear();
      for (std::size_t i = done; i < done + n; ++i) inputs.push_back(i == 0 ? bos : part[i - 1]);
      const std::span<float> logits =
          transformer.forward_batch(inputs, static_cast<int>(done), Logits::all);
      const std::size_t vocab = logits.size() / n;
      for (std::size_t i = 0; i < n; ++i) {
        const std::span<const float> position = logits.subspan(i * vocab, vocab);
        result.nll += negative_log_likelihood(position, part[done + i]);
        if (start == 0) result.first_window_top1.push_back(most_likely(position));
      }
    }
    result.tokens += part.size();
    ++result.windows;
  }
  return result;
}

}  // namespace shoehorn
