// The 256-value types without a minimum: Q6_K, Q3_K, IQ4_XS, TQ1_0, TQ2_0. Their quantizers
// write llama-quantize's bytes (every tensor of these types in every gguf-types file is its
// output from t256.F32.gguf), their blocks read to the values ggml reads in either byte order,
// and their dot products over Q8_K inputs follow the defined float steps on every path.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cctype>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <sstream>
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

const WeightType kTypes[] = {WeightType::q6_k, WeightType::q3_k, WeightType::iq4_xs,
                             WeightType::tq1_0, WeightType::tq2_0};


// expected.tsv's tensor_types of a file ("F32:5,Q4_0:15,Q6_K:1"): tensors per type name.
std::map<std::string, int> tensor_types(const std::string& cell) {
  std::map<std::string, int> out;
  std::istringstream in(cell);
  for (std::string item; std::getline(in, item, ',');) {
    const std::size_t colon = item.find(':');
    out[item.substr(0, colon)] = std::stoi(item.substr(colon + 1));
  }
  return out;
}

// Quantizing each F32 tensor of t256.F32.gguf gives, byte for byte, every tensor of these
// types that llama-quantize wrote in any of the files (as many as tensor_types counts).
TEST(SymmetricKQuants, QuantizersWriteLlamaQuantizesBytes) {
  const std::vector<TensorBytes> f32 = tensors_of(gguf_types("t256.F32.gguf"));
  std::map<std::string, int> compared, differing;
  for (const std::vector<std::string>& row : read_table(gguf_types("expected.tsv"))) {
    if (row.size() < 6 || row[0] == "file") continue;
    const std::map<std::string, int> expected = tensor_types(row[5]);
    std::map<std::string, int> seen;
    for (const TensorBytes& quantized : tensors_of(gguf_types(row[0]))) {
      for (const WeightType type : kTypes) {
        const TypeTraits& t = traits(type);
        if (quantized.type != static_cast<std::uint32_t>(t.ggml_id)) continue;
        const auto source = std::find_if(f32.begin(), f32.end(),
                                         [&](const TensorBytes& s) { return s.name == quantized.name; });
        ASSERT_NE(source, f32.end()) << quantized.name;
        ++seen[t.name];
        ++compared[t.name];
        if (!quantized_in_this_build(quantized.name)) continue;
        std::vector<float> values(source->bytes.size() / 4);
        decode_f32(source->bytes, values, ByteOrder::little);
        const std::vector<std::byte> ours = encode_values(type, values, ByteOrder::little);
        ASSERT_EQ(ours.size(), quantized.bytes.size()) << row[0] << " " << quantized.name;
        int blocks_differing = 0;
        const std::size_t size = static_cast<std::size_t>(t.block_bytes);
        for (std::size_t at = 0; at < ours.size(); at += size) {
          blocks_differing += !std::equal(ours.begin() + at, ours.begin() + at + size, quantized.bytes.begin() + at);
        }
        EXPECT_EQ(blocks_differing, 0) << row[0] << " " << t.name << " " << quantized.name << ": "
                                       << blocks_differing << " of " << ours.size() / size
                                       << " blocks differ";
        differing[t.name] += blocks_differing != 0;
      }
    }
    for (const WeightType type : kTypes) {
      const auto e = expected.find(traits(type).name);
      EXPECT_EQ(seen[traits(type).name], e == expected.end() ? 0 : e->second) << row[0] << " " << traits(type).name;
    }
  }
  // Q6_K: the Q6_K file's 16, and the output matrix of the 16 other files of 4 bits or fewer
  // (3 tensors in each _M mix); Q3_K: 15 + 9 + 9 + 6 (Q2_K's file); the others their files'.
  EXPECT_EQ(compared["Q6_K"], 36);
  EXPECT_EQ(compared["Q3_K"], 39);
  EXPECT_EQ(compared["IQ4_XS"], 15);
  EXPECT_EQ(compared["TQ1_0"], 14);
  EXPECT_EQ(compared["TQ2_0"], 14);
  for (const auto& [name, count] : differing) EXPECT_EQ(count, 0) << name << " tensors differ";
}

// ---- Hand-made blocks, read in both byte orders ------------------------------------------

