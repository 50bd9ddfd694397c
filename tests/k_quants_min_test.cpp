// The K-quants with a minimum: Q4_K, Q5_K, Q2_K. Their quantizers write llama-quantize's bytes
// (the gguf-types files are its output from t256.F32.gguf), their blocks read to the values
// ggml reads in either byte order, their dot products over Q8_K inputs follow the defined float
// steps on every path, and `convert --quant` writes them.
#include <gtest/gtest.h>


#include <algorithm>
#include <bit>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <map>
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

const WeightType kTypes[] = {WeightType::q4_k, WeightType::q5_k, WeightType::q2_k};


std::vector<float> floats_of(const TensorBytes& t) {
  EXPECT_EQ(t.type, 0u) << t.name;
  std::vector<float> values(t.bytes.size() / 4);
  decode_f32(t.bytes, values, ByteOrder::little);
  return values;
}

const TensorBytes& named(const std::vector<TensorBytes>& tensors, const std::string& name) {
  const auto at = std::find_if(tensors.begin(), tensors.end(), [&](const TensorBytes& t) { return t.name == name; });
  if (at == tensors.end()) throw std::runtime_error("no tensor " + name);
  return *at;
}

// The first block whose bytes differ (or the count when the sizes differ).
std::size_t first_differing_block(const std::vector<std::byte>& a, const std::vector<std::byte>& b,
                                  std::size_t block_bytes) {
  if (a.size() != b.size()) return std::min(a.size(), b.size()) / block_bytes;
  const auto at = std::mismatch(a.begin(), a.end(), b.begin());
  return static_cast<std::size_t>(at.first - a.begin()) / block_bytes;
}

// The files that hold tensors of each type, and how many (expected.tsv's tensor_types).
struct Holding {
  WeightType type;
  const char* file;
  int tensors;
};
const Holding kHoldings[] = {
    {WeightType::q4_k, "Q4_K_S", 13}, {WeightType::q4_k, "Q4_K_M", 13}, {WeightType::q4_k, "Q3_K_M", 4},
    {WeightType::q4_k, "TQ1_0", 1},   {WeightType::q4_k, "TQ2_0", 1},   {WeightType::q5_k, "Q5_K_S", 15},
    {WeightType::q5_k, "Q5_K_M", 13}, {WeightType::q5_k, "Q4_K_S", 2},  {WeightType::q5_k, "Q3_K_M", 2},
    {WeightType::q5_k, "Q3_K_L", 6},  {WeightType::q2_k, "Q2_K", 9},
};

// Quantizing each F32 tensor of t256.F32.gguf gives, byte for byte, every tensor that
// llama-quantize wrote in that type in any of the files.
TEST(KQuantsMin, QuantizersWriteLlamaQuantizesBytes) {
  const std::vector<TensorBytes> f32 = tensors_of(gguf_types("t256.F32.gguf"));
  for (const Holding& h : kHoldings) {
    const TypeTraits& t = traits(h.type);
    int compared = 0;
    for (const TensorBytes& quantized : tensors_of(gguf_types("t256." + std::string(h.file) + ".gguf"))) {
      if (quantized.type != static_cast<std::uint32_t>(t.ggml_id)) continue;
      ++compared;
      if (!quantized_in_this_build(quantized.name)) continue;
      const std::vector<std::byte> ours = encode_values(h.type, floats_of(named(f32, quantized.name)), ByteOrder::little);
      EXPECT_TRUE(ours == quantized.bytes)
          << t.name << " " << h.file << " " << quantized.name << ": block "
          << first_differing_block(ours, quantized.bytes, static_cast<std::size_t>(t.block_bytes))
          << " differs first";
    }
    EXPECT_EQ(compared, h.tensors) << t.name << " in " << h.file;
  }
}

