// Q8_0 and Q4_0 rows interleaved by eight (BlockQ8_0x8, BlockQ4_0x8): the same bytes, placed so
// that one SIMD lane sums one row's block.
#include "shoehorn/quant/f16.hpp"
#include "shoehorn/quant/type_functions.hpp"

namespace shoehorn {

void interleave_rows(std::span<const BlockQ8_0> rows, int blocks, std::span<BlockQ8_0x8> out) {
  for (int b = 0; b < blocks; ++b) {
    for (int r = 0; r < kInterleavedRows; ++r) {
      const BlockQ8_0& from = rows[static_cast<std::size_t>(r) * blocks + b];
      out[b].d[r] = from.d;
      for (int j = 0; j < kBlockValues; ++j) {
        out[b].qs[(j / 4) * 32 + r * 4 + j % 4] = static_cast<std::uint8_t>(from.qs[j] + 128);
      }
    }
  }
}

void interleave_rows(std::span<const BlockQ4_0> rows, int blocks, std::span<BlockQ4_0x8> out) {
  for (int b = 0; b < blocks; ++b) {
    for (int r = 0; r < kInterleavedRows; ++r) {
      const BlockQ4_0& from = rows[static_cast<std::size_t>(r) * blocks + b];
      out[b].d[r] = from.d;
      for (int k = 0; k < kBlockValues / 2; ++k) out[b].qs[(k / 4) * 32 + r * 4 + k % 4] = from.qs[k];
    }
  }
}

namespace {

template <class Block>
void dequantize_interleaved(std::span<const Block> blocks, int row, std::span<float> out) {
  for (std::size_t b = 0; b < blocks.size(); ++b) {
    const float d = f16_to_f32(blocks[b].d[row]);
    for (int j = 0; j < kBlockValues; ++j) {
      out[b * kBlockValues + j] = static_cast<float>(interleaved_value(blocks[b], row, j)) * d;
    }
  }
}

}  // namespace

void dequantize_row(std::span<const BlockQ8_0x8> blocks, int row, std::span<float> out) {
  dequantize_interleaved(blocks, row, out);
}

void dequantize_row(std::span<const BlockQ4_0x8> blocks, int row, std::span<float> out) {
  dequantize_interleaved(blocks, row, out);
}

}  // namespace shoehorn
