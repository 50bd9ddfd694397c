// llama2.c's token choice as constexpr templates over anything indexable: the run-time Sampler
// (std::span, std::vector) and the compile-time engine (plain arrays) share this one copy.
//
// Greedy at temperature 0; otherwise softmax of logits / temperature, one coin from the RNG,
// then plain multinomial (top-p outside (0, 1)) or nucleus sampling.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "shoehorn/kernels/elementwise.hpp"
#include "shoehorn/sample/rng.hpp"

namespace shoehorn {

struct SamplerSettings {
  float temperature = 1.0f;
  float topp = 0.9f;
  std::uint64_t seed = 0;
};

// A top-p candidate.
struct ProbIndex {
  float prob;
  int index;
};

namespace choose {

// The first index of the largest value.
template <class V>
constexpr int argmax(const V& values, std::size_t n) {
  int best = 0;
  float best_value = values[0];
  for (std::size_t i = 1; i < n; ++i) {
    if (values[i] > best_value) {
      best = static_cast<int>(i);
      best_value = values[i];
    }
  }
  return best;
}

template <class P>
constexpr int multinomial(const P& probabilities, std::size_t n, float coin) {
  float cdf = 0.0f;
  for (std::size_t i = 0; i < n; ++i) {
    cdf += probabilities[i];
    if (coin < cdf) return static_cast<int>(i);
  }
  return static_cast<int>(n) - 1;  // rounding left the coin above the sum
}

// candidates: room for n entries.
template <class P, class C>
constexpr int topp(const P& probabilities, std::size_t n, float p, float coin, C& candidates) {
  if (n == 1) return 0;
  // Candidates below (1 - p) / (n - 1) can never be inside the nucleus.
  const float cutoff = (1.0f - p) / static_cast<float>(static_cast<int>(n) - 1);
  std::size_t n0 = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (probabilities[i] >= cutoff) candidates[n0++] = ProbIndex{probabilities[i], static_cast<int>(i)};
  }
  // Possible only for p < 1/n or NaN probabilities, where llama2.c reads before its array.
  if (n0 == 0) return argmax(probabilities, n);
  // llama2.c sorts with glibc's qsort, a stable merge sort here: equal probabilities keep index
  // order. Sorting by (probability desc, index asc) gives that order without a temporary buffer.
  ProbIndex* first = &candidates[0];
  std::sort(first, first + n0, [](const ProbIndex& a, const ProbIndex& b) {
    if (a.prob != b.prob) return a.prob > b.prob;
    return a.index < b.index;
  });
  float cumulative = 0.0f;
  std::size_t last = n0 - 1;
  for (std::size_t i = 0; i < n0; ++i) {
    cumulative += candidates[i].prob;
    if (cumulative > p) {
      last = i;
      break;
    }
  }
  const float r = coin * cumulative;
  float cdf = 0.0f;
  for (std::size_t i = 0; i <= last; ++i) {
    cdf += candidates[i].prob;
    if (r < cdf) return candidates[i].index;
  }
  return candidates[last].index;
}

// The next token from logits[0..n), which it modifies in place (scaling, softmax) as llama2.c
// does. candidates: room for n entries.
template <class L, class C>
constexpr int token(L& logits, std::size_t n, const SamplerSettings& settings,
                    Xorshift64Star& rng, C& candidates) {
  if (settings.temperature == 0.0f) return argmax(logits, n);
  for (std::size_t i = 0; i < n; ++i) logits[i] /= settings.temperature;
  kernels::generic::softmax(logits, n);
  const float coin = rng.next_f32();
  if (settings.topp <= 0.0f || settings.topp >= 1.0f) return multinomial(logits, n, coin);
  return topp(logits, n, settings.topp, coin, candidates);
}

}  // namespace choose

}  // namespace shoehorn