// Dequantizing llama-quantize's tensors gives the F32 tensor back within each type's error:
// the root mean square error relative to the tensor's, for these uniform random weights
// 0.0545..0.0548 (Q4_K), 0.0275..0.0277 (Q5_K), 0.2324..0.2334 (Q2_K); a misread field or
// value order gives far more, a wrong minimum or scale rounding a little more.
TEST(KQuantsMin, DequantizedFileTensorsAreNearTheF32Ones) {
  const std::vector<TensorBytes> f32 = tensors_of(gguf_types("t256.F32.gguf"));
  const struct {
    WeightType type;
    const char* file;
    int tensors;
    double low, high;
  } kCases[] = {{WeightType::q4_k, "Q4_K_S", 13, 0.054, 0.055}, {WeightType::q5_k, "Q5_K_S", 15, 0.027, 0.028},
                {WeightType::q2_k, "Q2_K", 9, 0.232, 0.234}};
  for (const auto& c : kCases) {
    const TypeTraits& t = traits(c.type);
    int checked = 0;
    for (TensorBytes& quantized : tensors_of(gguf_types("t256." + std::string(c.file) + ".gguf"))) {
      if (quantized.type != static_cast<std::uint32_t>(t.ggml_id)) continue;
      const std::vector<float> original = floats_of(named(f32, quantized.name));
      std::vector<float> back(original.size());
      swap_to(ByteOrder::little, c.type, quantized.bytes);  // the file's order to the host's
      const void* blocks =
          t.start_blocks(quantized.bytes.data(), quantized.bytes.size() / static_cast<std::size_t>(t.block_bytes));
      t.dequantize(blocks, back.data(), back.size());
      double error = 0, norm = 0;
      for (std::size_t i = 0; i < back.size(); ++i) {
        error += (static_cast<double>(back[i]) - original[i]) * (static_cast<double>(back[i]) - original[i]);
        norm += static_cast<double>(original[i]) * original[i];
      }
      const double relative = std::sqrt(error / norm);
      EXPECT_GT(relative, c.low) << t.name << " " << quantized.name;
      EXPECT_LT(relative, c.high) << t.name << " " << quantized.name;
      ++checked;
    }
    EXPECT_EQ(checked, c.tensors) << t.name;
  }
}

// ---- hand-made blocks ---------------------------------------------------------------------------

// One block's bytes in a file's byte order, read as the loader reads them (swapped to the
// host's order, then started as a block) and dequantized.
std::vector<float> read_block(WeightType type, std::vector<std::byte> file_bytes, ByteOrder order) {
  EXPECT_EQ(file_bytes.size(), static_cast<std::size_t>(traits(type).block_bytes));
  swap_to(order, type, file_bytes);
  const void* block = traits(type).start_blocks(file_bytes.data(), 1);
  std::vector<float> values(kSuperValues);
  traits(type).dequantize(block, values.data(), values.size());
  return values;
}

void put_half(std::vector<std::byte>& bytes, std::size_t at, std::uint16_t h, ByteOrder order) {
  const std::byte lo{static_cast<unsigned char>(h & 0xFF)}, hi{static_cast<unsigned char>(h >> 8)};
  bytes[at] = order == ByteOrder::little ? lo : hi;
  bytes[at + 1] = order == ByteOrder::little ? hi : lo;
}

// Both byte orders of one block read to the same hand-computed values.
void expect_block_reads(WeightType type, const std::vector<std::uint8_t>& quants, std::size_t d_at,
                        std::uint16_t d, std::uint16_t dmin, const std::vector<float>& expected) {
  for (const ByteOrder order : {ByteOrder::little, ByteOrder::big}) {
    std::vector<std::byte> file(quants.size());
    std::transform(quants.begin(), quants.end(), file.begin(), [](std::uint8_t b) { return std::byte{b}; });
    put_half(file, d_at, d, order);
    put_half(file, d_at + 2, dmin, order);
    const std::vector<float> values = read_block(type, file, order);
    for (int v = 0; v < kSuperValues; ++v) {
      ASSERT_EQ(values[v], expected[v]) << to_string(type) << " " << to_string(order) << " value " << v;
    }
  }
}

// Q4_K's and Q5_K's eight 6-bit scales and mins, packed as ggml-common.h describes block_q4_K's
// scales (the high two bits of codes 4..7 above codes 0..3), and the bytes that hold them.
// Small integers times powers of two: exact in double and in float.
float exact(double v) { return static_cast<float>(v); }

constexpr int kScale[8] = {1, 2, 63, 0, 5, 33, 17, 48};
constexpr int kMin[8] = {3, 0, 7, 63, 1, 40, 16, 2};
std::vector<std::uint8_t> k4_scale_bytes() {
  std::vector<std::uint8_t> q(12);
  for (int j = 0; j < 4; ++j) {
    q[j] = static_cast<std::uint8_t>(kScale[j] | (kScale[j + 4] >> 4) << 6);
    q[j + 4] = static_cast<std::uint8_t>(kMin[j] | (kMin[j + 4] >> 4) << 6);
    q[j + 8] = static_cast<std::uint8_t>((kScale[j + 4] & 0xF) | (kMin[j + 4] & 0xF) << 4);
  }
  return q;
}

