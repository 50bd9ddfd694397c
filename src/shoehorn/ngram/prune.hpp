// Pruning a counted trie to a byte budget.
#pragma once

#include <cstdint>
#include <vector>

#include "shoehorn/ngram/counts.hpp"

namespace shoehorn::ngram {

using Kept = std::vector<std::vector<bool>>;  // kept[k - 1][i]

// Drops n-grams, cheapest cost per byte of ROM first, until the image fits `max_image_bytes`.
// An n-gram can go only once nothing depends on it: no longer n-gram continues it (its
// children) and none ends with it (the runtime needs every context's children to be children
// of its suffix too). Level 1 (the alphabet) always stays. Throws Error when even level 1
// alone does not fit.
Kept prune(const Counts& counts, const std::vector<std::vector<double>>& cost, std::uint64_t max_image_bytes);

// Every node kept.
Kept keep_all(const Counts& counts);

// Node counts per level of what is kept.
std::vector<std::uint32_t> kept_counts(const Kept& kept);

}  // namespace shoehorn::ngram
