// The kernel paths (scalar, AVX2, AVX-512, AMX, NEON) give the same bits for every weight type,
// attention and input quantization; the thread pool runs every task once. Nothing here reads a
// file or needs an operating system: the bare-metal build runs this test on its board too.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cmath>
#include <cstring>
#include <iterator>
#include <limits>
#include <type_traits>
#include <vector>

#include "shoehorn/io/error.hpp"
#include "shoehorn/kernels/kernel_path.hpp"
#include "shoehorn/kernels/ops.hpp"
#include "shoehorn/kernels/thread_pool.hpp"
#include "shoehorn/model/transformer.hpp"
#include "shoehorn/quant/f16.hpp"
#include "shoehorn/quant/type_functions.hpp"
#include "shoehorn/sample/rng.hpp"
#include "kernel_paths.hpp"

namespace shoehorn::test {
namespace {

using kernels::KernelPath;

std::vector<float> uniform(std::size_t n, std::uint64_t seed) {
  Xorshift64Star rng(seed);
  std::vector<float> v(n);
  for (float& x : v) x = rng.next_f32() * 2.0f - 1.0f;
  return v;
}

// Blocks of a type in storage the test owns, started as the loader starts them.
struct TypedBlocks {
  std::vector<std::byte> bytes;
  const void* first = nullptr;
};

TypedBlocks quantized(WeightType type, const std::vector<float>& values) {
  const TypeTraits& t = traits(type);
  const std::size_t blocks = values.size() / static_cast<std::size_t>(t.block_values);
  TypedBlocks out;
  out.bytes.resize(blocks * static_cast<std::size_t>(t.block_bytes));
  void* first = t.start_blocks(out.bytes.data(), blocks);
  t.quantize(values.data(), first, values.size());
  out.first = first;
  return out;
}

// The types a GGUF may hold that shoehorn computes with, and llama2.c's int8 groups.
std::vector<WeightType> computed_types() {
  std::vector<WeightType> types = {WeightType::q8_group};
  for (std::size_t i = 0; i < kWeightTypeCount; ++i) {
    const auto type = static_cast<WeightType>(i);
    if (is_file_type(type)) types.push_back(type);
  }
  return types;
}

// A matrix of every weight type over the same values, with storage the test owns. 37 rows: the
// SIMD kernels' four-row tiles leave one over; 512 columns: two 256-value super-blocks.
struct TestMatrix {
  static constexpr int kRows = 37, kCols = 512;
  std::vector<float> f32 = uniform(static_cast<std::size_t>(kRows) * kCols, 11);
  std::vector<std::int8_t> q;
  std::vector<float> scales;
  std::vector<BlockQ8_0> q8_0 = std::vector<BlockQ8_0>(f32.size() / kBlockValues);
  std::vector<BlockQ4_0> q4_0 = std::vector<BlockQ4_0>(f32.size() / kBlockValues);
  std::vector<std::pair<WeightType, TypedBlocks>> others;

  TestMatrix() {
    quantize_q8_0(f32, q8_0);
    quantize_q4_0(f32, q4_0);
    // The extremes a file may hold: -128 (ggml never writes it, a file can) and 127.
    q8_0[0].qs[0] = -128;
    q8_0[1].qs[5] = 127;
    q.resize(f32.size());
    scales.resize(f32.size() / 32);
    kernels::quantize_q8_groups(f32, {q, scales}, 32);
    for (const WeightType type : computed_types()) {
      if (type == WeightType::q8_group || type == WeightType::q8_0 || type == WeightType::q4_0) continue;
      if (traits(type).quantize == nullptr) {
        ADD_FAILURE() << to_string(type) << " has no quantizer to make test rows";
        continue;
      }
      others.emplace_back(type, quantized(type, f32));
    }
  }

