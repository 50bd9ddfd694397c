// The reference runtime: what the 6502 does, in C++, with integers only and a working memory
// that fits the NES's 2 KiB (the RNG, one child range per context length, an exclusion set).
//
// Sampling one byte (escape with exclusion, as in PPM):
//   Start at the longest context (the node for the last `depth` bytes). Its children split
//   65536 between them; the rest is the escape. Draw r in [0, S) and walk the children: the
//   first child whose probability exceeds what is left of r is the byte. If r falls into the
//   escape, every child's symbol is excluded and the next shorter context is tried, its mass S
//   being 65536 less the excluded children's. A context holding the whole alphabet (the root
//   always) has no escape: there S is the sum of its children not excluded.
//   r = (rand16 * S) >> 16, rand16 the low half of a xorshift32 step.
// Feeding a byte: the node for the last i + 1 bytes is the child `byte` of the node for the
// last i bytes (binary search), for i = 0, 1, ... while it exists and has children.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "shoehorn/ngram/model.hpp"

namespace shoehorn::ngram {

// Marsaglia's xorshift32 (13, 17, 5); a zero seed becomes 0x9E3779B9, then 16 steps mix it.
class Xorshift32 {
 public:
  explicit Xorshift32(std::uint32_t seed);
  static constexpr std::uint32_t after(std::uint32_t x) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return x;
  }
  std::uint32_t step() { return state_ = after(state_); }
  std::uint16_t next16() { return static_cast<std::uint16_t>(step() & 0xFFFF); }
  std::uint32_t state() const { return state_; }

 private:
  std::uint32_t state_;
};

class Generator {
 public:
  Generator(const Model& model, std::uint32_t seed);

  // Back to the empty context, then the model's start bytes.
  void restart();
  void feed(std::uint8_t byte);
  // Samples a byte from the current context and feeds it.
  std::uint8_t next();
  // -log2 of the probability the model gives `byte` here, or infinity when it gives none.
  double surprise(std::uint8_t byte) const;

  int depth() const { return memory_.depth; }

 private:
  // The children of the node for the last `length` bytes.
  struct Context {
    std::uint32_t first = 0;
    std::uint16_t count = 0;
  };
  using Exclusions = std::array<std::uint8_t, 32>;
  // Everything that changes while generating: this is what must fit in 2 KiB on the NES.
  struct Memory {
    Xorshift32 rng;
    std::uint8_t depth = 0;
    std::array<Context, kMaxOrder> contexts{};
    Exclusions excluded{};
  };
  static_assert(sizeof(Memory) <= 2048);

  // The mass S a context samples from, given what is excluded.
  std::uint32_t mass(int length, const Exclusions& excluded, bool top) const;
  // The child `byte` of a context of `length` bytes.
  bool find(int length, const Context& context, std::uint8_t byte, std::uint32_t* index) const;

  const Model& model_;
  Memory memory_;
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
