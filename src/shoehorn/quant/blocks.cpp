#include "shoehorn/quant/blocks.hpp"

#include <algorithm>
#include <cmath>

#include "shoehorn/quant/f16.hpp"
#include "shoehorn/quant/round.hpp"

namespace shoehorn {

const char* to_string(QuantType type) {
  switch (type) {
    case QuantType::f32: return "F32";
    case QuantType::f16: return "F16";
    case QuantType::q4_0: return "Q4_0";
    case QuantType::q8_0: return "Q8_0";
  }
  return "?";
}

int block_values(QuantType type) {
  return type == QuantType::f32 || type == QuantType::f16 ? 1 : kBlockValues;
}

int block_bytes(QuantType type) {
  switch (type) {
    case QuantType::f32: return 4;
    case QuantType::f16: return 2;
    case QuantType::q4_0: return sizeof(BlockQ4_0);
    case QuantType::q8_0: return sizeof(BlockQ8_0);
  }
  return 0;
}

std::uint64_t quant_bytes(QuantType type, std::uint64_t count) {
  return count / static_cast<std::uint64_t>(block_values(type)) *
         static_cast<std::uint64_t>(block_bytes(type));
}

void quantize_q8_0(std::span<const float> x, std::span<BlockQ8_0> out) {
  for (std::size_t b = 0; b < out.size(); ++b) {
    const float* v = x.data() + b * kBlockValues;
    float amax = 0.0f;
    for (int j = 0; j < kBlockValues; ++j) amax = std::max(amax, std::fabs(v[j]));
    // The values divide by the float scale; the block stores it rounded to f16.
    const float d = amax / 127.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    out[b].d = f32_to_f16(d);
    for (int j = 0; j < kBlockValues; ++j) out[b].qs[j] = round_half_away_int8(v[j] * id);
  }
}

void quantize_q4_0(std::span<const float> x, std::span<BlockQ4_0> out) {
  constexpr int kHalf = kBlockValues / 2;
  for (std::size_t b = 0; b < out.size(); ++b) {
    const float* v = x.data() + b * kBlockValues;
    // The value of largest magnitude, with its sign, maps to -8: the one end of the nibble
    // range that has no positive twin.
    float amax = 0.0f, max = 0.0f;
    for (int j = 0; j < kBlockValues; ++j) {
      if (amax < std::fabs(v[j])) {
        amax = std::fabs(v[j]);
        max = v[j];
      }
    }
    const float d = max / -8.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    out[b].d = f32_to_f16(d);
    // ggml truncates value + 8.5 toward zero and caps it at 15.
    auto nibble = [](float scaled) {
      const std::int8_t t = saturate_int8(std::trunc(static_cast<double>(scaled + 8.5f)));
      return static_cast<std::uint8_t>(std::clamp<int>(t, 0, 15));
    };
    for (int j = 0; j < kHalf; ++j) {
      out[b].qs[j] = static_cast<std::uint8_t>(nibble(v[j] * id) | (nibble(v[kHalf + j] * id) << 4));
    }
  }
}

void dequantize(std::span<const BlockQ8_0> blocks, std::span<float> out) {
  for (std::size_t b = 0; b < blocks.size(); ++b) {
    const float d = f16_to_f32(blocks[b].d);
    for (int j = 0; j < kBlockValues; ++j) out[b * kBlockValues + j] = blocks[b].qs[j] * d;
  }
}

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

void dequantize(std::span<const BlockQ8_0x8> blocks, int row, std::span<float> out) {
  dequantize_interleaved(blocks, row, out);
}

void dequantize(std::span<const BlockQ4_0x8> blocks, int row, std::span<float> out) {
  dequantize_interleaved(blocks, row, out);
}

void dequantize(std::span<const BlockQ4_0> blocks, std::span<float> out) {
  constexpr int kHalf = kBlockValues / 2;
  for (std::size_t b = 0; b < blocks.size(); ++b) {
    const float d = f16_to_f32(blocks[b].d);
    for (int j = 0; j < kHalf; ++j) {
      out[b * kBlockValues + j] = static_cast<float>((blocks[b].qs[j] & 0x0F) - 8) * d;
      out[b * kBlockValues + kHalf + j] = static_cast<float>((blocks[b].qs[j] >> 4) - 8) * d;
    }
  }
}

void dequantize(std::span<const std::uint16_t> halves, std::span<float> out) {
  for (std::size_t i = 0; i < halves.size(); ++i) out[i] = f16_to_f32(halves[i]);
}

void swap_to(ByteOrder order, std::span<std::uint16_t> halves) {
  if (order == native_byte_order()) return;
  for (std::uint16_t& h : halves) h = byteswap16(h);
}

void swap_to(ByteOrder order, std::span<BlockQ8_0> blocks) {
  if (order == native_byte_order()) return;
  for (BlockQ8_0& b : blocks) b.d = byteswap16(b.d);
}

void swap_to(ByteOrder order, std::span<BlockQ4_0> blocks) {
  if (order == native_byte_order()) return;
  for (BlockQ4_0& b : blocks) b.d = byteswap16(b.d);
}

namespace {

// Host-order items encoded by fill, swapped to `order`, as bytes.
template <class T, class Fill>
std::vector<std::byte> encoded(std::size_t count, ByteOrder order, Fill fill) {
  std::vector<T> items(count);
  fill(std::span<T>(items));
  swap_to(order, std::span<T>(items));
  const auto bytes = std::as_bytes(std::span<const T>(items));
  return {bytes.begin(), bytes.end()};
}

}  // namespace

std::vector<std::byte> encode_values(QuantType type, std::span<const float> values,
                                     ByteOrder order) {
  switch (type) {
    case QuantType::f32: {
      std::vector<std::byte> out(values.size() * 4);
      encode_f32(values, out, order);
      return out;
    }
    case QuantType::f16:
      return encoded<std::uint16_t>(values.size(), order, [&](std::span<std::uint16_t> h) {
        for (std::size_t i = 0; i < h.size(); ++i) h[i] = f32_to_f16(values[i]);
      });
    case QuantType::q8_0:
      return encoded<BlockQ8_0>(values.size() / kBlockValues, order,
                                [&](std::span<BlockQ8_0> b) { quantize_q8_0(values, b); });
    case QuantType::q4_0:
      return encoded<BlockQ4_0>(values.size() / kBlockValues, order,
                                [&](std::span<BlockQ4_0> b) { quantize_q4_0(values, b); });
  }
  return {};
}

}  // namespace shoehorn