// Q4_K: value 64c + l (l < 32) is byte 32c + l's low nibble, value 64c + 32 + l its high one;
// 32 values per sub-block, value = d scale level - dmin min.
TEST(KQuantsMin, Q4_KBlocksReadInBothByteOrders) {
  std::vector<std::uint8_t> bytes(4);
  const std::vector<std::uint8_t> scales = k4_scale_bytes();
  bytes.insert(bytes.end(), scales.begin(), scales.end());
  EXPECT_EQ(scales, (std::vector<std::uint8_t>{0x01, 0x82, 0x7F, 0xC0, 0x03, 0x80, 0x47, 0x3F, 0x15, 0x81, 0x01, 0x20}));
  std::vector<float> expected(kSuperValues);
  for (int c = 0; c < 4; ++c) {
    for (int l = 0; l < 32; ++l) {
      const int low = (l + c) % 16, high = (31 - l + 2 * c) % 16;
      bytes.push_back(static_cast<std::uint8_t>(low | high << 4));
      // d = 0.5, dmin = 0.25: every product and difference is exact.
      expected[64 * c + l] = exact(0.5 * kScale[2 * c] * low - 0.25 * kMin[2 * c]);
      expected[64 * c + 32 + l] = exact(0.5 * kScale[2 * c + 1] * high - 0.25 * kMin[2 * c + 1]);
    }
  }
  expect_block_reads(WeightType::q4_k, bytes, 0, 0x3800, 0x3400, expected);
  EXPECT_EQ(expected[64 * 1 + 5], 187.25f);      // sub-block 2: 0.5 x 63 x 6 - 0.25 x 7
  EXPECT_EQ(expected[64 * 3 + 32 + 0], 119.5f);  // sub-block 7 (both high bits): 0.5 x 48 x 5 - 0.25 x 2
}

// Q5_K: Q4_K's nibbles, plus 16 where bit v / 32 of qh[v % 32] is set.
TEST(KQuantsMin, Q5_KBlocksReadInBothByteOrders) {
  std::vector<std::uint8_t> bytes(4);
  const std::vector<std::uint8_t> scales = k4_scale_bytes();
  bytes.insert(bytes.end(), scales.begin(), scales.end());
  for (int l = 0; l < 32; ++l) bytes.push_back(static_cast<std::uint8_t>(l * 37 + 11));
  auto fifth = [](int v) { return ((v % 32 * 37 + 11) & 0xFF) >> (v / 32) & 1; };
  std::vector<float> expected(kSuperValues);
  for (int c = 0; c < 4; ++c) {
    for (int l = 0; l < 32; ++l) {
      const int low = (3 * l + c) % 16, high = (l / 2 + 5 * c) % 16;
      bytes.push_back(static_cast<std::uint8_t>(low | high << 4));
      const int v0 = 64 * c + l, v1 = 64 * c + 32 + l;
      expected[v0] = exact(-2.0 * kScale[2 * c] * (low + 16 * fifth(v0)) - 0.5 * kMin[2 * c]);
      expected[v1] = exact(-2.0 * kScale[2 * c + 1] * (high + 16 * fifth(v1)) - 0.5 * kMin[2 * c + 1]);
    }
  }
  // d = -2 (a negative scale reads as any other), dmin = 0.5.
  expect_block_reads(WeightType::q5_k, bytes, 0, 0xC000, 0x3800, expected);
  // qh[1] = 48 = 0b110000: values 129 and 161 (sub-blocks 4 and 5) have their fifth bit.
  EXPECT_EQ(expected[129], -210.5f);  // -2 x 5 x (5 + 16) - 0.5 x 1
  EXPECT_EQ(expected[97], -31.5f);  // sub-block 3: scale 0, min 63
}

