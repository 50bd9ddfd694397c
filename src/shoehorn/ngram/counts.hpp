// Counting byte n-grams of orders 1..N into a sorted trie, the shape the model is laid out in.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace shoehorn::ngram {

// Which bytes the model knows. Bytes outside it are dropped from the training text.
struct Alphabet {
  std::array<bool, 256> member{};
  int size() const;
};

// "bytes" (all 256), "ascii" (newline and 0x20..0x7E) or "corpus" (the bytes the corpus uses).
Alphabet parse_alphabet(const std::string& spec, const std::vector<std::string>& corpus);

// One level of the trie: the distinct n-grams of one order, sorted.
struct CountLevel {
  std::vector<std::uint64_t> key;     // the n-gram's bytes, first byte in the top 8 bits
  std::vector<std::uint32_t> count;   // occurrences
  std::vector<std::uint32_t> distinct_left;  // distinct bytes seen before it (Kneser-Ney's N1+(. g))
  std::vector<std::uint32_t> parent;  // index of its prefix in the level above (0 for level 1)
  std::vector<std::uint32_t> suffix;  // index of its suffix (the n-gram less its first byte)
  std::vector<std::uint32_t> first_child;  // children in the next level: [first_child[i], first_child[i + 1])
  std::size_t size() const { return key.size(); }
  std::uint8_t last_byte(std::size_t i, int order) const {
    return static_cast<std::uint8_t>(key[i] >> (8 * (8 - order)));
  }
};

struct Counts {
  int order = 0;
  std::vector<CountLevel> levels;  // levels[k - 1]: order k; level 1 holds every alphabet byte
  std::uint64_t positions = 0;     // bytes of training text
  CountLevel& level(int k) { return levels[static_cast<std::size_t>(k - 1)]; }
  const CountLevel& level(int k) const { return levels[static_cast<std::size_t>(k - 1)]; }
};

// Counts every n-gram of orders 1..order inside each text (none spans two texts).
Counts count_ngrams(const std::vector<std::string>& texts, const Alphabet& alphabet, int order);

}  // namespace shoehorn::ngram
