// Block formats of llama.cpp (ggml), laid out exactly as ggml-common.h lays them out, so that
// GGUF tensor data is arrays of these structs' bytes (each multi-byte field in the file's byte
// order; types.hpp lists those fields). In memory the fields are in host order.
//
// 32-value blocks ("legacy" types): value = d * q (Q8_0, Q4_0 with q = nibble - 8, Q5_0 with a
// fifth bit in qh), or d * q + m (Q4_1, Q5_1); IQ4_NL maps each nibble through a fixed table of
// 16 non-uniform levels. 256-value "super-blocks" (K-quants, IQ4_XS, ternary) hold 6- or 8-bit
// sub-block scales under one or two f16 scales. Q8_1 and Q8_K are the activations that Q4_1 /
// Q5_1 and the 256-value types multiply with; no GGUF holds them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace shoehorn {

inline constexpr int kBlockValues = 32;   // values per legacy block (QK4_0 ... QK8_1, QK4_NL)
inline constexpr int kSuperValues = 256;  // values per super-block (QK_K)
inline constexpr int kKScaleBytes = 12;   // Q4_K and Q5_K: 8 six-bit scales and 8 six-bit mins

struct BlockQ8_0 {
  std::uint16_t d;  // f16 bits
  std::int8_t qs[kBlockValues];
};
struct BlockQ4_0 {
  std::uint16_t d;
  std::uint8_t qs[kBlockValues / 2];  // byte j: value j (low nibble), value j + 16 (high)
};
struct BlockQ4_1 {
  std::uint16_t d;
  std::uint16_t m;
  std::uint8_t qs[kBlockValues / 2];
};
struct BlockQ5_0 {
  std::uint16_t d;
  std::uint8_t qh[4];  // bit j of this uint32 (host order, see fifth_bits): value j's fifth bit
  std::uint8_t qs[kBlockValues / 2];
};
struct BlockQ5_1 {
  std::uint16_t d;
  std::uint16_t m;
  std::uint8_t qh[4];
  std::uint8_t qs[kBlockValues / 2];
};
// Q5_0's and Q5_1's qh as the uint32 it is: ggml reads and writes it with memcpy, so its bytes
// are that integer in the host's order in memory, and in the file's order in a file (a byte
// swap reverses all four).
inline std::uint32_t fifth_bits(const std::uint8_t (&qh)[4]) {
  std::uint32_t bits;
  std::memcpy(&bits, qh, sizeof bits);
  return bits;
}
inline void set_fifth_bits(std::uint32_t bits, std::uint8_t (&qh)[4]) {
  std::memcpy(qh, &bits, sizeof bits);
}

struct BlockQ8_1 {
  std::uint16_t d;
  std::uint16_t s;  // d times the sum of qs, as f16
  std::int8_t qs[kBlockValues];
};
struct BlockIQ4_NL {
  std::uint16_t d;
  std::uint8_t qs[kBlockValues / 2];
};

