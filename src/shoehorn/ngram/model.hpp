// A byte n-gram model as it is built, read and written: the owner of the tables that
// tables.hpp describes (the layout) and reads (Model::tables()).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "shoehorn/ngram/tables.hpp"

namespace shoehorn::ngram {

struct Level {
  std::uint32_t offset = 0;          // of the first record in the image
  std::uint32_t count = 0;           // nodes, not counting the sentinel
  std::vector<std::uint32_t> wraps;  // node indices where first_child passes k * 65536
};

struct Model {
  int order = 0;
  std::uint32_t rom_budget = 0;  // the PRG budget it was pruned to; 0 = not pruned
  std::string start;             // bytes fed to the context before any text (never printed)
  std::array<std::uint16_t, kCodes> qvalue{};
  std::vector<Level> levels;  // levels[k - 1] holds level k
  std::vector<std::byte> image;

  static constexpr std::uint32_t record_size(int level, int order) {
    return Tables<std::byte>::record_size(level, order);
  }
  std::uint32_t record_size(int level) const { return record_size(level, order); }
  const Level& level(int k) const { return levels[static_cast<std::size_t>(k - 1)]; }
  std::uint32_t alphabet_size() const { return levels.empty() ? 0 : level(1).count; }

  // A view of the tables, valid while this model lives and is not changed.
  Tables<std::byte> tables() const {
    Tables<std::byte> t{order, start, qvalue, image};
    for (std::size_t k = 0; k < levels.size(); ++k) {
      t.levels[k] = {levels[k].offset, levels[k].count, levels[k].wraps};
    }
    return t;
  }
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