// A block's bytes with byte i = pattern(i), then the f16 fields written at their offsets in
// the file's order.
struct Field {
  std::size_t offset;
  std::uint16_t value;
};
std::vector<std::byte> block_bytes(std::size_t size, int mul, int add, std::vector<Field> fields, ByteOrder order) {
  std::vector<std::byte> out(size);
  for (std::size_t i = 0; i < size; ++i) out[i] = static_cast<std::byte>((static_cast<int>(i) * mul + add) & 0xFF);
  for (const Field& f : fields) {
    const int lo = f.value & 0xFF, hi = f.value >> 8;
    out[f.offset] = static_cast<std::byte>(order == ByteOrder::little ? lo : hi);
    out[f.offset + 1] = static_cast<std::byte>(order == ByteOrder::little ? hi : lo);
  }
  return out;
}

// One block's file bytes, read as the loader reads them (swapped to the host's order, then
// started as a block) and dequantized.
std::vector<float> read_block(WeightType type, std::vector<std::byte> file_bytes, ByteOrder order) {
  EXPECT_EQ(file_bytes.size(), static_cast<std::size_t>(traits(type).block_bytes));
  swap_to(order, type, file_bytes);
  const void* block = traits(type).start_blocks(file_bytes.data(), 1);
  std::vector<float> values(kSuperValues);
  traits(type).dequantize(block, values.data(), values.size());
  return values;
}

// The block's little-endian bytes as unsigned ints (the quants, which both orders share).
std::vector<int> little_bytes(const std::vector<std::byte>& b) {
  std::vector<int> out;
  for (const std::byte x : b) out.push_back(static_cast<int>(x));
  return out;
}

// Reads the block made by (mul, add, fields) in both byte orders and compares each value with
// expected(little-endian bytes).
template <class Expected>
void expect_reads(WeightType type, int mul, int add, const std::vector<Field>& fields, Expected expected) {
  const std::size_t size = static_cast<std::size_t>(traits(type).block_bytes);
  const std::vector<float> want = expected(little_bytes(block_bytes(size, mul, add, fields, ByteOrder::little)));
  for (const ByteOrder order : {ByteOrder::little, ByteOrder::big}) {
    const std::vector<float> got = read_block(type, block_bytes(size, mul, add, fields, order), order);
    for (int v = 0; v < kSuperValues; ++v) {
      ASSERT_EQ(got[v], want[v]) << to_string(type) << " " << to_string(order) << " value " << v;
    }
  }
}

