// The reference runtime over a loaded model: generator.hpp's template over the Model's tables
// (what `shoehorn ngram run` and `eval` use, and what the NES runtime must match).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "shoehorn/ngram/generator.hpp"
#include "shoehorn/ngram/model.hpp"

namespace shoehorn::ngram {

// A generator over a loaded model (which must outlive it).
class Generator : public BasicGenerator<std::byte> {
 public:
  Generator(const Model& model, std::uint32_t seed) : BasicGenerator(model.tables(), seed) {}
};

// Prompt + n sampled bytes, from the model's start context.
std::string generate(const Model& model, std::uint32_t seed, std::string_view prompt, int n);

struct Evaluation {
  std::uint64_t bytes = 0;         // scored
  std::uint64_t unknown = 0;       // bytes outside the alphabet: not scored
  double bits = 0;
  double bits_per_byte() const { return bytes == 0 ? 0.0 : bits / static_cast<double>(bytes); }
};
// Scores every byte of `text` from the model's start context.
Evaluation evaluate(const Model& model, std::string_view text);

}  // namespace shoehorn::ngram
