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
// to the next shorter context (see runtime.hpp).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace shoehorn::ngram {

inline constexpr int kMaxOrder = 8;
inline constexpr std::uint32_t kProbabilityOne = 65536;  // the shared denominator
inline constexpr std::uint32_t kMaxContextMass = 65535;  // what a context's children may sum to
inline constexpr std::uint32_t kBankBytes = 16384;
// Every ROM budget keeps this much of its last bank for the target's runtime code and data.
inline constexpr std::uint32_t kRuntimeReserveBytes = 4096;
inline constexpr std::size_t kMaxStartBytes = 16;
inline constexpr std::size_t kCodes = 256;

struct Level {
  std::uint32_t offset = 0;          // of the first record in the image
  std::uint32_t count = 0;           // nodes, not counting the sentinel
  std::vector<std::uint32_t> wraps;  // node indices where first_child passes k * 65536
};

// The children of a node: records [start, start + count) of the next level.
struct ChildRange {
  std::uint32_t start = 0;
  std::uint32_t count = 0;
};

struct Model {
  int order = 0;
  std::uint32_t rom_budget = 0;  // the PRG budget it was pruned to; 0 = not pruned
  std::string start;             // bytes fed to the context before any text (never printed)
  std::array<std::uint16_t, kCodes> qvalue{};
  std::vector<Level> levels;  // levels[k - 1] holds level k
  std::vector<std::byte> image;

  static constexpr std::uint32_t record_size(int level, int order) { return level < order ? 4 : 2; }
  std::uint32_t record_size(int level) const { return record_size(level, order); }
  const Level& level(int k) const { return levels[static_cast<std::size_t>(k - 1)]; }

  std::uint32_t record_offset(int level, std::uint32_t index) const;
  std::uint8_t symbol(int level, std::uint32_t index) const;
  std::uint8_t code(int level, std::uint32_t index) const;
  std::uint32_t q(int level, std::uint32_t index) const { return qvalue[code(level, index)]; }
  // first_child with its wraps restored; index may be the sentinel (== count).
  std::uint32_t first_child(int level, std::uint32_t index) const;
  // Level 0 is the root.
  ChildRange children(int level, std::uint32_t index) const;
  std::uint32_t alphabet_size() const { return levels.empty() ? 0 : level(1).count; }
};

// Bytes of the image for these node counts per level (records and sentinels).
std::uint64_t image_bytes(const std::vector<std::uint32_t>& counts);

// One level's records before layout, in sorted order.
struct LevelRecords {
  std::vector<std::uint8_t> symbol;
  std::vector<std::uint8_t> code;
  std::vector<std::uint32_t> first_child;  // interior levels: one per node plus the sentinel
};

// Lays the levels out one after another (interior levels first, so every record is aligned to
// its size and no record straddles a bank) and fills model.levels and model.image.
void lay_out(Model& model, const std::vector<LevelRecords>& levels);

}  // namespace shoehorn::ngram
