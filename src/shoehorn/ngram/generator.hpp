// The reference runtime: what the 6502 does, in C++, with integers only and a working memory
// that fits the NES's 2 KiB (the RNG, one child range per context length, an exclusion set).
// One template over the tables (tables.hpp), so that the same code runs a loaded model at run
// time (runtime.hpp) and a baked header in constant evaluation (ctime/ngram.hpp). No heap.
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
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string_view>

#include "shoehorn/ngram/tables.hpp"

namespace shoehorn::ngram {

// Marsaglia's xorshift32 (13, 17, 5); a zero seed becomes 0x9E3779B9, then 16 steps mix it.
class Xorshift32 {
 public:
  constexpr explicit Xorshift32(std::uint32_t seed) : state_(seed == 0 ? 0x9E3779B9u : seed) {
    for (int i = 0; i < 16; ++i) step();
  }
  static constexpr std::uint32_t after(std::uint32_t x) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return x;
  }
  constexpr std::uint32_t step() { return state_ = after(state_); }
  constexpr std::uint16_t next16() { return static_cast<std::uint16_t>(step() & 0xFFFF); }
  constexpr std::uint32_t state() const { return state_; }

 private:
  std::uint32_t state_;
};

// Generates bytes from the tables (which must outlive it).
template <class Byte>
class BasicGenerator {
 public:
  constexpr BasicGenerator(const Tables<Byte>& tables, std::uint32_t seed)
      : tables_(tables), memory_{Xorshift32(seed)} {
    restart();
  }

  // Back to the empty context, then the model's start bytes.
  constexpr void restart() {
    memory_.depth = 0;
    memory_.contexts[0] = {0, static_cast<std::uint16_t>(tables_.alphabet_size())};
    for (const char c : tables_.start) feed(static_cast<std::uint8_t>(c));
  }

  constexpr void feed(std::uint8_t byte) {
    const int longest = memory_.depth < tables_.order - 2 ? memory_.depth : tables_.order - 2;
    int depth = 0;
    Context shorter = memory_.contexts[0];  // the node for the last `length` bytes, before this byte
    for (int length = 0; length <= longest; ++length) {
      std::uint32_t node = 0;
      if (!find(length, shorter, byte, &node)) break;
      const ChildRange children = tables_.children(length + 1, node);
      if (children.count == 0) break;
      Context& longer = memory_.contexts[static_cast<std::size_t>(length + 1)];
      shorter = longer;
      longer = {children.start, static_cast<std::uint16_t>(children.count)};
      depth = length + 1;
    }
    memory_.depth = static_cast<std::uint8_t>(depth);
  }

  // Samples a byte from the current context and feeds it.
  constexpr std::uint8_t next() {
    memory_.excluded = {};
    for (int length = memory_.depth; length >= 0; --length) {
      const std::uint32_t s = mass(length, memory_.excluded, length == memory_.depth);
      std::uint32_t r = (static_cast<std::uint32_t>(memory_.rng.next16()) * s) >> 16;
      const Context& context = memory_.contexts[static_cast<std::size_t>(length)];
      for (std::uint32_t i = context.first; i < context.first + context.count; ++i) {
        const std::uint8_t symbol = tables_.symbol(length + 1, i);
        if (is_excluded(memory_.excluded, symbol)) continue;
        const std::uint32_t q = tables_.q(length + 1, i);
        if (r < q) {
          feed(symbol);
          return symbol;
        }
        r -= q;
        exclude(memory_.excluded, symbol);
      }
      // The escape: on to the next shorter context.
    }
    // A validated model never gets here: the root has no escape (its S is the mass of its
    // children left over), and every context excludes fewer bytes than the root holds.
    throw std::logic_error("n-gram runtime escaped past the root");
  }

  // -log2 of the probability the model gives `byte` here, or infinity when it gives none.
  // Run time only (log2).
  double surprise(std::uint8_t byte) const {
    Exclusions excluded{};
    double bits = 0;
    for (int length = memory_.depth; length >= 0; --length) {
      const double s = mass(length, excluded, length == memory_.depth);
      const Context& context = memory_.contexts[static_cast<std::size_t>(length)];
      std::uint32_t left = 0;
      for (std::uint32_t i = context.first; i < context.first + context.count; ++i) {
        const std::uint8_t symbol = tables_.symbol(length + 1, i);
        if (is_excluded(excluded, symbol)) continue;
        const std::uint32_t q = tables_.q(length + 1, i);
        if (symbol == byte) return bits - std::log2(q / s);
        left += q;
      }
      const double escape = s - left;
      if (escape <= 0) break;
      bits -= std::log2(escape / s);
      for (std::uint32_t i = context.first; i < context.first + context.count; ++i) {
        exclude(excluded, tables_.symbol(length + 1, i));
      }
    }
    return std::numeric_limits<double>::infinity();
  }

  constexpr int depth() const { return memory_.depth; }

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

  static constexpr bool is_excluded(const Exclusions& excluded, std::uint8_t symbol) {
    return (excluded[symbol >> 3] >> (symbol & 7)) & 1;
  }
  static constexpr void exclude(Exclusions& excluded, std::uint8_t symbol) {
    excluded[symbol >> 3] = static_cast<std::uint8_t>(excluded[symbol >> 3] | (1u << (symbol & 7)));
  }

  // The mass S a context samples from, given what is excluded.
  constexpr std::uint32_t mass(int length, const Exclusions& excluded, bool top) const {
    const Context& context = memory_.contexts[static_cast<std::size_t>(length)];
    const bool full = context.count == tables_.alphabet_size();
    if (top && !full) return kProbabilityOne;
    std::uint32_t all = 0, out = 0;
    for (std::uint32_t i = context.first; i < context.first + context.count; ++i) {
      const std::uint32_t q = tables_.q(length + 1, i);
      all += q;
      if (is_excluded(excluded, tables_.symbol(length + 1, i))) out += q;
    }
    return (full ? all : kProbabilityOne) - out;
  }

  // The child `byte` of a context of `length` bytes.
  constexpr bool find(int length, const Context& context, std::uint8_t byte, std::uint32_t* index) const {
    std::uint32_t lo = 0, hi = context.count;
    while (lo < hi) {
      const std::uint32_t mid = (lo + hi) >> 1;
      const std::uint8_t symbol = tables_.symbol(length + 1, context.first + mid);
      if (symbol == byte) {
        *index = context.first + mid;
        return true;
      }
      if (symbol < byte) lo = mid + 1;
      else hi = mid;
    }
    return false;
  }

  Tables<Byte> tables_;
  Memory memory_;
};

// What `shoehorn ngram run` prints: the prompt, then n sampled bytes, from the model's start
// context; put(char) receives each byte.
template <class Byte, class Put>
constexpr void generate(const Tables<Byte>& tables, std::uint32_t seed, std::string_view prompt, int n,
                        Put&& put) {
  BasicGenerator<Byte> generator(tables, seed);
  for (const char c : prompt) {
    generator.feed(static_cast<std::uint8_t>(c));
    put(c);
  }
  for (int i = 0; i < n; ++i) put(static_cast<char>(generator.next()));
}

}  // namespace shoehorn::ngram