// Q2_K: value v is bits 2 (v % 128 / 32) of byte 32 (v / 128) + v % 32, sub-block v / 16 with
// its scale in the low nibble of scales[v / 16] and its min in the high one; d and dmin last.
TEST(KQuantsMin, Q2_KBlocksReadInBothByteOrders) {
  std::vector<std::uint8_t> bytes;
  for (int g = 0; g < 16; ++g) bytes.push_back(static_cast<std::uint8_t>(g | (15 - g) << 4));
  for (int b = 0; b < 64; ++b) bytes.push_back(static_cast<std::uint8_t>(b * 7 + 3));
  bytes.resize(84);
  std::vector<float> expected(kSuperValues);
  for (int v = 0; v < kSuperValues; ++v) {
    const int level = ((32 * (v / 128) + v % 32) * 7 + 3) % 256 >> (2 * (v % 128 / 32)) & 3;
    const int g = v / 16;
    expected[v] = exact(2.0 * g * level - 1.0 * (15 - g));  // d = 2, dmin = 1
  }
  expect_block_reads(WeightType::q2_k, bytes, 80, 0x4000, 0x3C00, expected);
  EXPECT_EQ(expected[0], -15.0f);   // byte 0 = 3: level 3, but sub-block 0's scale is 0
  EXPECT_EQ(expected[255], 60.0f);  // byte 63 = 188 = 0b10'111100: level 2, scale 15, min 0
}

// ---- dot products -------------------------------------------------------------------------------

std::vector<float> uniform(std::size_t n, std::uint64_t seed) {
  Xorshift64Star rng(seed);
  std::vector<float> v(n);
  for (float& x : v) x = rng.next_f32() * 2.0f - 1.0f;
  return v;
}

// The level of value v and the scale and min codes of its sub-block, read from the fields as
// ggml-common.h lays them out (independently of the kernels' readers).
struct Coded {
  int level, scale, min;
};
int k4_code(const std::uint8_t (&q)[12], int j, bool min) {
  const int low = min ? (j < 4 ? q[j + 4] & 63 : q[j + 4] >> 4) : (j < 4 ? q[j] & 63 : q[j + 4] & 0xF);
  return j < 4 ? low : low | (q[min ? j : j - 4] >> 6) << 4;
}
Coded coded(const BlockQ4_K& b, int v) {
  const int byte = b.qs[v / 64 * 32 + v % 32];
  return {v % 64 < 32 ? byte & 0xF : byte >> 4, k4_code(b.scales, v / 32, false), k4_code(b.scales, v / 32, true)};
}
Coded coded(const BlockQ5_K& b, int v) {
  const int byte = b.qs[v / 64 * 32 + v % 32];
  const int nibble = v % 64 < 32 ? byte & 0xF : byte >> 4;
  return {nibble + 16 * (b.qh[v % 32] >> (v / 32) & 1), k4_code(b.scales, v / 32, false),
          k4_code(b.scales, v / 32, true)};
}
Coded coded(const BlockQ2_K& b, int v) {
  return {b.qs[v / 128 * 32 + v % 32] >> (v % 128 / 32 * 2) & 3, b.scales[v / 16] & 0xF, b.scales[v / 16] >> 4};
}

// The defined sum of one row: per super-block the exact integer sums sum(scale level x) and
// sum(min x) (the latter from the input's values, which bsums sums), then
// (d_w d_x) levels - (dmin_w d_x) mins, added super-block by super-block in order.
template <class Block>
float defined_row_dot(const Block* w, const BlockQ8_K* x, int blocks) {
  float acc = 0.0f;
  for (int b = 0; b < blocks; ++b) {
    long long levels = 0, mins = 0;
    for (int v = 0; v < kSuperValues; ++v) {
      const Coded c = coded(w[b], v);
      levels += static_cast<long long>(c.scale) * c.level * x[b].qs[v];
      mins += static_cast<long long>(c.min) * x[b].qs[v];
    }
    const float d = f16_to_f32(w[b].d) * x[b].d;
    const float dmin = f16_to_f32(w[b].dmin) * x[b].d;
    acc += d * static_cast<float>(levels) - dmin * static_cast<float>(mins);
  }
  return acc;
}