struct BlockQ2_K {
  std::uint8_t scales[kSuperValues / 16];  // per 16 values: scale (low nibble), min (high)
  std::uint8_t qs[kSuperValues / 4];
  std::uint16_t d;
  std::uint16_t dmin;
};
struct BlockQ3_K {
  std::uint8_t hmask[kSuperValues / 8];
  std::uint8_t qs[kSuperValues / 4];
  std::uint8_t scales[12];  // 16 six-bit scales
  std::uint16_t d;
};
struct BlockQ4_K {
  std::uint16_t d;
  std::uint16_t dmin;
  std::uint8_t scales[kKScaleBytes];
  std::uint8_t qs[kSuperValues / 2];
};
struct BlockQ5_K {
  std::uint16_t d;
  std::uint16_t dmin;
  std::uint8_t scales[kKScaleBytes];
  std::uint8_t qh[kSuperValues / 8];
  std::uint8_t qs[kSuperValues / 2];
};
// Q4_K's and Q5_K's sub-block j (< 8): its 6-bit scale and min (ggml's get_scale_min_k4).
// Bytes 0..3 hold scales 0..3, bytes 4..7 mins 0..3, their top two bits the high bits of
// scales 4..7 and mins 4..7; bytes 8..11 the low nibbles of scales 4..7 and, above, of mins 4..7.
struct KScaleMin {
  std::uint8_t scale, min;
};
inline KScaleMin k4_scale_min(const std::uint8_t (&q)[kKScaleBytes], int j) {
  if (j < 4) return {static_cast<std::uint8_t>(q[j] & 63), static_cast<std::uint8_t>(q[j + 4] & 63)};
  return {static_cast<std::uint8_t>((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4)),
          static_cast<std::uint8_t>((q[j + 4] >> 4) | ((q[j] >> 6) << 4))};
}
struct BlockQ6_K {
  std::uint8_t ql[kSuperValues / 2];
  std::uint8_t qh[kSuperValues / 4];
  std::int8_t scales[kSuperValues / 16];
  std::uint16_t d;
};
struct BlockQ8_K {
  float d;
  std::int8_t qs[kSuperValues];
  std::int16_t bsums[kSuperValues / 16];  // the sum of each 16 values
};
struct BlockIQ4_XS {
  std::uint16_t d;
  std::uint16_t scales_h;                  // the high 2 bits of 8 six-bit scales
  std::uint8_t scales_l[kSuperValues / 64];  // their low 4 bits
  std::uint8_t qs[kSuperValues / 2];
};
struct BlockTQ1_0 {
  std::uint8_t qs[(kSuperValues - 4 * kSuperValues / 64) / 5];  // five base-3 digits a byte
  std::uint8_t qh[kSuperValues / 64];                           // four a byte
  std::uint16_t d;
};
struct BlockTQ2_0 {
  std::uint8_t qs[kSuperValues / 4];  // 2 bits a value: 0, 1, 2 = -1, 0, +1
  std::uint16_t d;
};

static_assert(sizeof(BlockQ8_0) == 34 && offsetof(BlockQ8_0, qs) == 2, "ggml's block_q8_0");
static_assert(sizeof(BlockQ4_0) == 18 && offsetof(BlockQ4_0, qs) == 2, "ggml's block_q4_0");
static_assert(sizeof(BlockQ4_1) == 20 && offsetof(BlockQ4_1, qs) == 4, "ggml's block_q4_1");
static_assert(sizeof(BlockQ5_0) == 22 && offsetof(BlockQ5_0, qs) == 6, "ggml's block_q5_0");
static_assert(sizeof(BlockQ5_1) == 24 && offsetof(BlockQ5_1, qs) == 8, "ggml's block_q5_1");
static_assert(sizeof(BlockQ8_1) == 36 && offsetof(BlockQ8_1, qs) == 4, "ggml's block_q8_1");
static_assert(sizeof(BlockIQ4_NL) == 18, "ggml's block_iq4_nl");
static_assert(sizeof(BlockQ2_K) == 84 && offsetof(BlockQ2_K, d) == 80, "ggml's block_q2_K");
static_assert(sizeof(BlockQ3_K) == 110 && offsetof(BlockQ3_K, d) == 108, "ggml's block_q3_K");
static_assert(sizeof(BlockQ4_K) == 144 && offsetof(BlockQ4_K, qs) == 16, "ggml's block_q4_K");
static_assert(sizeof(BlockQ5_K) == 176 && offsetof(BlockQ5_K, qs) == 48, "ggml's block_q5_K");
static_assert(sizeof(BlockQ6_K) == 210 && offsetof(BlockQ6_K, d) == 208, "ggml's block_q6_K");
static_assert(sizeof(BlockQ8_K) == 292 && offsetof(BlockQ8_K, bsums) == 260, "ggml's block_q8_K");
static_assert(sizeof(BlockIQ4_XS) == 136 && offsetof(BlockIQ4_XS, qs) == 8, "ggml's block_iq4_xs");
static_assert(sizeof(BlockTQ1_0) == 54 && offsetof(BlockTQ1_0, d) == 52, "ggml's block_tq1_0");
static_assert(sizeof(BlockTQ2_0) == 66 && offsetof(BlockTQ2_0, d) == 64, "ggml's block_tq2_0");

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

// IQ4_NL's and IQ4_XS's 16 levels (ggml's kvalues_iq4nl).
inline constexpr std::int8_t kIQ4Levels[16] = {-127, -104, -83, -65, -49, -35, -22, -10,
                                               1,    13,   25,  38,  53,  69,  89,  113};

}  // namespace shoehorn
