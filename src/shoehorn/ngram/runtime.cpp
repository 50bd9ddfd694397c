#include "shoehorn/ngram/runtime.hpp"

#include <cmath>

namespace shoehorn::ngram {

std::string generate(const Model& model, std::uint32_t seed, std::string_view prompt, int n) {
  std::string text;
  generate(model.tables(), seed, prompt, n, [&](char c) { text += c; });
  return text;
}

Evaluation evaluate(const Model& model, std::string_view text) {
  Generator generator(model, 1);
  Evaluation result;
  for (const char c : text) {
    const auto byte = static_cast<std::uint8_t>(c);
    const double bits = generator.surprise(byte);
    if (std::isinf(bits)) {
      ++result.unknown;
    } else {
      ++result.bytes;
      result.bits += bits;
    }
    generator.feed(byte);
  }
  return result;
}

}  // namespace shoehorn::ngram