template <class Block>
void expect_defined_products(WeightType type) {
  constexpr int kRows = 5, kCols = 512, kBlocks = kCols / kSuperValues;
  const std::vector<float> wf = uniform(kRows * kCols, 21), xf = uniform(kCols, 22);
  std::vector<Block> w(kRows * kBlocks);
  traits(type).quantize(wf.data(), w.data(), wf.size());
  std::vector<BlockQ8_K> x(kBlocks);
  quantize_q8_k(xf.data(), x.data(), xf.size());
  kernels::MatvecInput in;
  in.f32 = xf;
  in.q8_k = x;
  Matrix m{type, kRows, kCols, 32};
  m.data = w.data();
  std::vector<float> out(kRows);
  kernels::matvec_rows(out, m, in, 0, kRows);
  std::vector<float> wd(wf.size());
  traits(type).dequantize(w.data(), wd.data(), wd.size());
  for (int r = 0; r < kRows; ++r) {
    const float expected = defined_row_dot(w.data() + r * kBlocks, x.data(), kBlocks);
    EXPECT_EQ(std::bit_cast<std::uint32_t>(out[r]), std::bit_cast<std::uint32_t>(expected))
        << to_string(type) << " row " << r << ": " << out[r] << " against " << expected;
    // And it is the product of the dequantized row with the quantized input, near enough.
    double exact = 0;
    for (int b = 0; b < kBlocks; ++b) {
      for (int v = 0; v < kSuperValues; ++v) {
        exact += static_cast<double>(wd[r * kCols + b * kSuperValues + v]) * x[b].qs[v] * x[b].d;
      }
    }
    EXPECT_NEAR(out[r], exact, 1e-4 * (1 + std::fabs(exact))) << to_string(type) << " row " << r;
  }
}

// The current path's products are the defined float steps over exact integer sums, and near
// the dequantized weights' products.
TEST(KQuantsMin, DotProductsFollowTheDefinedSteps) {
  expect_defined_products<BlockQ4_K>(WeightType::q4_k);
  expect_defined_products<BlockQ5_K>(WeightType::q5_k);
  expect_defined_products<BlockQ2_K>(WeightType::q2_k);
}

// The integer sums at their extremes: every level and code at its largest against inputs of
// -128 (a Q8_K block ggml never writes, a product may meet): sums near 2^26 stay exact.
TEST(KQuantsMin, DotProductsOfExtremeBlocksAreExact) {
  BlockQ8_K x{};
  x.d = 1.0f;
  std::fill(std::begin(x.qs), std::end(x.qs), std::int8_t{-128});
  std::fill(std::begin(x.bsums), std::end(x.bsums), std::int16_t{-2048});
  BlockQ5_K q5{};
  q5.d = f32_to_f16(1.0f);
  q5.dmin = f32_to_f16(1.0f);
  std::fill(std::begin(q5.scales), std::end(q5.scales), std::uint8_t{0xFF});
  std::fill(std::begin(q5.qh), std::end(q5.qh), std::uint8_t{0xFF});
  std::fill(std::begin(q5.qs), std::end(q5.qs), std::uint8_t{0xFF});
  const kernels::KernelPath before = kernels::kernel_path();
  for (const kernels::KernelPath path : kernels::supported_kernel_paths()) {
    kernels::set_kernel_path(path);
    // Four rows (one SIMD tile) and one more (the scalar rest).
    std::vector<BlockQ5_K> rows(5, q5);
    kernels::MatvecInput in;
    in.q8_k = std::span<const BlockQ8_K>(&x, 1);
    Matrix m{WeightType::q5_k, 5, kSuperValues, 32};
    m.data = rows.data();
    std::vector<float> out(5);
    kernels::matvec_rows(out, m, in, 0, 5);
    // levels = 63 x 31 x -128 x 256 = -63,995,904 (a float: -63,995,904 exactly, a multiple
    // of 4), mins = 63 x -2048 x 16 = -2,064,384: -63,995,904 + 2,064,384.
    for (int r = 0; r < 5; ++r) EXPECT_EQ(out[r], -61931520.0f) << kernels::to_string(path) << " row " << r;
  }
  kernels::set_kernel_path(before);
}

// Every path gives the scalar path's bits for batches that fill the SIMD kernels'
// four-position tiles and leave some over, over row ranges that leave rows beside the tiles.
TEST(KQuantsMin, EveryPathGivesTheScalarBitsForEveryBatch) {
  constexpr int kRows = 23, kCols = 768;
  const std::vector<float> wf = uniform(kRows * kCols, 31);
  for (const WeightType type : kTypes) {
    std::vector<std::byte> storage = encode_values(type, wf, native_byte_order());
    Matrix m{type, kRows, kCols, 32};
    m.data = traits(type).start_blocks(storage.data(), storage.size() / static_cast<std::size_t>(traits(type).block_bytes));
    for (const int positions : {1, 4, 6}) {
      const std::vector<float> xf = uniform(static_cast<std::size_t>(positions) * kCols, 32 + positions);
      std::vector<BlockQ8_K> x(xf.size() / kSuperValues);
      quantize_q8_k(xf.data(), x.data(), xf.size());
      kernels::MatvecInput in;
      in.f32 = xf;
      in.positions = positions;
      in.q8_k = x;
      expect_every_path_gives_scalar_bits(m, in, to_string(type));
    }
  }
}

