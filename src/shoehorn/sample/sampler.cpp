#include "shoehorn/sample/sampler.hpp"

#include <algorithm>

#include "shoehorn/kernels/ops.hpp"

namespace shoehorn {

int argmax(std::span<const float> values) {
  int best = 0;
  float best_value = values[0];
  for (std::size_t i = 1; i < values.size(); ++i) {
    if (values[i] > best_value) {
      best = static_cast<int>(i);
      best_value = values[i];
    }
  }
  return best;
}

namespace {

int sample_multinomial(std::span<const float> probabilities, float coin) {
  float cdf = 0.0f;
  for (std::size_t i = 0; i < probabilities.size(); ++i) {
    cdf += probabilities[i];
    if (coin < cdf) return static_cast<int>(i);
  }
  return static_cast<int>(probabilities.size()) - 1;  // rounding left the coin above the sum
}

}  // namespace

Sampler::Sampler(int vocab_size, SamplerSettings settings)
    : settings_(settings), rng_(settings.seed), candidates_(static_cast<std::size_t>(vocab_size)) {}

int Sampler::sample_topp(std::span<const float> probabilities, float coin) {
  const int n = static_cast<int>(probabilities.size());
  if (n == 1) return 0;
  const float topp = settings_.topp;
  // Candidates below (1 - p) / (n - 1) can never be inside the nucleus.
  const float cutoff = (1.0f - topp) / static_cast<float>(n - 1);
  std::size_t n0 = 0;
  for (int i = 0; i < n; ++i) {
    if (probabilities[i] >= cutoff) candidates_[n0++] = {probabilities[i], i};
  }
  // Possible only for p < 1/n or NaN probabilities, where llama2.c reads before its array.
  if (n0 == 0) return argmax(probabilities);
  // llama2.c sorts with glibc's qsort, a stable merge sort here: equal probabilities keep index
  // order. Sorting by (probability desc, index asc) gives that order without a temporary buffer.
  std::sort(candidates_.begin(), candidates_.begin() + static_cast<std::ptrdiff_t>(n0),
            [](const ProbIndex& a, const ProbIndex& b) {
              if (a.prob != b.prob) return a.prob > b.prob;
              return a.index < b.index;
            });
  float cumulative = 0.0f;
  std::size_t last = n0 - 1;
  for (std::size_t i = 0; i < n0; ++i) {
    cumulative += candidates_[i].prob;
    if (cumulative > topp) {
      last = i;
      break;
    }
  }
  const float r = coin * cumulative;
  float cdf = 0.0f;
  for (std::size_t i = 0; i <= last; ++i) {
    cdf += candidates_[i].prob;
    if (r < cdf) return candidates_[i].index;
  }
  return candidates_[last].index;
}

int Sampler::sample(std::span<float> logits) {
  if (settings_.temperature == 0.0f) return argmax(logits);
  for (float& v : logits) v /= settings_.temperature;
  kernels::softmax(logits);
  const float coin = rng_.next_f32();
  if (settings_.topp <= 0.0f || settings_.topp >= 1.0f) return sample_multinomial(logits, coin);
  return sample_topp(logits, coin);
}

}  // namespace shoehorn
