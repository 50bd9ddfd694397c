#include "shoehorn/ngram/quantize.hpp"

#include <algorithm>
#include <cmath>

namespace shoehorn::ngram {

namespace {

double log_odds(double v) { return std::log(v / (kProbabilityOne - v)); }

std::uint8_t nearest_code(double target, const QValues& qvalue) {
  const double t = std::clamp(target, 0.5, kProbabilityOne - 0.5);
  const auto above = std::lower_bound(qvalue.begin(), qvalue.end(), t);
  if (above == qvalue.begin()) return 0;
  if (above == qvalue.end()) return static_cast<std::uint8_t>(kCodes - 1);
  const auto below = above - 1;
  const bool take_below = std::abs(log_odds(*below) - log_odds(t)) <= std::abs(log_odds(*above) - log_odds(t));
  return static_cast<std::uint8_t>((take_below ? below : above) - qvalue.begin());
}

std::uint32_t sum_of(const std::vector<std::uint8_t>& codes, const QValues& qvalue) {
  std::uint32_t sum = 0;
  for (const std::uint8_t c : codes) sum += qvalue[c];
  return sum;
}

// Lowers the code of the largest value until the codes sum to at most `limit`.
void fit_under(std::vector<std::uint8_t>& codes, const QValues& qvalue, std::uint32_t limit) {
  while (sum_of(codes, qvalue) > limit) {
    const auto largest = std::max_element(codes.begin(), codes.end());
    --*largest;
  }
}

// sum p ln(p / q), with the escape as one more outcome.
double divergence_term(double p, double q) { return p > 0 ? p * std::log(p / q) : 0.0; }

}  // namespace

QValues logistic_qvalues() {
  QValues v{};
  const double range = std::log(static_cast<double>(kMaxContextMass));
  for (std::size_t c = 0; c < kCodes; ++c) {
    const double x = -range + 2 * range * static_cast<double>(c) / (kCodes - 1);
    const double value = std::round(kProbabilityOne / (1 + std::exp(-x)));
    v[c] = static_cast<std::uint16_t>(std::clamp(value, 1.0, double(kMaxContextMass)));
  }
  // Strictly increasing: spread the ends, where rounding made neighbours equal.
  for (std::size_t c = 1; c < kCodes; ++c) v[c] = std::max<std::uint16_t>(v[c], static_cast<std::uint16_t>(v[c - 1] + 1));
  for (std::size_t c = kCodes - 1; c-- > 0;) v[c] = std::min<std::uint16_t>(v[c], static_cast<std::uint16_t>(v[c + 1] - 1));
  return v;
}

std::vector<std::uint8_t> quantize_context(std::span<const double> p, bool holds_alphabet, const QValues& qvalue) {
  std::vector<std::uint8_t> codes;
  for (const double pi : p) codes.push_back(nearest_code(pi * kProbabilityOne, qvalue));
  fit_under(codes, qvalue, kMaxContextMass);
  if (holds_alphabet) return codes;

  double escape = 1;
  for (const double pi : p) escape -= pi;
  escape = std::max(escape, 0.0);
  const double one = kProbabilityOne;
  // Coordinate descent: the best single-code step, until none helps.
  for (std::size_t round = 0; round < 4 * codes.size() + 8; ++round) {
    const std::uint32_t sum = sum_of(codes, qvalue);
    const double escape_now = divergence_term(escape, (one - sum) / one);
    double best_gain = 1e-12;
    std::size_t best_i = 0;
    int best_step = 0;
    for (std::size_t i = 0; i < codes.size(); ++i) {
      for (const int step : {-1, 1}) {
        const int code = codes[i] + step;
        if (code < 0 || code >= static_cast<int>(kCodes)) continue;
        const std::uint32_t new_sum = sum - qvalue[codes[i]] + qvalue[static_cast<std::size_t>(code)];
        if (new_sum > kMaxContextMass) continue;
        const double before = divergence_term(p[i], qvalue[codes[i]] / one) + escape_now;
        const double after = divergence_term(p[i], qvalue[static_cast<std::size_t>(code)] / one) +
                             divergence_term(escape, (one - new_sum) / one);
        if (before - after > best_gain) {
          best_gain = before - after;
          best_i = i;
          best_step = step;
        }
      }
    }
    if (best_step == 0) break;
    codes[best_i] = static_cast<std::uint8_t>(codes[best_i] + best_step);
  }
  return codes;
}

}  // namespace shoehorn::ngram
