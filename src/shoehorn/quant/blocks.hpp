// Block formats of llama.cpp (ggml), laid out exactly as ggml lays them out, so that GGUF tensor
// data is these structs' bytes (with each f16 scale in the file's byte order).
//
//   Q8_0: 32 values per block: f16 scale d, then 32 int8 q; value = q * d.
//   Q4_0: 32 values per block: f16 scale d, then 16 bytes; byte j holds element j in its low
//         nibble and element j + 16 in its high nibble; value = (nibble - 8) * d.
//
// Quantization follows ggml's reference code (quantize_row_q8_0_ref, quantize_row_q4_0_ref),
// which is what llama.cpp's quantizer uses, so a model quantized here has llama.cpp's bits.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "shoehorn/io/byte_order.hpp"

namespace shoehorn {

// ggml's type ids (GGUF's tensor type field) of the formats shoehorn computes with.
enum class QuantType : std::uint32_t { f32 = 0, f16 = 1, q4_0 = 2, q8_0 = 8 };

const char* to_string(QuantType type);  // "F32", "F16", "Q4_0", "Q8_0"

inline constexpr int kBlockValues = 32;  // values per Q8_0 and Q4_0 block

struct BlockQ8_0 {
  std::uint16_t d;  // f16 bits, host order in memory
  std::int8_t qs[kBlockValues];
};
struct BlockQ4_0 {
  std::uint16_t d;
  std::uint8_t qs[kBlockValues / 2];
};
static_assert(sizeof(BlockQ8_0) == 34 && offsetof(BlockQ8_0, qs) == 2, "ggml's block_q8_0");
static_assert(sizeof(BlockQ4_0) == 18 && offsetof(BlockQ4_0, qs) == 2, "ggml's block_q4_0");

// Eight Q8_0 rows' blocks of one column range, interleaved for SIMD integer dot products: a
// layout in memory only, never in a file. Row r's scale is d[r]; its value 4j + i (j < 8,
// i < 4) is byte 32j + 4r + i of qs, stored as q + 128 (unsigned), so that 32 bytes hold four
// values of each of the eight rows and one 32-bit lane holds one row's four.
inline constexpr int kInterleavedRows = 8;
struct BlockQ8_0x8 {
  std::uint16_t d[kInterleavedRows];
  std::uint8_t qs[kInterleavedRows * kBlockValues];
};
static_assert(sizeof(BlockQ8_0x8) == kInterleavedRows * sizeof(BlockQ8_0), "same bytes as eight blocks");

// Eight Q4_0 rows the same way: row r's byte k (values k and k + 16 in its nibbles) is byte
// 32 (k / 4) + 4r + k % 4 of qs, so each 32 bytes' low nibbles hold four values of each row and
// their high nibbles the four sixteen columns on.
struct BlockQ4_0x8 {
  std::uint16_t d[kInterleavedRows];
  std::uint8_t qs[kInterleavedRows * kBlockValues / 2];
};
static_assert(sizeof(BlockQ4_0x8) == kInterleavedRows * sizeof(BlockQ4_0), "same bytes as eight blocks");

// The value of row `row` (< 8) at column j (< 32) of an interleaved block.
inline int interleaved_value(const BlockQ8_0x8& b, int row, int j) {
  return static_cast<int>(b.qs[(j / 4) * 32 + row * 4 + j % 4]) - 128;
}
inline int interleaved_value(const BlockQ4_0x8& b, int row, int j) {
  const int k = j % 16;
  const int byte = b.qs[(k / 4) * 32 + row * 4 + k % 4];
  return (j < 16 ? byte & 0x0F : byte >> 4) - 8;
}

// Eight rows of `blocks` blocks each (row after row) as `blocks` interleaved blocks.
void interleave_rows(std::span<const BlockQ8_0> rows, int blocks, std::span<BlockQ8_0x8> out);
void interleave_rows(std::span<const BlockQ4_0> rows, int blocks, std::span<BlockQ4_0x8> out);

// Values per block and bytes per block of a type (1 and 4 for F32, 1 and 2 for F16).
int block_values(QuantType type);
int block_bytes(QuantType type);
// Bytes that count values take (count must be a multiple of the block).
std::uint64_t quant_bytes(QuantType type, std::uint64_t count);

// x.size() == kBlockValues * out.size().
void quantize_q8_0(std::span<const float> x, std::span<BlockQ8_0> out);
void quantize_q4_0(std::span<const float> x, std::span<BlockQ4_0> out);
void dequantize(std::span<const BlockQ8_0> blocks, std::span<float> out);
// Row `row` (< 8) of interleaved blocks.
void dequantize(std::span<const BlockQ8_0x8> blocks, int row, std::span<float> out);
void dequantize(std::span<const BlockQ4_0x8> blocks, int row, std::span<float> out);
void dequantize(std::span<const BlockQ4_0> blocks, std::span<float> out);
void dequantize(std::span<const std::uint16_t> halves, std::span<float> out);

// Row-major values as the bytes of a tensor of `type` in `order`: GGUF tensor data.
// values.size() must be a multiple of the type's block.
std::vector<std::byte> encode_values(QuantType type, std::span<const float> values,
                                     ByteOrder order);

// Converts the f16 fields between host order and `order`, in place (both directions: a swap).
void swap_to(ByteOrder order, std::span<std::uint16_t> halves);
void swap_to(ByteOrder order, std::span<BlockQ8_0> blocks);
void swap_to(ByteOrder order, std::span<BlockQ4_0> blocks);

}  // namespace shoehorn
