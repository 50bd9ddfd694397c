#include "shoehorn/ngram/smoothing.hpp"

#include <algorithm>
#include <array>
#include <cmath>

namespace shoehorn::ngram {

namespace {

// Kneser-Ney counts: occurrences at the highest order, distinct left neighbours below it.
std::uint32_t kn_count(const Counts& counts, int k, std::size_t i) {
  const CountLevel& level = counts.level(k);
  return k == counts.order ? level.count[i] : level.distinct_left[i];
}

// Discounts for counts 1, 2 and 3+, from the level's counts of counts.
std::array<double, 4> discounts(const Counts& counts, int k) {
  std::array<double, 5> n{};
  for (std::size_t i = 0; i < counts.level(k).size(); ++i) {
    const std::uint32_t a = kn_count(counts, k, i);
    if (a >= 1 && a <= 4) n[a] += 1;
  }
  if (n[1] == 0 || n[2] == 0 || n[3] == 0 || n[4] == 0) return {0.0, 0.5, 1.0, 1.5};
  const double y = n[1] / (n[1] + 2 * n[2]);
  std::array<double, 4> d = {0.0, 1 - 2 * y * n[2] / n[1], 2 - 3 * y * n[3] / n[2], 3 - 4 * y * n[4] / n[3]};
  for (int c = 1; c <= 3; ++c) d[static_cast<std::size_t>(c)] = std::clamp(d[static_cast<std::size_t>(c)], 0.0, double(c));
  return d;
}

// The children of a context: the root's are all of level 1.
struct Range {
  std::size_t first, end;
};
Range children_of(const Counts& counts, int k, std::size_t i) {
  if (k == 0) return {0, counts.level(1).size()};
  const CountLevel& level = counts.level(k);
  return {level.first_child[i], level.first_child[i + 1]};
}

std::size_t context_count(const Counts& counts, int k) { return k == 0 ? 1 : counts.level(k).size(); }

Probabilities kneser_ney(const Counts& counts) {
  Probabilities p(static_cast<std::size_t>(counts.order));
  const double uniform = 1.0 / static_cast<double>(counts.level(1).size());
  for (int k = 1; k <= counts.order; ++k) {
    const std::array<double, 4> d = discounts(counts, k);
    std::vector<double>& pk = p[static_cast<std::size_t>(k - 1)];
    pk.assign(counts.level(k).size(), 0.0);
    for (std::size_t h = 0; h < context_count(counts, k - 1); ++h) {
      const Range r = children_of(counts, k - 1, h);
      double total = 0, discounted = 0;
      for (std::size_t c = r.first; c < r.end; ++c) {
        const std::uint32_t a = kn_count(counts, k, c);
        total += a;
        discounted += d[std::min<std::uint32_t>(a, 3)];
      }
      // With no counts (n-grams seen only at the very start of a text) the context backs off whole.
      const double gamma = total > 0 ? discounted / total : 1.0;
      for (std::size_t c = r.first; c < r.end; ++c) {
        const std::uint32_t a = kn_count(counts, k, c);
        const double alpha = total > 0 ? std::max(a - d[std::min<std::uint32_t>(a, 3)], 0.0) / total : 0.0;
        const double lower = k == 1 ? uniform : p[static_cast<std::size_t>(k - 2)][counts.level(k).suffix[c]];
        pk[c] = alpha + gamma * lower;
      }
    }
  }
  return p;
}

// Good-Turing discount ratios d_r for counts r = 1..5 of one level (Katz, 1987); 1 above 5.
std::array<double, 7> good_turing(const CountLevel& level) {
  constexpr int k = 5;
  std::array<double, 8> n{};
  for (const std::uint32_t r : level.count) {
    if (r >= 1 && r <= k + 1) n[r] += 1;
  }
  std::array<double, 7> d{};
  d.fill(1.0);
  if (n[1] == 0) return d;
  const double tail = (k + 1) * n[k + 1] / n[1];
  for (int r = 1; r <= k; ++r) {
    if (n[static_cast<std::size_t>(r)] == 0 || tail >= 1) continue;
    const double r_star = (r + 1) * n[static_cast<std::size_t>(r + 1)] / n[static_cast<std::size_t>(r)];
    const double ratio = (r_star / r - tail) / (1 - tail);
    // An estimate outside (0, 1] (sparse counts of counts) falls back to no discount.
    if (ratio > 0 && ratio <= 1) d[static_cast<std::size_t>(r)] = ratio;
  }
  return d;
}

Probabilities katz(const Counts& counts) {
  Probabilities p(static_cast<std::size_t>(counts.order));
  for (int k = 1; k <= counts.order; ++k) {
    const CountLevel& level = counts.level(k);
    const std::array<double, 7> d = good_turing(level);
    std::vector<double>& pk = p[static_cast<std::size_t>(k - 1)];
    pk.assign(level.size(), 0.0);
    for (std::size_t h = 0; h < context_count(counts, k - 1); ++h) {
      const Range r = children_of(counts, k - 1, h);
      double total = 0, kept = 0, unseen = 0;
      for (std::size_t c = r.first; c < r.end; ++c) total += level.count[c];
      for (std::size_t c = r.first; c < r.end; ++c) {
        const std::uint32_t count = level.count[c];
        if (count == 0) {
          unseen += 1;
          continue;
        }
        pk[c] = d[std::min<std::uint32_t>(count, 6)] * count / total;
        kept += pk[c];
      }
      // Only the root lists bytes never seen: they share what the discounts freed.
      for (std::size_t c = r.first; c < r.end; ++c) {
        if (level.count[c] == 0) pk[c] = (1 - kept) / unseen;
      }
    }
  }
  return p;
}

}  // namespace

Probabilities smooth(const Counts& counts, Smoothing method) {
  return method == Smoothing::katz ? katz(counts) : kneser_ney(counts);
}

std::vector<std::vector<double>> pruning_costs(const Counts& counts, const Probabilities& p) {
  std::vector<std::vector<double>> cost(static_cast<std::size_t>(counts.order));
  cost[0].assign(counts.level(1).size(), 0.0);
  for (int k = 2; k <= counts.order; ++k) {
    const std::vector<double>& pk = p[static_cast<std::size_t>(k - 1)];
    const std::vector<double>& lower = p[static_cast<std::size_t>(k - 2)];
    const CountLevel& level = counts.level(k);
    std::vector<double>& ck = cost[static_cast<std::size_t>(k - 1)];
    ck.assign(level.size(), 0.0);
    for (std::size_t h = 0; h < counts.level(k - 1).size(); ++h) {
      const Range r = children_of(counts, k - 1, h);
      double escape = 1, backoff = 1;  // mass left to unseen bytes, here and in the suffix context
      for (std::size_t c = r.first; c < r.end; ++c) {
        escape -= pk[c];
        backoff -= lower[level.suffix[c]];
      }
      escape = std::max(escape, 0.0);
      backoff = std::max(backoff, 0.0);
      const double history = static_cast<double>(counts.level(k - 1).count[h]) / static_cast<double>(counts.positions);
      for (std::size_t c = r.first; c < r.end; ++c) {
        const double pc = pk[c], pb = lower[level.suffix[c]];
        const double bow_after = (escape + pc) / (backoff + pb);
        double bits = pc * std::log2(pc / (bow_after * pb));
        if (escape > 1e-12 && backoff > 1e-12) bits += escape * std::log2((escape / backoff) / bow_after);
        ck[c] = std::max(history * bits, 0.0);
      }
    }
  }
  return cost;
}

}  // namespace shoehorn::ngram