  Matrix of(WeightType type) const {
    Matrix m{type, kRows, kCols, 32};
    switch (type) {
      case WeightType::q8_group: m.data = q.data(); m.scales = scales.data(); break;
      case WeightType::q8_0: m.data = q8_0.data(); break;
      case WeightType::q4_0: m.data = q4_0.data(); break;
      default:
        for (const auto& [t, blocks] : others) {
          if (t == type) m.data = blocks.first;
        }
        if (m.data == nullptr) ADD_FAILURE() << "no test matrix of " << to_string(type);
    }
    return m;
  }
};

// Room for a batch's inputs in every activation type.
struct Scratch {
  Arena arena;
  kernels::InputScratch inputs;
  explicit Scratch(std::size_t values) {
    kernels::Activations all;
    all.groups = all.q8_0 = all.q8_1 = all.q8_k = all.f16 = all.bf16 = true;
    ArenaSizer sizer;
    kernels::input_scratch(sizer, all, values);
    arena = Arena(sizer.plan.bytes());
    inputs = kernels::input_scratch(arena, all, values);
  }
};

TEST(Kernels, ScalarIsAlwaysSupportedAndNamesRoundTrip) {
  const std::vector<KernelPath> paths = kernels::supported_kernel_paths();
  ASSERT_FALSE(paths.empty());
  EXPECT_EQ(paths.front(), KernelPath::scalar);
  EXPECT_EQ(kernels::kernel_path(), paths.back());  // the fastest by default
  for (const KernelPath path : {KernelPath::scalar, KernelPath::avx2, KernelPath::avx512,
                                KernelPath::amx, KernelPath::neon, KernelPath::neon_dot, KernelPath::vmx}) {
    EXPECT_EQ(kernels::parse_kernel_path(kernels::to_string(path)), path);
  }
  EXPECT_FALSE(kernels::parse_kernel_path("sse9"));
  // Each target has its own paths, and NEON wherever the build targets it.
#if defined(__x86_64__)
  EXPECT_THROW(kernels::set_kernel_path(KernelPath::neon), Error);
#else
  EXPECT_THROW(kernels::set_kernel_path(KernelPath::avx2), Error);
#endif
#if defined(__ARM_NEON)
  EXPECT_EQ(paths[1], KernelPath::neon);
#elif defined(__powerpc__) && defined(__linux__)
  EXPECT_EQ(paths.back(), KernelPath::vmx);  // qemu's ppc64 has AltiVec
#elif !defined(__x86_64__)
  EXPECT_EQ(paths.size(), 1u);
#endif
}

// Every row of a batch of three positions, every path, the bits of the scalar path; and the
// scalar Q8_0 and Q4_0 sums follow ggml's definition, block by block in order.
TEST(Kernels, EveryPathGivesTheScalarBitsForEveryWeightType) {
  const TestMatrix m;
  constexpr int kPositions = 3;
  const std::vector<float> x = uniform(static_cast<std::size_t>(kPositions) * TestMatrix::kCols, 5);
  const Scratch scratch(x.size());

  for (const WeightType type : computed_types()) {
    const Matrix matrix = m.of(type);
    // The input as the scalar path quantizes it; every path quantizes it to the same bytes
    // (EveryPathQuantizesInputsLikeTheReference).
    const KernelPath before = kernels::kernel_path();
    kernels::set_kernel_path(KernelPath::scalar);
    const kernels::MatvecInput in = kernels::prepare_input(std::span(&matrix, 1), x, kPositions, scratch.inputs);
    kernels::set_kernel_path(before);
    const std::vector<BlockQ8_0> xq(in.q8_0.begin(), in.q8_0.end());
    std::vector<float> scalar;
    for_each_path([&](KernelPath path) {
      std::vector<float> out(static_cast<std::size_t>(kPositions) * TestMatrix::kRows, -1.0f);
      // Two calls over uneven row ranges, as threads split a matrix.
      kernels::matvec_rows(out, matrix, in, 0, 13);
      kernels::matvec_rows(out, matrix, in, 13, TestMatrix::kRows);
      if (path == KernelPath::scalar) {
        scalar = out;
      } else {
        EXPECT_EQ(bits_of(out), bits_of(scalar)) << to_string(type) << " " << to_string(path);
      }
    });
    if (type != WeightType::q8_0) continue;
    // Row 0, position 2, by hand: exact int32 block sums, scaled and added in block order.
    const int blocks = TestMatrix::kCols / kBlockValues;
    float expected = 0.0f;
    for (int b = 0; b < blocks; ++b) {
      const BlockQ8_0& w = m.q8_0[static_cast<std::size_t>(b)];
      const BlockQ8_0& v = xq[static_cast<std::size_t>(2 * blocks + b)];
      int isum = 0;
      for (int j = 0; j < kBlockValues; ++j) isum += w.qs[j] * v.qs[j];
      expected += static_cast<float>(isum) * (f16_to_f32(w.d) * f16_to_f32(v.d));
    }
    EXPECT_EQ(std::bit_cast<std::uint32_t>(scalar[2 * TestMatrix::kRows]),
              std::bit_cast<std::uint32_t>(expected));
  }
}

// F32 rows keep llama2.c's order on every path: each row's products added one by one in column
// order from 0, written out here; rows past the SIMD tiles of eight, columns past the last whole
// eight (172, stories260K's hidden_dim), batches that fill the four-position tiles and leave some
// over, and the rows split between calls away from a tile boundary.
TEST(Kernels, F32RowsAddInColumnOrderOnEveryPath) {
  constexpr int kRows = 21, kCols = 172;
  const std::vector<float> w = uniform(static_cast<std::size_t>(kRows) * kCols, 31);
  const Matrix matrix{WeightType::f32, kRows, kCols, 0, w.data()};
  for (const int positions : {1, 3, 4, 9}) {
    const std::vector<float> x = uniform(static_cast<std::size_t>(positions) * kCols, 33);
    kernels::MatvecInput in;
    in.f32 = x;
    in.positions = positions;
    std::vector<float> expected(static_cast<std::size_t>(positions) * kRows);
    for (int p = 0; p < positions; ++p) {
      for (int r = 0; r < kRows; ++r) {
        float sum = 0.0f;
        for (int j = 0; j < kCols; ++j) {
          const float product = w[static_cast<std::size_t>(r) * kCols + j] * x[static_cast<std::size_t>(p) * kCols + j];
          sum += product;
        }
        expected[static_cast<std::size_t>(p) * kRows + r] = sum;
      }
    }
    for_each_path([&](KernelPath path) {
      std::vector<float> out(expected.size(), -1.0f);
      kernels::matvec_rows(out, matrix, in, 0, 3);
      kernels::matvec_rows(out, matrix, in, 3, kRows);
      EXPECT_EQ(bits_of(out), bits_of(expected)) << to_string(path) << " positions " << positions;
    });
  }
}

// F16 and BF16 rows: the inputs are x rounded to the weights' type, and every path gives the
// defined order's bits (column j in lane j % 16 by fused multiply-adds, lanes added in halves),
// written out here by hand, for rows whose length is no multiple of 16 and batches that fill
// the SIMD tiles (2 and 4 positions) and leave some over.
TEST(Kernels, HalfRowsKeepTheirLaneOrderOnEveryPath) {
  constexpr int kRows = 11, kCols = 200;
  const std::vector<float> f32 = uniform(static_cast<std::size_t>(kRows) * kCols, 21);
  for (const WeightType type : {WeightType::f16, WeightType::bf16}) {
    const bool brain = type == WeightType::bf16;
    std::vector<std::uint16_t> halves(f32.size());
    for (std::size_t i = 0; i < f32.size(); ++i) halves[i] = brain ? f32_to_bf16(f32[i]) : f32_to_f16(f32[i]);
    const auto widen = [brain](std::uint16_t h) { return brain ? bf16_to_f32(h) : f16_to_f32(h); };
    const Matrix matrix{type, kRows, kCols, 0, halves.data()};
    for (const int positions : {1, 2, 5, 9}) {
      const std::vector<float> x = uniform(static_cast<std::size_t>(positions) * kCols, 7);
      const Scratch scratch(x.size());
      const kernels::MatvecInput in = kernels::prepare_input(std::span(&matrix, 1), x, positions, scratch.inputs);
      const std::span<const float> rounded = brain ? in.bf16 : in.f16;
      ASSERT_EQ(rounded.size(), x.size());
      std::vector<float> expected(static_cast<std::size_t>(positions) * kRows);
      for (int p = 0; p < positions; ++p) {
        for (int r = 0; r < kRows; ++r) {
          float lane[16] = {};
          for (int j = 0; j < kCols; ++j) {
            const float xj = x[static_cast<std::size_t>(p) * kCols + j];
            const float xr = brain ? bf16_to_f32(f32_to_bf16(xj)) : f16_to_f32(f32_to_f16(xj));
            ASSERT_EQ(rounded[static_cast<std::size_t>(p) * kCols + j], xr);
            lane[j % 16] = std::fma(widen(halves[static_cast<std::size_t>(r) * kCols + j]), xr, lane[j % 16]);
          }
          for (int width = 8; width >= 1; width /= 2) {
            for (int i = 0; i < width; ++i) lane[i] += lane[i + width];
          }
          expected[static_cast<std::size_t>(p) * kRows + r] = lane[0];
        }
      }
      for_each_path([&](KernelPath path) {
        std::vector<float> out(expected.size(), -1.0f);
        kernels::matvec_rows(out, matrix, in, 0, 5);
        kernels::matvec_rows(out, matrix, in, 5, kRows);
        EXPECT_EQ(bits_of(out), bits_of(expected)) << to_string(type) << " " << to_string(path)
                                                   << " positions " << positions;
      });
    }
    // NaN weights (two NaNs of other payloads and signs meeting in a lane and in the adds):
    // every path gives the one quiet NaN, 0x7FC00000, whatever order its operands took.
    std::vector<std::uint16_t> nans = halves;
    nans[3] = brain ? 0xFFC1 : 0xFE01;
    nans[19] = brain ? 0x7F81 : 0x7C01;
    nans[kCols + 40] = brain ? 0xFF90 : 0xFC10;
    const Matrix with_nans{type, kRows, kCols, 0, nans.data()};
    const std::vector<float> x = uniform(static_cast<std::size_t>(kCols) * 5, 7);
    const Scratch scratch(x.size());
    const kernels::MatvecInput in = kernels::prepare_input(std::span(&with_nans, 1), x, 5, scratch.inputs);
    for_each_path([&](KernelPath path) {
      std::vector<float> out(static_cast<std::size_t>(5) * kRows);
      kernels::matvec_rows(out, with_nans, in, 0, kRows);
      for (int p = 0; p < 5; ++p) {
        for (int r = 0; r < 2; ++r) {
          EXPECT_EQ(std::bit_cast<std::uint32_t>(out[static_cast<std::size_t>(p) * kRows + r]), 0x7FC00000u)
              << to_string(type) << " " << to_string(path) << " row " << r << " position " << p;
        }
      }
    });
  }
}

// Rows interleaved by eight give the plain rows' bits on every path: for batches that fill the
// SIMD kernels' four-position tiles (and AMX's sixteen) and leave some over, with the rows split
// between calls at a group boundary; an embedding row reads back.
void expect_interleaved_like_plain(const Matrix& plain, const Matrix& interleaved) {
  // 35 positions: two of AMX's 16-position tiles and three left over.
  for (const int positions : {1, 4, 7, 35}) {
    const std::vector<float> x = uniform(static_cast<std::size_t>(positions) * plain.cols, 9);
    std::vector<BlockQ8_0> xq(x.size() / kBlockValues);
    quantize_q8_0(x, xq);
    std::vector<std::int32_t> sums(xq.size());
    kernels::block_sums(xq, sums);
    kernels::MatvecInput in;
    in.f32 = x;
    in.positions = positions;
    in.q8_0 = xq;
    in.q8_0_sums = sums;
    std::vector<float> expected(static_cast<std::size_t>(positions) * plain.rows);
    const KernelPath before = kernels::kernel_path();
    kernels::set_kernel_path(KernelPath::scalar);
    kernels::matvec_rows(expected, plain, in, 0, plain.rows);
    kernels::set_kernel_path(before);
    for_each_path([&](KernelPath path) {
      std::vector<float> out(expected.size(), -1.0f);
      // [8, 32): a pair of groups for AMX's 16-row tiles and one group left over.
      kernels::matvec_rows(out, interleaved, in, 0, 8);
      kernels::matvec_rows(out, interleaved, in, 8, plain.rows);
      EXPECT_EQ(bits_of(out), bits_of(expected))
          << to_string(interleaved.type) << " " << positions << " positions, " << to_string(path);
    });
  }
  std::vector<float> row(static_cast<std::size_t>(plain.cols)), plain_row(row.size());
  for (const int r : {0, 5, 31}) {
    kernels::embedding_row(row, interleaved, r);
    kernels::embedding_row(plain_row, plain, r);
    EXPECT_EQ(bits_of(row), bits_of(plain_row)) << to_string(interleaved.type) << " row " << r;
  }
}

// Groups of eight of the first 32 rows of blocks (kBlocks per row).
template <class Interleaved, class Block>
std::vector<Interleaved> interleaved_groups(const std::vector<Block>& blocks) {
  constexpr int kGroups = 4, kBlocks = TestMatrix::kCols / kBlockValues;
  constexpr std::size_t kGroupBlocks = static_cast<std::size_t>(kInterleavedRows) * kBlocks;
  std::vector<Interleaved> out(static_cast<std::size_t>(kGroups) * kBlocks);
  for (std::size_t g = 0; g < kGroups; ++g) {
    interleave_rows(std::span(blocks).subspan(g * kGroupBlocks, kGroupBlocks), kBlocks,
                    std::span(out).subspan(g * kBlocks, kBlocks));
  }
  return out;
}

TEST(Kernels, InterleavedRowsGiveThePlainRowsBits) {
  TestMatrix m;
  // Q4_0's extreme nibbles (values -8 and 7) in row 0; Q8_0's -128 and 127 are there already.
  m.q4_0[0].qs[0] = 0xF0;
  m.q4_0[1].qs[3] = 0x0F;
  const std::vector<BlockQ8_0x8> q8 = interleaved_groups<BlockQ8_0x8>(m.q8_0);
  const std::vector<BlockQ4_0x8> q4 = interleaved_groups<BlockQ4_0x8>(m.q4_0);
  EXPECT_EQ(interleaved_value(q8[0], 0, 0), -128);
  EXPECT_EQ(interleaved_value(q8[1], 0, 5), 127);
  EXPECT_EQ(interleaved_value(q4[0], 0, 0), -8);
  EXPECT_EQ(interleaved_value(q4[0], 0, 16), 7);
  EXPECT_EQ(interleaved_value(q4[1], 0, 3), 7);
  EXPECT_EQ(interleaved_value(q4[1], 0, 19), -8);

  Matrix plain8 = m.of(WeightType::q8_0), plain4 = m.of(WeightType::q4_0);
  plain8.rows = plain4.rows = 32;
  Matrix x8{WeightType::q8_0x8, 32, TestMatrix::kCols, 0};
  x8.data = q8.data();
  Matrix x4{WeightType::q4_0x8, 32, TestMatrix::kCols, 0};
  x4.data = q4.data();
  expect_interleaved_like_plain(plain8, x8);
  expect_interleaved_like_plain(plain4, x4);
}

// Attention's scores and weighted sums: the scalar path's bits on every path, for head sizes
// the SIMD code takes (48, 64) and one it leaves to scalar code (12), and position counts that
// fill its eight-position groups and leave some over.
TEST(Kernels, AttentionIsTheSameOnEveryPath) {
  for (const int head_size : {12, 48, 64}) {
    for (const int count : {1, 8, 37}) {
      const std::vector<float> q = uniform(static_cast<std::size_t>(head_size), 21);
      const std::vector<float> keys = uniform(static_cast<std::size_t>(count) * head_size, 22);
      const std::vector<float> values = uniform(static_cast<std::size_t>(count) * head_size, 23);
      std::vector<std::uint16_t> keys16, values16;  // the same cache in half floats
      for (const float k : keys) keys16.push_back(f32_to_f16(k));
      for (const float v : values) values16.push_back(f32_to_f16(v));
      std::vector<float> scalar_scores, scalar_mix, scalar_scores16, scalar_mix16;
      for_each_path([&](KernelPath path) {
        std::vector<float> scores(static_cast<std::size_t>(count)), mix(static_cast<std::size_t>(head_size), -1.0f);
        kernels::attention_scores(scores, q.data(), keys.data(), head_size, 6.9282f);
        kernels::attention_mix(mix, scores, values.data());
        std::vector<float> scores16(scores.size()), mix16(mix.size(), -1.0f);
        kernels::attention_scores(scores16, q.data(), keys16.data(), head_size, 6.9282f);
        kernels::attention_mix(mix16, scores16, values16.data());
        if (path == KernelPath::scalar) {
          scalar_scores = scores;
          scalar_mix = mix;
          scalar_scores16 = scores16;
          scalar_mix16 = mix16;
          float first16 = 0.0f;
          for (int i = 0; i < head_size; ++i) first16 += q[i] * f16_to_f32(keys16[i]);
          EXPECT_EQ(std::bit_cast<std::uint32_t>(scores16[0]), std::bit_cast<std::uint32_t>(first16 / 6.9282f));
          float first = 0.0f;  // position 0's score by hand, in order
          for (int i = 0; i < head_size; ++i) first += q[i] * keys[i];
          EXPECT_EQ(std::bit_cast<std::uint32_t>(scores[0]), std::bit_cast<std::uint32_t>(first / 6.9282f));
        } else {
          EXPECT_EQ(bits_of(scores), bits_of(scalar_scores)) << head_size << " " << count << " " << to_string(path);
          EXPECT_EQ(bits_of(mix), bits_of(scalar_mix)) << head_size << " " << count << " " << to_string(path);
          EXPECT_EQ(bits_of(scores16), bits_of(scalar_scores16)) << head_size << " " << count << " " << to_string(path);
          EXPECT_EQ(bits_of(mix16), bits_of(scalar_mix16)) << head_size << " " << count << " " << to_string(path);
        }
      });
    }
  }
}

// An int8 cache: the integers take the float cache's arithmetic on every path, and each
// position's scale multiplies once outside it.
TEST(Kernels, Int8CacheAttentionIsTheSameOnEveryPath) {
  for (const int head_size : {12, 48, 64}) {
    for (const int count : {1, 8, 37}) {
      const std::vector<float> q = uniform(static_cast<std::size_t>(head_size), 31);
      const std::vector<float> key_floats = uniform(static_cast<std::size_t>(count) * head_size, 32);
      const std::vector<float> value_floats = uniform(static_cast<std::size_t>(count) * head_size, 33);
      std::vector<std::int8_t> keys(key_floats.size()), values(value_floats.size());
      std::vector<float> key_scales, value_scales;
      for (int t = 0; t < count; ++t) {
        const std::size_t at = static_cast<std::size_t>(t) * head_size;
        key_scales.push_back(kernels::quantize_cached(std::span(key_floats).subspan(at, head_size), keys.data() + at));
        value_scales.push_back(kernels::quantize_cached(std::span(value_floats).subspan(at, head_size), values.data() + at));
      }
      keys[0] = -128;  // the one int8 value quantize_cached never writes still widens exactly
      std::vector<float> scalar_scores, scalar_mix;
      for_each_path([&](KernelPath path) {
        std::vector<float> scores(static_cast<std::size_t>(count)), mix(static_cast<std::size_t>(head_size), -1.0f);
        kernels::attention_scores(scores, q.data(), keys.data(), key_scales.data(), head_size, 6.9282f);
        const std::vector<float> weights = scores;
        kernels::attention_mix(mix, scores, values.data(), value_scales.data());
        if (path == KernelPath::scalar) {
          scalar_scores = weights;
          scalar_mix = mix;
          float first = 0.0f;  // position 0's score by hand
          for (int i = 0; i < head_size; ++i) first += q[i] * static_cast<float>(keys[i]);
          EXPECT_EQ(std::bit_cast<std::uint32_t>(weights[0]),
                    std::bit_cast<std::uint32_t>(first / 6.9282f * key_scales[0]));
          float last = 0.0f;  // the mix's last element by hand
          for (int t = 0; t < count; ++t) {
            last += weights[t] * value_scales[t] * static_cast<float>(values[(t + 1) * head_size - 1]);
          }
          EXPECT_EQ(std::bit_cast<std::uint32_t>(mix.back()), std::bit_cast<std::uint32_t>(last));
        } else {
          EXPECT_EQ(bits_of(weights), bits_of(scalar_scores)) << head_size << " " << count << " " << to_string(path);
          EXPECT_EQ(bits_of(mix), bits_of(scalar_mix)) << head_size << " " << count << " " << to_string(path);
        }
      });
    }
  }
}

// A cached vector's int8 values: v / (max |v| / 127), halves away from zero; zeros stay zero.
TEST(Kernels, CachedVectorsQuantizeToTheirLargestMagnitude) {
  const std::vector<float> v{2.54f, -0.01f, 0.03f, -2.54f, 1.27f, 0.0f, -0.05f, 0.0299f};
  std::vector<std::int8_t> q(v.size());
  const float s = kernels::quantize_cached(v, q.data());
  EXPECT_EQ(s, 2.54f / 127.0f);
  std::vector<int> expected;
  for (const float x : v) expected.push_back(static_cast<int>(std::round(x / s)));
  EXPECT_EQ(std::vector<int>(q.begin(), q.end()), expected);
  EXPECT_EQ(expected[0], 127);
  EXPECT_EQ(expected[3], -127);
  EXPECT_EQ(expected[4], 64);  // 63.5 rounds away from zero
  const std::vector<float> zeros(4, 0.0f);
  std::vector<std::int8_t> z(4, 9);
  EXPECT_EQ(kernels::quantize_cached(zeros, z.data()), 0.0f);
  EXPECT_EQ(z, std::vector<std::int8_t>(4, 0));
}

// The inputs' Q8_0 blocks on every path are ggml's reference bytes, edge values included.
TEST(Kernels, EveryPathQuantizesInputsLikeTheReference) {
  std::vector<float> x = uniform(kBlockValues * 8, 3);
  float* block = x.data() + kBlockValues;  // max 127: scale 1, so the values round as they are
  const float halves[] = {127.0f, 2.5f, -2.5f, 0.5f, -0.5f, 126.5f, -0.49999997f, 1.4999999f, -0.0f};
  std::copy(std::begin(halves), std::end(halves), block);
  x[2 * kBlockValues + 3] = std::numeric_limits<float>::quiet_NaN();
  x[3 * kBlockValues + 4] = std::numeric_limits<float>::infinity();
  std::fill_n(x.data() + 4 * kBlockValues, kBlockValues, 0.0f);
  std::fill_n(x.data() + 5 * kBlockValues, kBlockValues, -0.0f);
  x[6 * kBlockValues + 7] = -3e38f;
  std::vector<BlockQ8_0> reference(8);
  quantize_q8_0(x, reference);
  EXPECT_EQ(reference[1].qs[1], 3);  // 2.5 away from zero
  EXPECT_EQ(reference[1].qs[6], 0);
  for_each_path([&](KernelPath path) {
    std::vector<BlockQ8_0> blocks(8);
    kernels::quantize_input_q8_0(x, blocks);
    for (std::size_t b = 0; b < blocks.size(); ++b) {
      EXPECT_EQ(blocks[b].d, reference[b].d) << to_string(path) << " block " << b;
      EXPECT_TRUE(std::equal(std::begin(blocks[b].qs), std::end(blocks[b].qs),
                             std::begin(reference[b].qs)))
          << to_string(path) << " block " << b;
    }
  });
}

// The inputs' Q8_1 blocks (Q4_1's and Q5_1's) on every path are quantize_q8_1's bytes (ggml's
// x86 backend's), the same edge values included.
TEST(Kernels, EveryPathQuantizesQ8_1InputsLikeTheReference) {
  std::vector<float> x = uniform(kBlockValues * 8, 3);
  float* block = x.data() + kBlockValues;  // max 127: 127 / max is 1, the values round as they are
  const float halves[] = {127.0f, 2.5f, -2.5f, 0.5f, -0.5f, 126.5f, -0.49999997f, 1.4999999f, -0.0f};
  std::copy(std::begin(halves), std::end(halves), block);
  x[2 * kBlockValues + 3] = std::numeric_limits<float>::quiet_NaN();
  x[2 * kBlockValues + 8] = std::numeric_limits<float>::quiet_NaN();  // in the first vector's lane
  x[3 * kBlockValues + 4] = std::numeric_limits<float>::infinity();
  std::fill_n(x.data() + 4 * kBlockValues, kBlockValues, 0.0f);
  std::fill_n(x.data() + 5 * kBlockValues, kBlockValues, -0.0f);
  x[6 * kBlockValues + 7] = -3e38f;
  std::vector<BlockQ8_1> reference(8);
  quantize_q8_1(x.data(), reference.data(), x.size());
  EXPECT_EQ(reference[1].qs[1], 2);  // 2.5 to even
  const Scratch scratch(x.size());
  const Matrix q4_1{WeightType::q4_1, 1, static_cast<int>(x.size()), 32};
  for_each_path([&](KernelPath path) {
    const kernels::MatvecInput in = kernels::prepare_input(std::span(&q4_1, 1), x, 1, scratch.inputs);
    ASSERT_EQ(in.q8_1.size(), reference.size());
    for (std::size_t b = 0; b < reference.size(); ++b) {
      EXPECT_EQ(in.q8_1[b].d, reference[b].d) << to_string(path) << " block " << b;
      EXPECT_EQ(in.q8_1[b].s, reference[b].s) << to_string(path) << " block " << b;
      EXPECT_TRUE(std::equal(std::begin(in.q8_1[b].qs), std::end(in.q8_1[b].qs),
                             std::begin(reference[b].qs)))
          << to_string(path) << " block " << b;
    }
  });
}

TEST(Kernels, ThreadPoolRunsEveryTaskOnce) {
  for (const int threads : {1, 2, 5}) {
    ThreadPool pool(threads);
    std::vector<std::atomic<int>> runs(97);
    for (int region = 0; region < 300; ++region) {
      const int tasks = 1 + region % 97;
      auto task = [&](int i) { runs[static_cast<std::size_t>(i)].fetch_add(1); };
      pool.run(tasks, task);
    }
    for (std::size_t i = 0; i < runs.size(); ++i) {
      int expected = 0;
      for (int region = 0; region < 300; ++region) expected += static_cast<int>(i) < 1 + region % 97;
      EXPECT_EQ(runs[i].load(), expected) << threads << " threads, task " << i;
    }
  }
}

}  // namespace
}  // namespace shoehorn::test

namespace shoehorn {
namespace {

// A Transformer points into itself (its resident weights) and lends out its buffers: moving it
// once left the moved-to object reading the moved-from one's memory. It cannot move now.
static_assert(!std::is_move_constructible_v<Transformer> && !std::is_move_assignable_v<Transformer>);
static_assert(!std::is_copy_constructible_v<Transformer> && !std::is_copy_assignable_v<Transformer>);

}  // namespace
}  // namespace shoehorn