// ---- convert -------------------------------------------------------------------------------------

std::string lower(std::string name) {
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name;
}

// `shoehorn convert t256.F32.gguf --quant TYPE --pure` writes every matrix in the type with
// llama-quantize's bytes (the tensors its files hold in that type), and the model runs to the
// same logits on every path.
TEST(KQuantsMin, ConvertWritesEachTypeAndEveryPathRunsItAlike) {
  const struct {
    WeightType type;
    const char* llama_file;  // a file whose tensors of the type are compared
    int compared;
  } kCases[] = {{WeightType::q4_k, "Q4_K_M", 13}, {WeightType::q5_k, "Q5_K_S", 15}, {WeightType::q2_k, "Q2_K", 9}};
  const std::vector<int> tokens{1, 403, 407, 261, 378, 270, 307, 259, 354, 290, 5};
  for (const auto& c : kCases) {
    const std::string name = lower(to_string(c.type));
    const std::string path = scratch_path("kmin-t256-" + name + ".gguf");
    const CliResult r = run_cli({"convert", gguf_types("t256.F32.gguf"), path, "--quant", name, "--pure"});
    ASSERT_EQ(r.status, 0) << r.err;
    const std::vector<TensorBytes> ours = tensors_of(path);
    int typed = 0, compared = 0;
    for (const TensorBytes& t : ours) typed += t.type == static_cast<std::uint32_t>(traits(c.type).ggml_id);
    EXPECT_EQ(typed, 16) << name;  // every matrix: 7 per layer, the embedding, the output
    for (const TensorBytes& theirs : tensors_of(gguf_types("t256." + std::string(c.llama_file) + ".gguf"))) {
      if (theirs.type != static_cast<std::uint32_t>(traits(c.type).ggml_id)) continue;
      EXPECT_TRUE(named(ours, theirs.name).bytes == theirs.bytes) << name << " " << theirs.name;
      ++compared;
    }
    EXPECT_EQ(compared, c.compared) << name;
    const Model model = load_model(path);
    expect_same_logits_on_every_path(model, tokens, name);
  }
}

// Rows that are not whole super-blocks (stories260K's 64-value rows) take llama-quantize's
// fallback types: Q4_K rows as Q5_0, Q5_K as Q5_1, Q2_K as IQ4_NL; the shared classifier Q8_0;
// the 172-value rows, which no 32-value type fits either, F16. The file loads and runs.
TEST(KQuantsMin, ConvertFallsBackForRowsOfPartSuperBlocks) {
  const struct {
    const char* quant;
    const char* fallback;
  } kCases[] = {{"q4_k", "Q5_0"}, {"q5_k", "Q5_1"}, {"q2_k", "IQ4_NL"}};
  for (const auto& c : kCases) {
    const std::string output = scratch_path(std::string("kmin-stories260K-") + c.quant + ".gguf");
    const CliResult r = run_cli({"convert", shared_path("models/stories260K.bin"), output, "--quant",
                                 c.quant, "-z", shared_path("models/tok512.bin")});
    ASSERT_EQ(r.status, 0) << r.err;
    std::map<std::string, std::string> types;
    for (const TensorBytes& t : tensors_of(output)) types[t.name] = ggml_type_name(t.type);
    EXPECT_EQ(types.at("token_embd.weight"), "Q8_0") << c.quant;
    EXPECT_EQ(types.at("blk.0.attn_q.weight"), c.fallback) << c.quant;
    EXPECT_EQ(types.at("blk.4.ffn_up.weight"), c.fallback) << c.quant;
    EXPECT_EQ(types.at("blk.0.ffn_down.weight"), "F16") << c.quant;
    const Model model = load_model(output);
    Transformer t(model, 2);
    for (const float l : t.forward(1, 0)) ASSERT_TRUE(std::isfinite(l)) << c.quant;
  }
}

}  // namespace
}  // namespace shoehorn::test
