#include "shoehorn/ngram/prune.hpp"

#include <algorithm>
#include <queue>
#include <string>

#include "shoehorn/io/error.hpp"
#include "shoehorn/ngram/model.hpp"

namespace shoehorn::ngram {

namespace {

struct Candidate {
  double cost_per_byte;
  int level;
  std::uint32_t index;
  bool operator>(const Candidate& o) const {
    if (cost_per_byte != o.cost_per_byte) return cost_per_byte > o.cost_per_byte;
    if (level != o.level) return level < o.level;  // ties: longer n-grams first
    return index > o.index;
  }
};

}  // namespace

Kept keep_all(const Counts& counts) {
  Kept kept;
  for (const CountLevel& level : counts.levels) kept.emplace_back(level.size(), true);
  return kept;
}

std::vector<std::uint32_t> kept_counts(const Kept& kept) {
  std::vector<std::uint32_t> counts;
  for (const std::vector<bool>& level : kept) {
    counts.push_back(static_cast<std::uint32_t>(std::count(level.begin(), level.end(), true)));
  }
  return counts;
}

Kept prune(const Counts& counts, const std::vector<std::vector<double>>& cost, std::uint64_t max_image_bytes) {
  const int order = counts.order;
  std::vector<std::uint32_t> sizes = kept_counts(keep_all(counts));
  std::vector<std::uint32_t> smallest(sizes.size(), 0);
  smallest[0] = sizes[0];
  if (image_bytes(smallest) > max_image_bytes) {
    throw Error("the smallest model (" + std::to_string(sizes[0]) + " alphabet symbols, nothing longer) needs " +
                std::to_string(image_bytes(smallest)) + " bytes of tables, the budget leaves " +
                std::to_string(max_image_bytes));
  }
  Kept kept = keep_all(counts);
  // What still depends on each node: kept children, and kept n-grams one longer ending with it.
  std::vector<std::vector<std::uint32_t>> children(static_cast<std::size_t>(order));
  std::vector<std::vector<std::uint32_t>> extensions(static_cast<std::size_t>(order));
  for (int k = 1; k <= order; ++k) {
    const CountLevel& level = counts.level(k);
    auto& ch = children[static_cast<std::size_t>(k - 1)];
    ch.assign(level.size(), 0);
    if (k < order) {
      for (std::size_t i = 0; i < level.size(); ++i) ch[i] = level.first_child[i + 1] - level.first_child[i];
    }
    extensions[static_cast<std::size_t>(k - 1)].assign(level.size(), 0);
  }
  for (int k = 2; k <= order; ++k) {
    for (const std::uint32_t s : counts.level(k).suffix) ++extensions[static_cast<std::size_t>(k - 2)][s];
  }

  std::priority_queue<Candidate, std::vector<Candidate>, std::greater<>> queue;
  auto offer = [&](int k, std::uint32_t i) {
    const auto l = static_cast<std::size_t>(k - 1);
    if (k >= 2 && children[l][i] == 0 && extensions[l][i] == 0) {
      queue.push({cost[l][i] / Model::record_size(k, order), k, i});
    }
  };
  for (int k = 2; k <= order; ++k) {
    for (std::uint32_t i = 0; i < counts.level(k).size(); ++i) offer(k, i);
  }
  while (image_bytes(sizes) > max_image_bytes && !queue.empty()) {
    const Candidate c = queue.top();
    queue.pop();
    const auto l = static_cast<std::size_t>(c.level - 1);
    kept[l][c.index] = false;
    --sizes[l];
    const CountLevel& level = counts.level(c.level);
    const std::uint32_t parent = level.parent[c.index], suffix = level.suffix[c.index];
    --children[l - 1][parent];
    offer(c.level - 1, parent);
    --extensions[l - 1][suffix];
    if (suffix != parent) offer(c.level - 1, suffix);
  }
  return kept;
}

}  // namespace shoehorn::ngram
