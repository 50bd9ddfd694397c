// Smoothing a counted trie, and what removing each n-gram would cost (Stolcke's relative
// entropy, 1998).
//   kneser_ney: interpolated modified Kneser-Ney (Chen and Goodman, 1998). Best unpruned, but
//     its lower orders are continuation distributions, poor predictors once pruning makes them
//     the longest context left (Chelba et al., 2010).
//   katz: Katz backoff with Good-Turing discounts for counts up to 5; the escape and exclusion
//     of the runtime are its backoff. Lower orders are ordinary estimates, so it prunes well.
#pragma once

#include <vector>

#include "shoehorn/ngram/counts.hpp"

namespace shoehorn::ngram {

// p[k - 1][i]: the probability of level-k node i's last byte after its first k - 1 bytes.
using Probabilities = std::vector<std::vector<double>>;

enum class Smoothing { kneser_ney, katz };

Probabilities smooth(const Counts& counts, Smoothing method);

// cost[k - 1][i]: bits of relative entropy the model loses, per byte of text, when level-k
// node i goes and its probability comes from the shorter context (for k >= 2; 0 for k = 1).
std::vector<std::vector<double>> pruning_costs(const Counts& counts, const Probabilities& p);

}  // namespace shoehorn::ngram