// Q6_K (ql 0..127, qh 128..191, int8 scales 192..207, d at 208): ggml's loop over the two
// halves, each byte l of ql giving values l and l + 64 of its half (l + 32 and l + 96 for the
// second 32 bytes), qh[l]'s bit pairs their high bits.
TEST(SymmetricKQuants, Q6_KBlocksReadInBothByteOrders) {
  expect_reads(WeightType::q6_k, 7, 3, {{208, 0x3800}}, [](const std::vector<int>& b) {
    std::vector<float> y(kSuperValues);
    const float d = 0.5f;
    for (int n = 0; n < 2; ++n) {
      const int* ql = b.data() + 64 * n;
      const int* qh = b.data() + 128 + 32 * n;
      const int* sc = b.data() + 192 + 8 * n;
      auto s8 = [](int byte) { return static_cast<float>(byte < 128 ? byte : byte - 256); };
      for (int l = 0; l < 32; ++l) {
        const int is = l / 16;
        y[128 * n + l] = d * s8(sc[is]) * static_cast<float>(((ql[l] & 15) | ((qh[l] & 3) << 4)) - 32);
        y[128 * n + l + 32] = d * s8(sc[is + 2]) * static_cast<float>(((ql[l + 32] & 15) | (((qh[l] >> 2) & 3) << 4)) - 32);
        y[128 * n + l + 64] = d * s8(sc[is + 4]) * static_cast<float>(((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32);
        y[128 * n + l + 96] = d * s8(sc[is + 6]) * static_cast<float>(((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32);
      }
    }
    return y;
  });
}

// Q3_K (hmask 0..31, qs 32..95, scales 96..107, d at 108): the twelve scale bytes unpacked as
// ggml's four uint32 words, then ggml's loop of shifts and high-bit masks.
TEST(SymmetricKQuants, Q3_KBlocksReadInBothByteOrders) {
  expect_reads(WeightType::q3_k, 29, 11, {{108, 0xC000}}, [](const std::vector<int>& b) {
    std::vector<float> y(kSuperValues);
    const float d_all = -2.0f;
    int scales[16];
    for (int j = 0; j < 4; ++j) {
      const int a0 = b[96 + j], a1 = b[100 + j], a2 = b[104 + j];
      scales[j] = (a0 & 15) | (((a2 >> 0) & 3) << 4);
      scales[4 + j] = (a1 & 15) | (((a2 >> 2) & 3) << 4);
      scales[8 + j] = (a0 >> 4) | (((a2 >> 4) & 3) << 4);
      scales[12 + j] = (a1 >> 4) | (((a2 >> 6) & 3) << 4);
    }
    int is = 0, m = 1, out = 0;
    for (int n = 0; n < 2; ++n) {
      const int* q = b.data() + 32 + 32 * n;
      for (int shift = 0; shift < 8; shift += 2, m <<= 1) {
        for (int half = 0; half < 2; ++half) {
          const float dl = d_all * static_cast<float>(scales[is++] - 32);
          for (int l = 16 * half; l < 16 * half + 16; ++l) {
            y[out++] = dl * static_cast<float>(((q[l] >> shift) & 3) - ((b[l] & m) ? 0 : 4));
          }
        }
      }
    }
    return y;
  });
}

// IQ4_XS (d at 0, scales_h at 2, scales_l 4..7, qs 8..135).
TEST(SymmetricKQuants, IQ4_XSBlocksReadInBothByteOrders) {
  expect_reads(WeightType::iq4_xs, 53, 1, {{0, 0x3400}, {2, 0xA5C3}}, [](const std::vector<int>& b) {
    static const int kLevels[16] = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};
    std::vector<float> y(kSuperValues);
    const float d = 0.25f;
    const int scales_h = 0xA5C3;
    for (int ib = 0; ib < 8; ++ib) {
      const int ls = ((b[4 + ib / 2] >> 4 * (ib % 2)) & 15) | (((scales_h >> 2 * ib) & 3) << 4);
      const float dl = d * static_cast<float>(ls - 32);
      for (int j = 0; j < 16; ++j) {
        y[32 * ib + j] = dl * static_cast<float>(kLevels[b[8 + 16 * ib + j] & 15]);
        y[32 * ib + j + 16] = dl * static_cast<float>(kLevels[b[8 + 16 * ib + j] >> 4]);
      }
    }
    return y;
  });
}

// TQ1_0 (qs 0..47, qh 48..51, d at 52): digit n of a byte is the top of (byte 3^n mod 256) 3.
TEST(SymmetricKQuants, TQ1_0BlocksReadInBothByteOrders) {
  expect_reads(WeightType::tq1_0, 37, 5, {{52, 0x4200}}, [](const std::vector<int>& b) {
    std::vector<float> y;
    const int pow3[5] = {1, 3, 9, 27, 81};
    auto digit = [&](int byte, int n) { return static_cast<float>((((byte * pow3[n]) & 0xFF) * 3 >> 8) - 1) * 3.0f; };
    for (int n = 0; n < 5; ++n) for (int m = 0; m < 32; ++m) y.push_back(digit(b[m], n));
    for (int n = 0; n < 5; ++n) for (int m = 0; m < 16; ++m) y.push_back(digit(b[32 + m], n));
    for (int n = 0; n < 4; ++n) for (int j = 0; j < 4; ++j) y.push_back(digit(b[48 + j], n));
    return y;
  });
}

// TQ2_0 (qs 0..63, d at 64): two bits a value, less 1 (the unused code 3 reads as +2).
TEST(SymmetricKQuants, TQ2_0BlocksReadInBothByteOrders) {
  expect_reads(WeightType::tq2_0, 7, 0, {{64, 0xBC00}}, [](const std::vector<int>& b) {
    std::vector<float> y;
    for (int j = 0; j < 64; j += 32) {
      for (int l = 0; l < 4; ++l) {
        for (int m = 0; m < 32; ++m) y.push_back(static_cast<float>(((b[j + m] >> (2 * l)) & 3) - 1) * -1.0f);
      }
    }
    return y;
  });
}

// ---- Quantizers on hand-made values ------------------------------------------------------

// Ternary values quantize to their signs at the largest magnitude's scale, and read back
// exactly when they are -a, 0, +a.
TEST(SymmetricKQuants, TernaryValuesRoundTrip) {
  std::vector<float> x(kSuperValues);
  for (int v = 0; v < kSuperValues; ++v) x[v] = static_cast<float>((v * 7) % 3 - 1) * 1.5f;
  for (const WeightType type : {WeightType::tq1_0, WeightType::tq2_0}) {
    std::vector<std::byte> b = encode_values(type, x, native_byte_order());
    std::vector<float> back(kSuperValues);
    traits(type).dequantize(traits(type).start_blocks(b.data(), 1), back.data(), back.size());
    EXPECT_EQ(back, x) << to_string(type);
  }
}

// A block of zeros as ggml writes it: Q6_K and Q3_K all zero bytes; TQ1_0 and TQ2_0 d = 0 and
// every digit 1 (value 0): TQ1_0's five-digit bytes (11111 in base 3 = 121) as 128, its
// four-digit ones (1111 then a zero digit = 120) as 127, TQ2_0's as 01010101; IQ4_XS d = -0
// (ggml's -max / 32), eight scales of 32 (stored 0 low, 10 high), every value at level 8.
TEST(SymmetricKQuants, ZeroBlocksAreGgmls) {
  const std::vector<float> zeros(kSuperValues, 0.0f);
  auto bytes_of = [&](WeightType type) { return little_bytes(encode_values(type, zeros, ByteOrder::little)); };
  for (const WeightType type : {WeightType::q6_k, WeightType::q3_k}) {
    const std::vector<int> b = bytes_of(type);
    EXPECT_EQ(std::count(b.begin(), b.end(), 0), traits(type).block_bytes) << to_string(type);
  }
  std::vector<int> tq1(48, 128);
  tq1.insert(tq1.end(), {127, 127, 127, 127, 0, 0});
  EXPECT_EQ(bytes_of(WeightType::tq1_0), tq1);
  std::vector<int> tq2(64, 0x55);
  tq2.insert(tq2.end(), {0, 0});
  EXPECT_EQ(bytes_of(WeightType::tq2_0), tq2);
  std::vector<int> xs = {0x00, 0x80, 0xAA, 0xAA, 0, 0, 0, 0};
  xs.insert(xs.end(), 128, 0x88);
  EXPECT_EQ(bytes_of(WeightType::iq4_xs), xs);
}

// Corrupt inputs quantize without undefined behaviour: a NaN value, an infinity.
TEST(SymmetricKQuants, NonFiniteInputsQuantizeToSomething) {
  std::vector<float> x(kSuperValues, 1.0f);
  x[3] = std::numeric_limits<float>::quiet_NaN();
  x[40] = std::numeric_limits<float>::infinity();
  x[200] = -std::numeric_limits<float>::infinity();
  for (const WeightType type : kTypes) {
    const std::vector<std::byte> b = encode_values(type, x, ByteOrder::little);
    EXPECT_EQ(b.size(), static_cast<std::size_t>(traits(type).block_bytes));
  }
}

// ---- Dot products -------------------------------------------------------------------------

std::vector<float> uniform(std::size_t n, std::uint64_t seed) {
  Xorshift64Star rng(seed);
  std::vector<float> v(n);
  for (float& x : v) x = rng.next_f32() * 2.0f - 1.0f;
  return v;
}

// A block's weight integers and the integer scale of each value's sub-block, as the test
// derives them from the dequantized values: value = d * scale * w exactly (ggml's order), so w
// is value / (d * scale) for every nonzero product.
struct BlockIntegers {
  int w[kSuperValues];
  int scale[kSuperValues];  // per value: its sub-block's
};

// The defined sum of one row: per block sum(scale * w * x) exactly, then (float)isum * (d_w *
// d_x), added block by block in order; the integers from the block read directly.
template <class Block>
float defined_row_dot(const Block* w, const BlockQ8_K* x, int blocks, BlockIntegers (*integers)(const Block&)) {
  float acc = 0.0f;
  for (int b = 0; b < blocks; ++b) {
    const BlockIntegers n = integers(w[b]);
    long long isum = 0;
    for (int v = 0; v < kSuperValues; ++v) isum += static_cast<long long>(n.scale[v]) * n.w[v] * x[b].qs[v];
    acc += static_cast<float>(isum) * (f16_to_f32(w[b].d) * x[b].d);
  }
  return acc;
}

// Each type's integers, read as ggml's dequantizers lay them out (written here again, apart
// from the library's readers).
BlockIntegers integers_of(const BlockQ6_K& b) {
  BlockIntegers n{};
  for (int h = 0; h < 2; ++h) {
    for (int l = 0; l < 32; ++l) {
      const int at = 128 * h;
      n.w[at + l] = ((b.ql[64 * h + l] & 15) | ((b.qh[32 * h + l] & 3) << 4)) - 32;
      n.w[at + l + 32] = ((b.ql[64 * h + l + 32] & 15) | (((b.qh[32 * h + l] >> 2) & 3) << 4)) - 32;
      n.w[at + l + 64] = ((b.ql[64 * h + l] >> 4) | (((b.qh[32 * h + l] >> 4) & 3) << 4)) - 32;
      n.w[at + l + 96] = ((b.ql[64 * h + l + 32] >> 4) | (((b.qh[32 * h + l] >> 6) & 3) << 4)) - 32;
    }
  }
  for (int v = 0; v < kSuperValues; ++v) n.scale[v] = b.scales[v / 16];
  return n;
}
BlockIntegers integers_of(const BlockQ3_K& b) {
  BlockIntegers n{};
  for (int v = 0; v < kSuperValues; ++v) {
    const int low = (b.qs[32 * (v / 128) + v % 32] >> (2 * ((v % 128) / 32))) & 3;
    n.w[v] = low - ((b.hmask[v % 32] & (1 << (v / 32))) ? 0 : 4);
    const int j = v / 16;
    const int s = (j < 8 ? b.scales[j] & 15 : b.scales[j - 8] >> 4) | (((b.scales[8 + j % 4] >> (2 * (j / 4))) & 3) << 4);
    n.scale[v] = s - 32;
  }
  return n;
}
BlockIntegers integers_of(const BlockIQ4_XS& b) {
  BlockIntegers n{};
  for (int v = 0; v < kSuperValues; ++v) {
    const int ib = v / 32, j = v % 32;
    const int byte = b.qs[16 * ib + j % 16];
    n.w[v] = kIQ4Levels[j < 16 ? byte & 15 : byte >> 4];
    n.scale[v] = (((b.scales_l[ib / 2] >> 4 * (ib % 2)) & 15) | (((b.scales_h >> 2 * ib) & 3) << 4)) - 32;
  }
  return n;
}
// The ternary types' digits, less 1: TQ2_0's two-bit fields; TQ1_0's base-3 digits in ggml's
// loop order (the top of byte 3^n 3 / 256).
BlockIntegers integers_of(const BlockTQ2_0& b) {
  BlockIntegers n{};
  int v = 0;
  for (int j = 0; j < 64; j += 32) {
    for (int l = 0; l < 4; ++l) {
      for (int m = 0; m < 32; ++m, ++v) {
        n.w[v] = ((b.qs[j + m] >> (2 * l)) & 3) - 1;
        n.scale[v] = 1;
      }
    }
  }
  return n;
}
BlockIntegers integers_of(const BlockTQ1_0& b) {
  BlockIntegers n{};
  const int pow3[5] = {1, 3, 9, 27, 81};
  auto digit = [&](int byte, int k) { return (((byte * pow3[k]) & 0xFF) * 3 >> 8) - 1; };
  int v = 0;
  for (int k = 0; k < 5; ++k) for (int m = 0; m < 32; ++m) n.w[v++] = digit(b.qs[m], k);
  for (int k = 0; k < 5; ++k) for (int m = 0; m < 16; ++m) n.w[v++] = digit(b.qs[32 + m], k);
  for (int k = 0; k < 4; ++k) for (int j = 0; j < 4; ++j) n.w[v++] = digit(b.qh[j], k);
  for (int& s : n.scale) s = 1;
  return n;
}

template <class Block>
void expect_defined_products(WeightType type) {
  constexpr int kRows = 5, kCols = 512, kBlocks = kCols / kSuperValues;
  const std::vector<float> wf = uniform(kRows * kCols, 41), xf = uniform(kCols, 42);
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
    const float expected = defined_row_dot<Block>(w.data() + r * kBlocks, x.data(), kBlocks, integers_of);
    EXPECT_EQ(std::bit_cast<std::uint32_t>(out[r]), std::bit_cast<std::uint32_t>(expected))
        << to_string(type) << " row " << r;
    // And it is the product of the dequantized rows with the quantized input, near enough.
    double exact = 0;
    for (int b = 0; b < kBlocks; ++b) {
      for (int j = 0; j < kSuperValues; ++j) {
        exact += static_cast<double>(wd[r * kCols + b * kSuperValues + j]) * x[b].qs[j] * x[b].d;
      }
    }
    EXPECT_NEAR(out[r], exact, 1e-4 * (1 + std::fabs(exact))) << to_string(type) << " row " << r;
  }
}

// The current path's products are the defined float steps over exact integer sums, and near
// the dequantized weights' products.
TEST(SymmetricKQuants, DotProductsFollowTheDefinedSteps) {
  expect_defined_products<BlockQ6_K>(WeightType::q6_k);
  expect_defined_products<BlockQ3_K>(WeightType::q3_k);
  expect_defined_products<BlockIQ4_XS>(WeightType::iq4_xs);
  expect_defined_products<BlockTQ1_0>(WeightType::tq1_0);
  expect_defined_products<BlockTQ2_0>(WeightType::tq2_0);
}

// Every path gives the scalar path's bits for batches that fill the SIMD kernels' four-position
// tiles and leave some over, over row ranges that leave rows beside the four-row tiles.
TEST(SymmetricKQuants, EveryPathGivesTheScalarBitsForEveryBatch) {
  constexpr int kRows = 23, kCols = 768;
  const std::vector<float> wf = uniform(kRows * kCols, 51);
  for (const WeightType type : kTypes) {
    std::vector<std::byte> storage = encode_values(type, wf, native_byte_order());
    Matrix m{type, kRows, kCols, 32};
    m.data = traits(type).start_blocks(storage.data(), storage.size() / static_cast<std::size_t>(traits(type).block_bytes));
    for (const int positions : {1, 4, 6}) {
      const std::vector<float> xf = uniform(static_cast<std::size_t>(positions) * kCols, 52 + positions);
      std::vector<BlockQ8_K> xk(xf.size() / kSuperValues);
      quantize_q8_k(xf.data(), xk.data(), xf.size());
      kernels::MatvecInput in;
      in.f32 = xf;
      in.positions = positions;
      in.q8_k = xk;
      expect_every_path_gives_scalar_bits(m, in, to_string(type));
    }
  }
}

// Blocks of any bytes (the extremes no quantizer writes: Q6_K scales of -128, TQ2_0's code 3,
// every TQ1_0 byte), with finite f16 scales, give the scalar bits on every path too: each
// kernel's integer sums are exact for any weights.
TEST(SymmetricKQuants, AnyBlockBytesGiveTheScalarBitsOnEveryPath) {
  constexpr int kRows = 9, kCols = 512, kPositions = 5;
  const std::vector<float> xf = uniform(static_cast<std::size_t>(kPositions) * kCols, 61);
  std::vector<BlockQ8_K> xk(xf.size() / kSuperValues);
  quantize_q8_k(xf.data(), xk.data(), xf.size());
  kernels::MatvecInput in;
  in.f32 = xf;
  in.positions = kPositions;
  in.q8_k = xk;
  for (const WeightType type : kTypes) {
    const TypeTraits& t = traits(type);
    const std::size_t blocks = static_cast<std::size_t>(kRows) * kCols / kSuperValues;
    std::vector<std::byte> storage(blocks * static_cast<std::size_t>(t.block_bytes));
    Xorshift64Star rng(71);
    for (std::byte& b : storage) b = static_cast<std::byte>(rng.next_u32() & 0xFF);
    // The f16 fields: finite halves of either sign (exponent below 31).
    for (std::size_t at = 0; at < storage.size(); at += static_cast<std::size_t>(t.block_bytes)) {
      for (const BlockField& f : t.fields) {
        if (f.offset == 2 && type == WeightType::iq4_xs) continue;  // scales_h: any bits
        std::uint16_t half;
        std::memcpy(&half, storage.data() + at + f.offset, sizeof half);
        half = static_cast<std::uint16_t>(half & 0xBBFF);
        std::memcpy(storage.data() + at + f.offset, &half, sizeof half);
      }
    }
    Matrix m{type, kRows, kCols, 32};
    m.data = t.start_blocks(storage.data(), blocks);
    const kernels::KernelPath before = kernels::kernel_path();
    std::vector<float> scalar;
    for (const kernels::KernelPath path : kernels::supported_kernel_paths()) {
      kernels::set_kernel_path(path);
      std::vector<float> out(static_cast<std::size_t>(kPositions) * kRows, -1.0f);
      kernels::matvec_rows(out, m, in, 0, kRows);
      if (path == kernels::KernelPath::scalar) {
        scalar = out;
        continue;
      }
      for (std::size_t i = 0; i < out.size(); ++i) {
        ASSERT_EQ(std::bit_cast<std::uint32_t>(out[i]), std::bit_cast<std::uint32_t>(scalar[i]))
            << to_string(type) << " " << kernels::to_string(path) << " output " << i;
      }
    }
    kernels::set_kernel_path(before);
    // And the scalar sums are the defined steps over the blocks' integers.
    for (int r = 0; r < kRows; ++r) {
      float expected = 0.0f;
      switch (type) {
        case WeightType::q6_k: expected = defined_row_dot<BlockQ6_K>(static_cast<const BlockQ6_K*>(m.data) + r * 2, xk.data(), 2, integers_of); break;
        case WeightType::q3_k: expected = defined_row_dot<BlockQ3_K>(static_cast<const BlockQ3_K*>(m.data) + r * 2, xk.data(), 2, integers_of); break;
        case WeightType::iq4_xs: expected = defined_row_dot<BlockIQ4_XS>(static_cast<const BlockIQ4_XS*>(m.data) + r * 2, xk.data(), 2, integers_of); break;
        case WeightType::tq1_0: expected = defined_row_dot<BlockTQ1_0>(static_cast<const BlockTQ1_0*>(m.data) + r * 2, xk.data(), 2, integers_of); break;
        default: expected = defined_row_dot<BlockTQ2_0>(static_cast<const BlockTQ2_0*>(m.data) + r * 2, xk.data(), 2, integers_of); break;
      }
      EXPECT_EQ(std::bit_cast<std::uint32_t>(scalar[static_cast<std::size_t>(r)]), std::bit_cast<std::uint32_t>(expected))
          << to_string(type) << " row " << r;
    }
  }
}

// ---- convert --quant ------------------------------------------------------------------------

std::string lower(std::string name) {
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name;
}

// `shoehorn convert --quant TYPE --pure` writes each type for all of t256.F32.gguf's matrices
// (rows of 256 and 768 values), and the model runs to the same logits on every path. (Without
// --pure, file_type_test checks llama-quantize's mixes byte for byte.)
TEST(SymmetricKQuants, ConvertWritesEachTypeAndEveryPathRunsItAlike) {
  const std::vector<int> tokens{1, 403, 407, 261, 378, 270, 307, 259};
  for (const WeightType type : kTypes) {
    const std::string name = lower(to_string(type));
    const std::string path = scratch_path("ksym-t256-" + name + ".gguf");
    const CliResult r = run_cli({"convert", gguf_types("t256.F32.gguf"), path, "--quant", name, "--pure"});
    ASSERT_EQ(r.status, 0) << r.err;
    const Model model = load_model(path);
    int typed = 0, matrices = 0;
    for (const TensorInfo& t : model.file.tensors) {
      typed += t.type == type;
      matrices += t.rows > 1;
    }
    EXPECT_EQ(typed, 16) << name;  // 7 per layer, the embedding and the output matrix
    EXPECT_EQ(typed, matrices) << name;
    expect_same_logits_on_every_path(model, tokens, name);
  }
}

}  // namespace
}  // namespace shoehorn::test
