// A byte n-gram model laid out the way a 6502 reads it: one table per order, sorted, in 16 KiB
// ROM banks, with probabilities as integers over one shared denominator.
//
// The model is a trie of n-grams. Level k holds the order-k n-grams (k bytes), sorted, so the
// children of every node (its continuations by one byte) are a contiguous, sorted run of the
// next level, found by binary search. The root is implicit: its children are level 1, one
// node per alphabet symbol. A node of level k < order is also a context: its children carry
// the probabilities of the next byte after those k bytes.
//
// Records, little-endian, never straddling a bank:
//   level k < order: [symbol, code, first_child_lo, first_child_hi]   (4 bytes)
//   level order:     [symbol, code]                                    (2 bytes)
// An interior level ends with a sentinel record whose first_child is the next level's count,
// so a node's children are [first_child(i), first_child(i + 1)). first_child keeps 16 bits;
// `wraps` lists the node indices where the full value passes another multiple of 65536.
// A child's probability is qvalue[code] / 65536; the rest of its context's mass is the escape
// to the next shorter context (see generator.hpp).
//
// Tables<Byte> reads those records through spans, in constant evaluation or at run time: over
// a loaded Model's vectors (Byte = std::byte, model.hpp) or over the arrays of a baked header
// (Byte = std::uint8_t, ctime/ngram.hpp). Header-only, no heap.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace shoehorn::ngram {

inline constexpr int kMaxOrder = 8;
inline constexpr std::uint32_t kProbabilityOne = 65536;  // the shared denominator
inline constexpr std::uint32_t kMaxContextMass = 65535;  // what a context's children may sum to
inline constexpr std::uint32_t kBankBytes = 16384;
// Every ROM budget keeps this much of its last bank for the target's runtime code and data.
inline constexpr std::uint32_t kRuntimeReserveBytes = 4096;
inline constexpr std::size_t kMaxStartBytes = 16;
inline constexpr std::size_t kCodes = 256;

// The children of a node: records [start, start + count) of the next level.
struct ChildRange {
  std::uint32_t start = 0;
  std::uint32_t count = 0;
};

struct LevelTable {
  std::uint32_t offset = 0;                 // of the first record in the image
  std::uint32_t count = 0;                  // nodes, not counting the sentinel
  std::span<const std::uint32_t> wraps;     // node indices where first_child passes k * 65536
};

template <class Byte>
struct Tables {
  int order = 0;
  std::string_view start;               // bytes fed to the context before any text
  std::span<const std::uint16_t> qvalue;  // kCodes of them: code -> probability * 65536
  std::span<const Byte> image;
  std::array<LevelTable, kMaxOrder> levels{};  // levels[k - 1] holds level k

  static constexpr std::uint32_t record_size(int level, int order) { return level < order ? 4 : 2; }
  constexpr const LevelTable& level(int k) const { return levels[static_cast<std::size_t>(k - 1)]; }
  constexpr std::uint32_t alphabet_size() const { return order == 0 ? 0 : level(1).count; }

  constexpr std::uint32_t record_offset(int level, std::uint32_t index) const {
    return this->level(level).offset + index * record_size(level, order);
  }
  constexpr std::uint8_t byte(std::uint32_t at) const { return static_cast<std::uint8_t>(image[at]); }
  constexpr std::uint8_t symbol(int level, std::uint32_t index) const {
    return byte(record_offset(level, index));
  }
  constexpr std::uint8_t code(int level, std::uint32_t index) const {
    return byte(record_offset(level, index) + 1);
  }
  constexpr std::uint32_t q(int level, std::uint32_t index) const { return qvalue[code(level, index)]; }

  // first_child with its wraps restored; index may be the sentinel (== count).
  constexpr std::uint32_t first_child(int level, std::uint32_t index) const {
    const std::uint32_t at = record_offset(level, index);
    const std::uint32_t low = byte(at + 2) | static_cast<std::uint32_t>(byte(at + 3)) << 8;
    std::uint32_t high = 0;
    for (const std::uint32_t wrap : this->level(level).wraps) high += index >= wrap ? 1 : 0;
    return (high << 16) | low;
  }

  // Level 0 is the root.
  constexpr ChildRange children(int level, std::uint32_t index) const {
    if (level == 0) return {0, alphabet_size()};
    if (level == order) return {0, 0};
    const std::uint32_t first = first_child(level, index);
    return {first, first_child(level, index + 1) - first};
  }
};

}  // namespace shoehorn::ngram
