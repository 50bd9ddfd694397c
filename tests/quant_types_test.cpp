// The 32-value types beyond Q8_0 and Q4_0: Q4_1, Q5_0, Q5_1, IQ4_NL, and the Q8_1 inputs that
// Q4_1 and Q5_1 multiply with. Their quantizers write llama-quantize's bytes (the gguf-types
// files are its output from t256.F32.gguf), their blocks read to the values ggml reads in
// either byte order, and their dot products follow the defined float steps.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cctype>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "shoehorn/format/gguf.hpp"
#include "shoehorn/format/load.hpp"
#include "shoehorn/io/byte_order.hpp"
#include "shoehorn/io/source.hpp"
#include "shoehorn/kernels/kernel_path.hpp"
#include "shoehorn/kernels/ops.hpp"
#include "shoehorn/model/transformer.hpp"
#include "shoehorn/quant/f16.hpp"
#include "shoehorn/quant/type_functions.hpp"
#include "shoehorn/quant/types.hpp"
#include "shoehorn/sample/rng.hpp"
#include "test_util.hpp"
#include "type_test_util.hpp"

namespace shoehorn::test {
namespace {

const WeightType kTypes[] = {WeightType::q4_1, WeightType::q5_0, WeightType::q5_1,
                             WeightType::iq4_nl};


// The first block whose bytes differ (or the count when the sizes differ).
std::size_t first_differing_block(const std::vector<std::byte>& a, const std::vector<std::byte>& b,
                                  std::size_t block_bytes) {
  if (a.size() != b.size()) return std::min(a.size(), b.size()) / block_bytes;
  const auto at = std::mismatch(a.begin(), a.end(), b.begin());
  return static_cast<std::size_t>(at.first - a.begin()) / block_bytes;
}

// Quantizing each F32 tensor of t256.F32.gguf gives, byte for byte, the tensor llama-quantize
// wrote in that type (tensor_types in expected.tsv: 15 of each file's 21 tensors).
TEST(LegacyTypes, QuantizersWriteLlamaQuantizesBytes) {
  const std::vector<TensorBytes> f32 = tensors_of(gguf_types("t256.F32.gguf"));
  for (const WeightType type : kTypes) {
    const TypeTraits& t = traits(type);
    int compared = 0;
    for (const TensorBytes& quantized : tensors_of(gguf_types("t256." + std::string(t.name) + ".gguf"))) {
      if (quantized.type != static_cast<std::uint32_t>(t.ggml_id)) continue;
      const auto source = std::find_if(f32.begin(), f32.end(),
                                       [&](const TensorBytes& s) { return s.name == quantized.name; });
      ASSERT_NE(source, f32.end()) << quantized.name;
      ASSERT_EQ(source->type, 0u) << quantized.name;
      ++compared;
      if (!quantized_in_this_build(quantized.name)) continue;
      std::vector<float> values(source->bytes.size() / 4);
      decode_f32(source->bytes, values, ByteOrder::little);
      const std::vector<std::byte> ours = encode_values(type, values, ByteOrder::little);
      EXPECT_TRUE(ours == quantized.bytes)
          << t.name << " " << quantized.name << ": block "
          << first_differing_block(ours, quantized.bytes, static_cast<std::size_t>(t.block_bytes))
          << " differs first";
    }
    EXPECT_EQ(compared, 15) << t.name;
  }
}

std::vector<std::byte> bytes(std::initializer_list<int> values) {
  std::vector<std::byte> out;
  for (const int v : values) out.push_back(static_cast<std::byte>(v));
  return out;
}

// One block's bytes in a file's byte order, read as the loader reads them (swapped to the
// host's order, then started as a block) and dequantized.
std::vector<float> read_block(WeightType type, std::vector<std::byte> file_bytes, ByteOrder order) {
  EXPECT_EQ(file_bytes.size(), static_cast<std::size_t>(traits(type).block_bytes));
  swap_to(order, type, file_bytes);
  const void* block = traits(type).start_blocks(file_bytes.data(), 1);
  std::vector<float> values(kBlockValues);
  traits(type).dequantize(block, values.data(), values.size());
  return values;
}

// `fields` in the file's byte order, then the quants (bytes, the same in both orders).
std::vector<std::byte> block_bytes(std::vector<std::byte> fields, int quant_bytes, int first_quant,
                                   int last_quant, int others) {
  for (int i = 0; i < quant_bytes; ++i) {
    const int b = i == 0 ? first_quant : i == quant_bytes - 1 ? last_quant : others;
    fields.push_back(static_cast<std::byte>(b));
  }
  return fields;
}

// Both byte orders of one block read to the same hand-computed values.
void expect_block_reads(WeightType type, const std::vector<std::byte>& little,
                        const std::vector<std::byte>& big, const std::vector<float>& expected) {
  for (const auto& [order, file] : {std::pair{ByteOrder::little, little}, std::pair{ByteOrder::big, big}}) {
    const std::vector<float> values = read_block(type, file, order);
    for (int j = 0; j < kBlockValues; ++j) {
      EXPECT_EQ(values[j], expected[j]) << to_string(type) << " " << to_string(order) << " value " << j;
    }
  }
}

// Q4_1: value = nibble d + m, value j in byte j's low nibble, j + 16 in its high one. The
// largest half scales (65504, -65504) and the extreme nibbles.
TEST(LegacyTypes, Q4_1BlocksReadInBothByteOrders) {
  // d = 65504 (0x7BFF), m = -65504 (0xFBFF); byte 0 = 0xF0, byte 15 = 0x0F, the others 0x5A.
  const auto little = block_bytes(bytes({0xFF, 0x7B, 0xFF, 0xFB}), 16, 0xF0, 0x0F, 0x5A);
  const auto big = block_bytes(bytes({0x7B, 0xFF, 0xFB, 0xFF}), 16, 0xF0, 0x0F, 0x5A);
  std::vector<float> expected(kBlockValues);
  for (int j = 0; j < 16; ++j) {
    expected[j] = 10.0f * 65504.0f - 65504.0f;    // 0xA
    expected[j + 16] = 5.0f * 65504.0f - 65504.0f;  // 0x5
  }
  expected[0] = -65504.0f;
  expected[16] = 15.0f * 65504.0f - 65504.0f;
  expected[15] = 15.0f * 65504.0f - 65504.0f;
  expected[31] = -65504.0f;
  expect_block_reads(WeightType::q4_1, little, big, expected);
  EXPECT_EQ(expected[16], 917056.0f);
}

// Q5_0: value = ((nibble | fifth bit << 4) - 16) d, the fifth bits in qh as one uint32 (bit j
// for value j), which the file holds in its own byte order.
TEST(LegacyTypes, Q5_0BlocksReadInBothByteOrders) {
  // d = -2 (0xC000); qh = 0x80000001: values 0 and 31 have their fifth bit; byte 0 = 0xFF,
  // byte 15 = 0x00, the others 0x7F.
  const auto little = block_bytes(bytes({0x00, 0xC0, 0x01, 0x00, 0x00, 0x80}), 16, 0xFF, 0x00, 0x7F);
  const auto big = block_bytes(bytes({0xC0, 0x00, 0x80, 0x00, 0x00, 0x01}), 16, 0xFF, 0x00, 0x7F);
  std::vector<float> expected(kBlockValues);
  for (int j = 0; j < 16; ++j) {
    expected[j] = -2.0f * (15 - 16);    // nibble 0xF, no fifth bit
    expected[j + 16] = -2.0f * (7 - 16);  // 0x7
  }
  expected[0] = -2.0f * 15;    // 31 - 16: the largest
  expected[16] = -2.0f * -1;   // 15 - 16
  expected[15] = -2.0f * -16;  // 0 - 16: the smallest
  expected[31] = 0.0f;         // 16 - 16
  // (Swapping qh as two 16-bit halves, or not at all, would move those bits elsewhere.)
  expect_block_reads(WeightType::q5_0, little, big, expected);
}

// Q5_1: value = (nibble | fifth bit << 4) d + m.
TEST(LegacyTypes, Q5_1BlocksReadInBothByteOrders) {
  // d = 0.5 (0x3800), m = -8 (0xC800); qh = 0x00010002: values 1 and 16; byte 0 = 0x0F,
  // byte 15 = 0xF0, the others 0x00.
  const auto little =
      block_bytes(bytes({0x00, 0x38, 0x00, 0xC8, 0x02, 0x00, 0x01, 0x00}), 16, 0x0F, 0xF0, 0x00);
  const auto big = block_bytes(bytes({0x38, 0x00, 0xC8, 0x00, 0x00, 0x01, 0x00, 0x02}), 16, 0x0F, 0xF0, 0x00);
  std::vector<float> expected(kBlockValues, -8.0f);  // level 0
  expected[0] = 15 * 0.5f - 8.0f;
  expected[1] = 16 * 0.5f - 8.0f;
  expected[16] = 16 * 0.5f - 8.0f;  // high nibble 0 with the fifth bit
  expected[31] = 15 * 0.5f - 8.0f;
  expect_block_reads(WeightType::q5_1, little, big, expected);
}

// IQ4_NL: value = d times the nibble's level (ggml's kvalues_iq4nl).
TEST(LegacyTypes, IQ4_NLBlocksReadInBothByteOrders) {
  // d = 65504: byte j holds level j low and level 15 - j high.
  std::vector<std::byte> little = bytes({0xFF, 0x7B}), big = bytes({0x7B, 0xFF});
  for (int j = 0; j < 16; ++j) {
    little.push_back(static_cast<std::byte>(j | (15 - j) << 4));
    big.push_back(little.back());
  }
  const float levels[16] = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};
  std::vector<float> expected(kBlockValues);
  for (int j = 0; j < 16; ++j) {
    expected[j] = 65504.0f * levels[j];
    expected[j + 16] = 65504.0f * levels[15 - j];
  }
  expect_block_reads(WeightType::iq4_nl, little, big, expected);
  EXPECT_EQ(expected[0], -8319008.0f);  // exact: 65504 x 127 < 2^24
}

// Q4_1 and Q5_1 map [min, max] onto their levels: min is level 0 (the block's m), halves
// round up (ggml adds 0.5 and truncates), and Q5_1's fifth bit goes to qh.
TEST(LegacyTypes, MinimumTypesQuantizeOntoTheirRange) {
  std::vector<float> x(kBlockValues);
  for (int j = 0; j < kBlockValues; ++j) x[j] = static_cast<float>(j % 16) - 3.0f;  // -3 .. 12
  x[5] = 2.5f;  // level 5.5: up to 6
  std::vector<BlockQ4_1> q4(1);
  quantize_q4_1(x.data(), q4.data(), x.size());
  EXPECT_EQ(q4[0].d, f32_to_f16(1.0f));
  EXPECT_EQ(q4[0].m, f32_to_f16(-3.0f));
  EXPECT_EQ(q4[0].qs[5], 6 | 5 << 4);
  for (int j = 6; j < 16; ++j) EXPECT_EQ(q4[0].qs[j], j | j << 4) << j;

  for (int j = 0; j < kBlockValues; ++j) x[j] = static_cast<float>(j) * 0.25f + 1.0f;  // 1 .. 8.75
  std::vector<BlockQ5_1> q5(1);
  quantize_q5_1(x.data(), q5.data(), x.size());
  EXPECT_EQ(q5[0].d, f32_to_f16(0.25f));
  EXPECT_EQ(q5[0].m, f32_to_f16(1.0f));
  const std::uint32_t qh = fifth_bits(q5[0].qh);
  EXPECT_EQ(qh, 0xFFFF0000u);  // levels 16..31 are values 16..31
  for (int j = 0; j < 16; ++j) EXPECT_EQ(q5[0].qs[j], j | j << 4) << j;
  std::vector<float> back(kBlockValues);
  dequantize_q5_1(q5.data(), back.data(), back.size());
  EXPECT_EQ(back, x);
}

// Q5_0: the value of largest magnitude maps to -16 (d = max / -16); ggml adds 16.5 and
// truncates, capping at 31.
TEST(LegacyTypes, Q5_0QuantizesTheSignedMaximumToMinus16) {
  std::vector<float> x(kBlockValues, 0.0f);
  x[0] = 16.0f;   // d = -1: level 0
  x[1] = -15.0f;  // level 31
  x[2] = 0.5f;    // -0.5 + 16.5 = 16
  x[3] = -0.5f;   // 0.5 + 16.5 = 17
  x[20] = -15.9f;  // 15.9 + 16.5 = 32.4: capped at 31
  std::vector<BlockQ5_0> b(1);
  quantize_q5_0(x.data(), b.data(), x.size());
  EXPECT_EQ(b[0].d, 0xBC00u);
  const std::uint32_t qh = fifth_bits(b[0].qh);
  EXPECT_EQ(b[0].qs[0] & 0x0F, 0);
  EXPECT_EQ(qh & 1u, 0u);
  EXPECT_EQ(b[0].qs[1] & 0x0F, 15);
  EXPECT_EQ(qh >> 1 & 1u, 1u);
  EXPECT_EQ(b[0].qs[2] & 0x0F, 0);  // 16: the fifth bit alone
  EXPECT_EQ(qh >> 2 & 1u, 1u);
  EXPECT_EQ(b[0].qs[3] & 0x0F, 1);
  EXPECT_EQ(b[0].qs[4] >> 4, 15);  // value 20: 31 = 0x1F
  EXPECT_EQ(b[0].qs[4] >> 4 | (qh >> 20 & 1u) << 4, 31u);
  std::vector<float> back(kBlockValues);
  dequantize_q5_0(b.data(), back.data(), back.size());
  EXPECT_EQ(back[0], 16.0f);
  EXPECT_EQ(back[1], -15.0f);
  EXPECT_EQ(back[2], 0.0f);
  EXPECT_EQ(back[3], -1.0f);
  EXPECT_EQ(back[20], -15.0f);
}

// IQ4_NL: a block that is its levels times a power of two comes back exactly (the least-squares
// scale is that power); an all-zero block has scale 0 and every value at level 8 (value 1).
TEST(LegacyTypes, IQ4_NLFindsTheScaleOfABlockOnItsLevels) {
  std::vector<float> x(kBlockValues);
  for (int j = 0; j < kBlockValues; ++j) x[j] = 0.25f * kIQ4Levels[(j * 7) % 16];
  std::vector<BlockIQ4_NL> b(1);
  quantize_iq4_nl(x.data(), b.data(), x.size());
  EXPECT_EQ(b[0].d, f32_to_f16(0.25f));
  std::vector<float> back(kBlockValues);
  dequantize_iq4_nl(b.data(), back.data(), back.size());
  EXPECT_EQ(back, x);

  std::fill(x.begin(), x.end(), 0.0f);
  quantize_iq4_nl(x.data(), b.data(), x.size());
  EXPECT_EQ(b[0].d, 0u);
  for (const std::uint8_t q : b[0].qs) EXPECT_EQ(q, 0x88);
}

// Q8_1 inputs as ggml's x86 CPU backend quantizes them: values times 127 / max, rounded half
// to even (not quantize_row_q8_1_ref's 1 / d and half away from zero), s = f16(d x the sum).
TEST(LegacyTypes, Q8_1InputsAreTheX86Backends) {
  std::vector<float> x(2 * kBlockValues, 0.0f);
  const float halves[] = {127.0f, 2.5f, -2.5f, 3.5f, 0.5f, -0.5f, 126.5f, -1.5f};
  std::copy(std::begin(halves), std::end(halves), x.begin());
  // Where 1 / d and 127 / max differ: max 0x1.00001ep+0 makes 0x1.830638p-7 exactly 1.5 at
  // 1 / d (the reference's 2) but 0x1.7ffffep+0 at 127 / max (1).
  x[kBlockValues] = 0x1.00001ep+0f;
  x[kBlockValues + 1] = 0x1.830638p-7f;
  EXPECT_EQ(x[kBlockValues + 1] * (1.0f / (x[kBlockValues] / 127.0f)), 1.5f);
  std::vector<BlockQ8_1> b(2);
  quantize_q8_1(x.data(), b.data(), x.size());
  EXPECT_EQ(b[0].d, 0x3C00u);
  const std::int8_t expected[] = {127, 2, -2, 4, 0, 0, 126, -2};
  for (int j = 0; j < 8; ++j) EXPECT_EQ(b[0].qs[j], expected[j]) << j;
  EXPECT_EQ(b[0].s, f32_to_f16(127.0f + 2 - 2 + 4 + 126 - 2));
  EXPECT_EQ(b[1].d, f32_to_f16(x[kBlockValues] / 127.0f));
  EXPECT_EQ(b[1].qs[0], 127);
  EXPECT_EQ(b[1].qs[1], 1);
  EXPECT_EQ(b[1].s, f32_to_f16(x[kBlockValues] / 127.0f * 128.0f));
  // Zeros: scale 0, quants 0.
  std::fill(x.begin(), x.end(), 0.0f);
  quantize_q8_1(x.data(), b.data(), x.size());
  EXPECT_EQ(b[0].d, 0u);
  EXPECT_EQ(b[0].s, 0u);
  for (const std::int8_t q : b[0].qs) EXPECT_EQ(q, 0);
}

// Corrupt inputs quantize without undefined behaviour: a NaN value, an infinity.
TEST(LegacyTypes, NonFiniteInputsQuantizeToSomething) {
  std::vector<float> x(kBlockValues, 1.0f);
  x[3] = std::numeric_limits<float>::quiet_NaN();
  x[4] = std::numeric_limits<float>::infinity();
  for (const WeightType type : kTypes) {
    const std::vector<std::byte> b = encode_values(type, x, ByteOrder::little);
    EXPECT_EQ(b.size(), static_cast<std::size_t>(traits(type).block_bytes));
  }
  std::vector<BlockQ8_1> q(1);
  quantize_q8_1(x.data(), q.data(), x.size());
  EXPECT_EQ(q[0].qs[0], 0);  // 1 x 127 / inf
  EXPECT_EQ(q[0].qs[4], -128);  // inf x 0 is NaN: vcvtps2dq's 0x80000000, saturated
}

std::vector<float> uniform(std::size_t n, std::uint64_t seed) {
  Xorshift64Star rng(seed);
  std::vector<float> v(n);
  for (float& x : v) x = rng.next_f32() * 2.0f - 1.0f;
  return v;
}

// The integers a block's weights stand for, read from its fields (value j pairs with input j).
int weight_integer(const BlockQ4_1& b, int j) { return j < 16 ? b.qs[j] & 0x0F : b.qs[j - 16] >> 4; }
int fifth_bit(const std::uint8_t (&qh)[4], int j) { return static_cast<int>(fifth_bits(qh) >> j & 1u); }
int weight_integer(const BlockQ5_0& b, int j) {
  const int nibble = j < 16 ? b.qs[j] & 0x0F : b.qs[j - 16] >> 4;
  return (nibble | fifth_bit(b.qh, j) << 4) - 16;
}
int weight_integer(const BlockQ5_1& b, int j) {
  const int nibble = j < 16 ? b.qs[j] & 0x0F : b.qs[j - 16] >> 4;
  return nibble | fifth_bit(b.qh, j) << 4;
}
int weight_integer(const BlockIQ4_NL& b, int j) {
  return kIQ4Levels[j < 16 ? b.qs[j] & 0x0F : b.qs[j - 16] >> 4];
}

// The defined sum of one row: exact integer block sums, then d_w d_x isum (+ m_w s_x), added
// block by block in order.
template <class Block, class Act>
float defined_row_dot(const Block* w, const Act* x, int blocks) {
  float acc = 0.0f;
  for (int b = 0; b < blocks; ++b) {
    int isum = 0;
    for (int j = 0; j < kBlockValues; ++j) isum += weight_integer(w[b], j) * x[b].qs[j];
    float term = static_cast<float>(isum) * (f16_to_f32(w[b].d) * f16_to_f32(x[b].d));
    if constexpr (requires { w[b].m; }) term = term + f16_to_f32(w[b].m) * f16_to_f32(x[b].s);
    acc += term;
  }
  return acc;
}

template <class Block, class Act>
void expect_defined_products(WeightType type, void (*quantize_w)(const float*, Block*, std::size_t)) {
  constexpr int kRows = 5, kCols = 256, kBlocks = kCols / kBlockValues;
  const std::vector<float> wf = uniform(kRows * kCols, 21), xf = uniform(kCols, 22);
  std::vector<Block> w(kRows * kBlocks);
  quantize_w(wf.data(), w.data(), wf.size());
  std::vector<Act> x(kBlocks);
  kernels::MatvecInput in;
  in.f32 = xf;
  if constexpr (std::is_same_v<Act, BlockQ8_1>) {
    quantize_q8_1(xf.data(), x.data(), xf.size());
    in.q8_1 = x;
  } else {
    quantize_q8_0(xf.data(), x.data(), xf.size());
    in.q8_0 = x;
  }
  Matrix m{type, kRows, kCols, 32};
  m.data = w.data();
  std::vector<float> out(kRows);
  kernels::matvec_rows(out, m, in, 0, kRows);
  std::vector<float> wd(wf.size()), xd(xf.size());
  traits(type).dequantize(w.data(), wd.data(), wd.size());
  for (int r = 0; r < kRows; ++r) {
    const float expected = defined_row_dot(w.data() + r * kBlocks, x.data(), kBlocks);
    EXPECT_EQ(std::bit_cast<std::uint32_t>(out[r]), std::bit_cast<std::uint32_t>(expected))
        << to_string(type) << " row " << r;
    // And it is the product of the dequantized rows with the quantized input, near enough.
    double exact = 0;
    for (int b = 0; b < kBlocks; ++b) {
      for (int j = 0; j < kBlockValues; ++j) {
        exact += static_cast<double>(wd[r * kCols + b * kBlockValues + j]) * x[b].qs[j] * f16_to_f32(x[b].d);
      }
    }
    EXPECT_NEAR(out[r], exact, 2e-3 * (1 + std::fabs(exact))) << to_string(type) << " row " << r;
  }
}

// The current path's products are the defined float steps over exact integer sums (every
// path gives these bits: kernels_test), and near the dequantized weights' products.
TEST(LegacyTypes, DotProductsFollowTheDefinedSteps) {
  expect_defined_products<BlockQ4_1, BlockQ8_1>(WeightType::q4_1, quantize_q4_1);
  expect_defined_products<BlockQ5_0, BlockQ8_0>(WeightType::q5_0, quantize_q5_0);
  expect_defined_products<BlockQ5_1, BlockQ8_1>(WeightType::q5_1, quantize_q5_1);
  expect_defined_products<BlockIQ4_NL, BlockQ8_0>(WeightType::iq4_nl, quantize_iq4_nl);
}

// Every path gives the scalar path's bits for batches that fill the SIMD kernels' four-position
// tiles and leave some over, over row ranges that leave rows beside the four-row tiles.
TEST(LegacyTypes, EveryPathGivesTheScalarBitsForEveryBatch) {
  constexpr int kRows = 23, kCols = 256;
  const std::vector<float> wf = uniform(kRows * kCols, 31);
  for (const WeightType type : kTypes) {
    const std::vector<std::byte> blocks = encode_values(type, wf, native_byte_order());
    std::vector<std::byte> storage(blocks);
    Matrix m{type, kRows, kCols, 32};
    m.data = traits(type).start_blocks(storage.data(), storage.size() / static_cast<std::size_t>(traits(type).block_bytes));
    for (const int positions : {1, 4, 6}) {
      const std::vector<float> xf = uniform(static_cast<std::size_t>(positions) * kCols, 32 + positions);
      std::vector<BlockQ8_0> x0(xf.size() / kBlockValues);
      std::vector<BlockQ8_1> x1(xf.size() / kBlockValues);
      quantize_q8_0(xf.data(), x0.data(), xf.size());
      quantize_q8_1(xf.data(), x1.data(), xf.size());
      kernels::MatvecInput in;
      in.f32 = xf;
      in.positions = positions;
      in.q8_0 = x0;
      in.q8_1 = x1;
      expect_every_path_gives_scalar_bits(m, in, to_string(type));
    }
  }
}

// `shoehorn convert --quant TYPE --pure` writes each of these types (stories260K's matrices,
// its classifier too), and the model runs to the same logits on every path.
TEST(LegacyTypes, ConvertWritesEachTypeAndEveryPathRunsItAlike) {
  const std::vector<int> tokens{1, 403, 407, 261, 378, 270, 307, 259, 354, 290, 5};
  for (const WeightType type : kTypes) {
    std::string name = to_string(type);
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const std::string path = scratch_path("legacy-stories260K-" + name + ".gguf");
    const CliResult r = run_cli({"convert", shared_path("models/stories260K.bin"), path, "--quant", name,
                                 "--pure", "-z", shared_path("models/tok512.bin")});
    ASSERT_EQ(r.status, 0) << r.err;
    const Model model = load_model(path);
    // Every matrix of whole blocks (the feed-forward's 172-value rows are not: they stay F16).
    int typed = 0, whole = 0;
    for (const TensorInfo& t : model.file.tensors) {
      typed += t.type == type;
      whole += t.rows > 1 && t.cols % kBlockValues == 0;
    }
    EXPECT_EQ(typed, whole) << name;
    EXPECT_EQ(typed, 31) << name;
    expect_same_logits_on_every_path(model, tokens, name);
  }
}

}  // namespace
}  // namespace shoehorn::test
