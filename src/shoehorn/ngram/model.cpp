#include "shoehorn/ngram/model.hpp"

#include "shoehorn/io/byte_order.hpp"

namespace shoehorn::ngram {

std::uint64_t image_bytes(const std::vector<std::uint32_t>& counts) {
  const int order = static_cast<int>(counts.size());
  std::uint64_t bytes = 0;
  for (int k = 1; k <= order; ++k) {
    const std::uint64_t records = counts[static_cast<std::size_t>(k - 1)] + (k < order ? 1 : 0);
    bytes += records * Model::record_size(k, order);
  }
  return bytes;
}

void lay_out(Model& model, const std::vector<LevelRecords>& levels) {
  std::vector<std::uint32_t> counts;
  for (const LevelRecords& l : levels) counts.push_back(static_cast<std::uint32_t>(l.symbol.size()));
  model.image.assign(static_cast<std::size_t>(image_bytes(counts)), std::byte{0});
  model.levels.assign(levels.size(), Level{});
  std::uint32_t offset = 0;
  for (int k = 1; k <= model.order; ++k) {
    const LevelRecords& records = levels[static_cast<std::size_t>(k - 1)];
    Level& level = model.levels[static_cast<std::size_t>(k - 1)];
    level.offset = offset;
    level.count = counts[static_cast<std::size_t>(k - 1)];
    const std::uint32_t size = model.record_size(k);
    const std::uint32_t records_with_sentinel = level.count + (k < model.order ? 1 : 0);
    for (std::uint32_t i = 0; i < records_with_sentinel; ++i) {
      std::byte* record = model.image.data() + offset + i * size;
      if (i < level.count) {
        record[0] = static_cast<std::byte>(records.symbol[i]);
        record[1] = static_cast<std::byte>(records.code[i]);
      }
      if (k < model.order) {
        const std::uint32_t first = records.first_child[i];
        store_u16(record + 2, static_cast<std::uint16_t>(first & 0xFFFF), ByteOrder::little);
        const std::uint32_t previous = i == 0 ? 0 : records.first_child[i - 1];
        for (std::uint32_t high = (previous >> 16) + 1; high <= (first >> 16); ++high) {
          level.wraps.push_back(i);
        }
      }
    }
    offset += records_with_sentinel * size;
  }
}

}  // namespace shoehorn::ngram
