// Probabilities as 8-bit codes into one table of 256 integers over 65536.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "shoehorn/ngram/model.hpp"

namespace shoehorn::ngram {

using QValues = std::array<std::uint16_t, kCodes>;

// Codes evenly spaced in log-odds, from 1/65536 to 65535/65536: a probability near 0 and its
// complement near 1 keep the same relative precision (about 4%).
QValues logistic_qvalues();

// Codes for one context's children, given their probabilities. In a context that holds the
// whole alphabet the codes sum to at most 65535 and are read relative to their sum. In any
// other, at least 1/65536 stays for the escape, and the codes minimise the relative entropy
// to (p, escape) by coordinate descent from the nearest codes.
std::vector<std::uint8_t> quantize_context(std::span<const double> p, bool holds_alphabet, const QValues& qvalue);

}  // namespace shoehorn::ngram
