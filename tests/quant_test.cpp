// Block formats as ggml lays them out and rounds them: half floats, Q8_0 and Q4_0 bytes, and the
// integer dot products that multiply them.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <vector>

#include "shoehorn/kernels/ops.hpp"
#include "shoehorn/quant/blocks.hpp"
#include "shoehorn/quant/type_functions.hpp"
#include "shoehorn/quant/f16.hpp"

namespace shoehorn {
namespace {

TEST(F16, KnownValues) {
  EXPECT_EQ(f32_to_f16(1.0f), 0x3C00u);
  EXPECT_EQ(f32_to_f16(-2.0f), 0xC000u);
  EXPECT_EQ(f32_to_f16(0.0f), 0x0000u);
  EXPECT_EQ(f32_to_f16(-0.0f), 0x8000u);
  EXPECT_EQ(f32_to_f16(65504.0f), 0x7BFFu);              // the largest half
  EXPECT_EQ(f32_to_f16(65519.99f), 0x7BFFu);
  EXPECT_EQ(f32_to_f16(65520.0f), 0x7C00u);              // the tie rounds to even: infinity
  EXPECT_EQ(f32_to_f16(INFINITY), 0x7C00u);
  EXPECT_EQ(f32_to_f16(-INFINITY), 0xFC00u);
  EXPECT_EQ(f32_to_f16(NAN), 0x7E00u);
  EXPECT_EQ(f32_to_f16(0x1.0p-14f), 0x0400u);            // the smallest normal
  EXPECT_EQ(f32_to_f16(0x1.0p-24f), 0x0001u);            // the smallest subnormal
  EXPECT_EQ(f32_to_f16(0x1.0p-25f), 0x0000u);            // tie between 0 and 2^-24: even
  EXPECT_EQ(f32_to_f16(0x1.8p-25f), 0x0001u);
  EXPECT_EQ(f32_to_f16(0x1.8p-24f), 0x0002u);            // tie between 1 and 2 units: even
  EXPECT_EQ(f32_to_f16(1.0f + 0x1.0p-11f), 0x3C00u);     // tie: stays even
  EXPECT_EQ(f32_to_f16(1.0f + 0x1.8p-10f), 0x3C02u);     // tie: rounds up to even
  EXPECT_EQ(f32_to_f16(0x1.ffcp-15f), 0x0400u);          // subnormal carries into the exponent
  EXPECT_EQ(f16_to_f32(0x3555u), 0x1.554p-2f);
  EXPECT_EQ(f16_to_f32(0x0001u), 0x1.0p-24f);
  EXPECT_EQ(f16_to_f32(0x83FFu), -0x1.ff8p-15f);
  EXPECT_TRUE(std::isnan(f16_to_f32(0x7E00u)));
}

TEST(F16, EveryHalfRoundTripsAndEveryMidpointRoundsToEven) {
  for (std::uint32_t h = 0; h < 0x7C00u; ++h) {  // every finite positive half
    for (const std::uint32_t sign : {0u, 0x8000u}) {
      const auto half = static_cast<std::uint16_t>(h | sign);
      ASSERT_EQ(f32_to_f16(f16_to_f32(half)), half) << std::hex << half;
    }
    if (h + 1 >= 0x7C00u) continue;
    // Halfway to the next half: ties to the even mantissa; a little either side, to the nearest.
    const double lo = f16_to_f32(static_cast<std::uint16_t>(h));
    const double hi = f16_to_f32(static_cast<std::uint16_t>(h + 1));
    const auto mid = static_cast<float>((lo + hi) / 2);  // exact in a float
    ASSERT_EQ(f32_to_f16(mid), (h & 1) ? h + 1 : h) << std::hex << h;
    ASSERT_EQ(f32_to_f16(std::nextafter(mid, 0.0f)), h) << std::hex << h;
    ASSERT_EQ(f32_to_f16(std::nextafter(mid, 1e9f)), h + 1) << std::hex << h;
  }
}

std::vector<std::uint8_t> bytes_of(const std::vector<std::byte>& b) {
  std::vector<std::uint8_t> out;
  for (const std::byte x : b) out.push_back(std::to_integer<std::uint8_t>(x));
  return out;
}

// One block in both byte orders: the f16 scale first (1.0 here, 0x3C00), in the file's order;
// the quants after it are bytes, the same in both.
std::vector<std::uint8_t> block_with_unit_scale(WeightType type, const std::vector<float>& x) {
  const std::vector<std::uint8_t> le = bytes_of(encode_values(type, x, ByteOrder::little));
  const std::vector<std::uint8_t> be = bytes_of(encode_values(type, x, ByteOrder::big));
  EXPECT_EQ(le.size(), static_cast<std::size_t>(traits(type).block_bytes));
  EXPECT_EQ(le[0], 0x00);
  EXPECT_EQ(le[1], 0x3C);
  EXPECT_EQ(be[0], 0x3C);
  EXPECT_EQ(be[1], 0x00);
  EXPECT_TRUE(std::equal(le.begin() + 2, le.end(), be.begin() + 2));
  return le;
}

TEST(Q8_0, BlockBytesAndRounding) {
  // max |x| = 127, so d = 1 (f16 0x3C00) and each value is its own quant; halves round away
  // from zero (ggml's roundf).
  std::vector<float> x(32);
  for (int j = 0; j < 32; ++j) x[j] = static_cast<float>(j * 4 - 63);
  x[0] = 127.0f;
  x[1] = 2.5f;
  x[2] = -2.5f;
  x[3] = 0.49f;
  const std::vector<std::uint8_t> le = block_with_unit_scale(WeightType::q8_0, x);
  ASSERT_EQ(le.size(), 34u);
  EXPECT_EQ(static_cast<std::int8_t>(le[2]), 127);
  EXPECT_EQ(static_cast<std::int8_t>(le[3]), 3);
  EXPECT_EQ(static_cast<std::int8_t>(le[4]), -3);
  EXPECT_EQ(static_cast<std::int8_t>(le[5]), 0);
  for (int j = 4; j < 32; ++j) EXPECT_EQ(static_cast<std::int8_t>(le[2 + j]), j * 4 - 63) << j;
}

TEST(Q8_0, ScaleIsRoundedToHalfButValuesUseTheFloatScale) {
  // max 1.0: d = 1/127 is stored as the nearest half (0x2008), yet the quants divide by the
  // float d, so 1.0 becomes exactly 127.
  std::vector<float> x(32, 0.0f);
  x[5] = 1.0f;
  x[6] = -0.5f;
  std::vector<BlockQ8_0> b(1);
  quantize_q8_0(x, b);
  EXPECT_EQ(b[0].d, f32_to_f16(1.0f / 127.0f));
  EXPECT_EQ(b[0].d, 0x2008u);
  EXPECT_EQ(b[0].qs[5], 127);
  EXPECT_EQ(b[0].qs[6], -64);  // -63.5 rounds away from zero
  std::vector<float> back(32);
  dequantize_q8_0(b.data(), back.data(), back.size());
  EXPECT_EQ(back[5], 127.0f * f16_to_f32(0x2008u));
  // An all-zero block: scale 0, quants 0.
  std::vector<float> zeros(32, 0.0f);
  quantize_q8_0(zeros, b);
  EXPECT_EQ(b[0].d, 0u);
  for (const std::int8_t q : b[0].qs) EXPECT_EQ(q, 0);
}

TEST(Q4_0, NibbleLayoutAndRounding) {
  // The value of largest magnitude is -8, so d = -8 / -8 = 1 and nibble = value + 8. Element j
  // sits in the low nibble of byte j, element j + 16 in its high nibble.
  std::vector<float> x(32);
  for (int j = 0; j < 16; ++j) {
    x[j] = static_cast<float>(j - 8);
    x[16 + j] = static_cast<float>(7 - j);
  }
  const std::vector<std::uint8_t> le = block_with_unit_scale(WeightType::q4_0, x);
  ASSERT_EQ(le.size(), 18u);
  for (int j = 0; j < 16; ++j) EXPECT_EQ(le[2 + j], j | ((15 - j) << 4)) << j;
}

TEST(Q4_0, SignedMaximumAndHalves) {
  // The largest magnitude is +8: d = -1, so +8 is nibble 0 and -7 is nibble 15. ggml adds 8.5
  // and truncates: +0.5 (scaled -0.5) goes to nibble 8, -0.5 (scaled 0.5) to nibble 9.
  std::vector<float> x(32, 0.0f);
  x[0] = 8.0f;
  x[1] = -7.0f;
  x[2] = 0.5f;
  x[3] = -0.5f;
  std::vector<BlockQ4_0> b(1);
  quantize_q4_0(x, b);
  EXPECT_EQ(b[0].d, 0xBC00u);  // -1
  EXPECT_EQ(b[0].qs[0] & 0x0F, 0);
  EXPECT_EQ(b[0].qs[1] & 0x0F, 15);
  EXPECT_EQ(b[0].qs[2] & 0x0F, 8);
  EXPECT_EQ(b[0].qs[3] & 0x0F, 9);
  EXPECT_EQ(b[0].qs[4] & 0x0F, 8);  // 0 stays 0
  std::vector<float> back(32);
  dequantize_q4_0(b.data(), back.data(), back.size());
  EXPECT_EQ(back[0], 8.0f);
  EXPECT_EQ(back[1], -7.0f);
  EXPECT_EQ(back[2], 0.0f);
  EXPECT_EQ(back[3], -1.0f);
}

TEST(Kernels, QuantizedDotProductsAreGgmls) {
  // Two rows of two blocks; input with max 127 so its Q8_0 scale is 1 and its quants are the
  // input itself: the products are exact integers times the weight scales.
  std::vector<float> w(128), x(64);
  for (int i = 0; i < 128; ++i) w[i] = static_cast<float>((i * 7) % 15 - 7);
  for (int i = 0; i < 64; ++i) x[i] = static_cast<float>((i * 5) % 255 - 127);
  std::vector<BlockQ8_0> xq(2);
  quantize_q8_0(x, xq);
  ASSERT_EQ(xq[0].d, 0x3C00u);
  for (const WeightType type : {WeightType::q8_0, WeightType::q4_0}) {
    std::vector<BlockQ8_0> w8(4);
    std::vector<BlockQ4_0> w4(4);
    Matrix m;
    m.rows = 2;
    m.cols = 64;
    if (type == WeightType::q8_0) {
      quantize_q8_0(w, w8);
      m.type = WeightType::q8_0;
      m.data = w8.data();
    } else {
      quantize_q4_0(w, w4);
      m.type = WeightType::q4_0;
      m.data = w4.data();
    }
    std::vector<float> dequantized(128);
    for (int r = 0; r < 2; ++r) {
      kernels::embedding_row(std::span(dequantized).subspan(r * 64, 64), m, r);
    }
    std::vector<float> out(2);
    kernels::MatvecInput in;
    in.f32 = x;
    in.q8_0 = xq;
    kernels::matvec_rows(out, m, in, 0, 2);
    for (int r = 0; r < 2; ++r) {
      double expected = 0;
      for (int j = 0; j < 64; ++j) expected += static_cast<double>(dequantized[r * 64 + j]) * x[j];
      EXPECT_NEAR(out[r], expected, 1e-3 * std::fabs(expected) + 1e-3) << to_string(type) << r;
    }
  }
}

TEST(Kernels, F16MatvecMultipliesTheHalves) {
  const std::vector<float> w = {1.0f, -2.0f, 0.5f, 65504.0f, 0x1.0p-24f, 3.0f};
  std::vector<std::uint16_t> h;
  for (const float v : w) h.push_back(f32_to_f16(v));
  Matrix m;
  m.type = WeightType::f16;
  m.rows = 2;
  m.cols = 3;
  m.data = h.data();
  const std::vector<float> x = {1.0f, 2.0f, 4.0f};
  std::vector<float> out(2);
  kernels::MatvecInput in;
  in.f32 = x;
  in.f16 = x;  // x as F16 weights take it: rounded to halves (these are halves already)
  kernels::matvec_rows(out, m, in, 0, 2);
  EXPECT_EQ(out[0], 1.0f - 4.0f + 2.0f);
  EXPECT_EQ(out[1], 65504.0f + 0x1.0p-23f + 12.0f);
}

}  // namespace
}  // namespace shoehorn
