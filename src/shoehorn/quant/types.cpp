#include "shoehorn/quant/types.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <new>

#include "shoehorn/io/error.hpp"
#include "shoehorn/quant/type_functions.hpp"

namespace shoehorn {

namespace {

template <class Block>
void* start(std::byte* at, std::size_t count) {
  Block* first = reinterpret_cast<Block*>(at);
  for (std::size_t i = 0; i < count; ++i) ::new (static_cast<void*>(first + i)) Block;
  return first;
}

// The table's untyped entries over each type's typed functions.
template <class Block, void (*F)(const Block*, float*, std::size_t)>
void dequantize_as(const void* blocks, float* out, std::size_t values) {
  F(std::launder(static_cast<const Block*>(blocks)), out, values);
}
template <class Block, void (*F)(const float*, Block*, std::size_t)>
void quantize_as(const float* in, void* blocks, std::size_t values) {
  F(in, std::launder(static_cast<Block*>(blocks)), values);
}

void copy_f32(const float* in, float* out, std::size_t values) { std::copy_n(in, values, out); }

// The multi-byte fields of each block layout.
constexpr BlockField kFloat[] = {{0, 4}};
constexpr BlockField kHalf[] = {{0, 2}};
constexpr BlockField kScale[] = {{0, 2}};                            // d first
constexpr BlockField kScaleAndMin[] = {{0, 2}, {2, 2}};              // d, m (or dmin, or s)
constexpr BlockField kQ5_0[] = {{0, 2}, {2, 4}};                     // d, qh as ggml's uint32
constexpr BlockField kQ5_1[] = {{0, 2}, {2, 2}, {4, 4}};             // d, m, qh
constexpr BlockField kQ2_K[] = {{offsetof(BlockQ2_K, d), 2}, {offsetof(BlockQ2_K, dmin), 2}};
constexpr BlockField kQ3_K[] = {{offsetof(BlockQ3_K, d), 2}};
constexpr BlockField kQ6_K[] = {{offsetof(BlockQ6_K, d), 2}};
constexpr BlockField kIQ4_XS[] = {{0, 2}, {2, 2}};                   // d, scales_h
constexpr BlockField kTQ1_0[] = {{offsetof(BlockTQ1_0, d), 2}};
constexpr BlockField kTQ2_0[] = {{offsetof(BlockTQ2_0, d), 2}};
constexpr BlockField kInterleaved[] = {{0, 2}, {2, 2}, {4, 2}, {6, 2}, {8, 2}, {10, 2}, {12, 2}, {14, 2}};
constexpr std::span<const BlockField> kNone{};

// One row per WeightType, in the enum's order.
const std::array<TypeTraits, kWeightTypeCount> kTraits = {{
    {"F32", 0, 1, 4, kFloat, WeightType::f32, start<float>, dequantize_as<float, copy_f32>,
     quantize_as<float, copy_f32>},
    {"F16", 1, 1, 2, kHalf, WeightType::f16, start<std::uint16_t>,
     dequantize_as<std::uint16_t, dequantize_f16>, quantize_as<std::uint16_t, quantize_f16>},
    {"BF16", 30, 1, 2, kHalf, WeightType::bf16, start<std::uint16_t>,
     dequantize_as<std::uint16_t, dequantize_bf16>, quantize_as<std::uint16_t, quantize_bf16>},
    {"Q4_0", 2, kBlockValues, sizeof(BlockQ4_0), kScale, WeightType::q8_0, start<BlockQ4_0>,
     dequantize_as<BlockQ4_0, dequantize_q4_0>, quantize_as<BlockQ4_0, quantize_q4_0>},
    {"Q4_1", 3, kBlockValues, sizeof(BlockQ4_1), kScaleAndMin, WeightType::q8_1, start<BlockQ4_1>,
     dequantize_as<BlockQ4_1, dequantize_q4_1>, quantize_as<BlockQ4_1, quantize_q4_1>},
    {"Q5_0", 6, kBlockValues, sizeof(BlockQ5_0), kQ5_0, WeightType::q8_0, start<BlockQ5_0>,
     dequantize_as<BlockQ5_0, dequantize_q5_0>, quantize_as<BlockQ5_0, quantize_q5_0>},
    {"Q5_1", 7, kBlockValues, sizeof(BlockQ5_1), kQ5_1, WeightType::q8_1, start<BlockQ5_1>,
     dequantize_as<BlockQ5_1, dequantize_q5_1>, quantize_as<BlockQ5_1, quantize_q5_1>},
    {"Q8_0", 8, kBlockValues, sizeof(BlockQ8_0), kScale, WeightType::q8_0, start<BlockQ8_0>,
     dequantize_as<BlockQ8_0, dequantize_q8_0>, quantize_as<BlockQ8_0, quantize_q8_0>},
    {"Q8_1", -1, kBlockValues, sizeof(BlockQ8_1), kScaleAndMin, WeightType::q8_1,
     start<BlockQ8_1>, nullptr, nullptr},
    {"Q2_K", 10, kSuperValues, sizeof(BlockQ2_K), kQ2_K, WeightType::q8_k, start<BlockQ2_K>,
     dequantize_as<BlockQ2_K, dequantize_q2_k>, quantize_as<BlockQ2_K, quantize_q2_k>},
    {"Q3_K", 11, kSuperValues, sizeof(BlockQ3_K), kQ3_K, WeightType::q8_k, start<BlockQ3_K>,
     dequantize_as<BlockQ3_K, dequantize_q3_k>, quantize_as<BlockQ3_K, quantize_q3_k>},
    {"Q4_K", 12, kSuperValues, sizeof(BlockQ4_K), kScaleAndMin, WeightType::q8_k,
     start<BlockQ4_K>, dequantize_as<BlockQ4_K, dequantize_q4_k>,
     quantize_as<BlockQ4_K, quantize_q4_k>},
    {"Q5_K", 13, kSuperValues, sizeof(BlockQ5_K), kScaleAndMin, WeightType::q8_k,
     start<BlockQ5_K>, dequantize_as<BlockQ5_K, dequantize_q5_k>,
     quantize_as<BlockQ5_K, quantize_q5_k>},
    {"Q6_K", 14, kSuperValues, sizeof(BlockQ6_K), kQ6_K, WeightType::q8_k, start<BlockQ6_K>,
     dequantize_as<BlockQ6_K, dequantize_q6_k>, quantize_as<BlockQ6_K, quantize_q6_k>},
    {"Q8_K", -1, kSuperValues, sizeof(BlockQ8_K), kNone, WeightType::q8_k, start<BlockQ8_K>,
     nullptr, nullptr},
    {"IQ4_NL", 20, kBlockValues, sizeof(BlockIQ4_NL), kScale, WeightType::q8_0,
     start<BlockIQ4_NL>, dequantize_as<BlockIQ4_NL, dequantize_iq4_nl>,
     quantize_as<BlockIQ4_NL, quantize_iq4_nl>},
    {"IQ4_XS", 23, kSuperValues, sizeof(BlockIQ4_XS), kIQ4_XS, WeightType::q8_k,
     start<BlockIQ4_XS>, dequantize_as<BlockIQ4_XS, dequantize_iq4_xs>,
     quantize_as<BlockIQ4_XS, quantize_iq4_xs>},
    {"TQ1_0", 34, kSuperValues, sizeof(BlockTQ1_0), kTQ1_0, WeightType::q8_k, start<BlockTQ1_0>,
     dequantize_as<BlockTQ1_0, dequantize_tq1_0>, quantize_as<BlockTQ1_0, quantize_tq1_0>},
    {"TQ2_0", 35, kSuperValues, sizeof(BlockTQ2_0), kTQ2_0, WeightType::q8_k, start<BlockTQ2_0>,
     dequantize_as<BlockTQ2_0, dequantize_tq2_0>, quantize_as<BlockTQ2_0, quantize_tq2_0>},
    {"Q8_G", -1, 0, 0, kNone, WeightType::q8_group, nullptr, nullptr, nullptr},
    {"Q8_0x8", -1, kBlockValues * kInterleavedRows, sizeof(BlockQ8_0x8), kInterleaved,
     WeightType::q8_0, start<BlockQ8_0x8>, nullptr, nullptr},
    {"Q4_0x8", -1, kBlockValues * kInterleavedRows, sizeof(BlockQ4_0x8), kInterleaved,
     WeightType::q8_0, start<BlockQ4_0x8>, nullptr, nullptr},
}};

// Every tensor type ggml has had (February 2025), computed here or not, so that the container
// can size any tensor and name any type. Ids 4, 5 (Q4_2, Q4_3) and 31..33 (Q4_0_4_4 ...) are gone.
constexpr std::array<GgmlTypeInfo, 36> kGgmlTypes = {{
    {"F32", 1, 4},        {"F16", 1, 2},        {"Q4_0", 32, 18},    {"Q4_1", 32, 20},
    {nullptr, 0, 0},      {nullptr, 0, 0},      {"Q5_0", 32, 22},    {"Q5_1", 32, 24},
    {"Q8_0", 32, 34},     {"Q8_1", 32, 36},     {"Q2_K", 256, 84},   {"Q3_K", 256, 110},
    {"Q4_K", 256, 144},   {"Q5_K", 256, 176},   {"Q6_K", 256, 210},  {"Q8_K", 256, 292},
    {"IQ2_XXS", 256, 66}, {"IQ2_XS", 256, 74},  {"IQ3_XXS", 256, 98}, {"IQ1_S", 256, 50},
    {"IQ4_NL", 32, 18},   {"IQ3_S", 256, 110},  {"IQ2_S", 256, 82},  {"IQ4_XS", 256, 136},
    {"I8", 1, 1},         {"I16", 1, 2},        {"I32", 1, 4},       {"I64", 1, 8},
    {"F64", 1, 8},        {"IQ1_M", 256, 56},   {"BF16", 1, 2},      {nullptr, 0, 0},
    {nullptr, 0, 0},      {nullptr, 0, 0},      {"TQ1_0", 256, 54},  {"TQ2_0", 256, 66},
}};

}  // namespace

const TypeTraits& traits(WeightType type) { return kTraits[static_cast<std::size_t>(type)]; }

const char* to_string(WeightType type) { return traits(type).name; }

std::optional<WeightType> from_ggml_id(std::uint32_t id) {
  for (std::size_t i = 0; i < kTraits.size(); ++i) {
    if (kTraits[i].ggml_id >= 0 && static_cast<std::uint32_t>(kTraits[i].ggml_id) == id &&
        kTraits[i].dequantize != nullptr) {
      return static_cast<WeightType>(i);
    }
  }
  return std::nullopt;
}

const GgmlTypeInfo* ggml_type_info(std::uint32_t id) {
  if (id >= kGgmlTypes.size() || kGgmlTypes[id].name == nullptr) return nullptr;
  return &kGgmlTypes[id];
}

std::string ggml_type_name(std::uint32_t id) {
  const GgmlTypeInfo* info = ggml_type_info(id);
  return info != nullptr ? info->name : "type " + std::to_string(id);
}

bool is_file_type(WeightType type) {
  const TypeTraits& t = traits(type);
  return t.ggml_id >= 0 && t.dequantize != nullptr;
}

std::optional<WeightType> parse_weight_type(std::string_view name) {
  for (std::size_t i = 0; i < kTraits.size(); ++i) {
    const std::string_view known = kTraits[i].name;
    const bool same = known.size() == name.size() &&
                      std::equal(known.begin(), known.end(), name.begin(), [](char a, char b) {
                        return std::toupper(static_cast<unsigned char>(a)) ==
                               std::toupper(static_cast<unsigned char>(b));
                      });
    if (same && is_file_type(static_cast<WeightType>(i))) return static_cast<WeightType>(i);
  }
  return std::nullopt;
}

std::uint64_t stored_bytes(WeightType type, std::uint64_t count, int group_size) {
  if (type == WeightType::q8_group) {
    return count + 4 * (count / static_cast<std::uint64_t>(group_size));
  }
  const TypeTraits& t = traits(type);
  return count / static_cast<std::uint64_t>(t.block_values) * static_cast<std::uint64_t>(t.block_bytes);
}

void swap_fields(WeightType type, std::span<std::byte> blocks) {
  const TypeTraits& t = traits(type);
  const std::size_t size = static_cast<std::size_t>(t.block_bytes);
  for (std::size_t at = 0; at + size <= blocks.size(); at += size) {
    for (const BlockField& f : t.fields) {
      std::byte* field = blocks.data() + at + f.offset;
      std::reverse(field, field + f.size);
    }
  }
}

std::vector<std::byte> encode_values(WeightType type, std::span<const float> values,
                                     ByteOrder order) {
  const TypeTraits& t = traits(type);
  if (t.quantize == nullptr || t.ggml_id < 0) {
    throw Error(std::string("internal error: shoehorn does not write ") + t.name);
  }
  const std::size_t blocks = values.size() / static_cast<std::size_t>(t.block_values);
  std::vector<std::byte> bytes(blocks * static_cast<std::size_t>(t.block_bytes));
  // The blocks are built as objects, then their bytes (host order) swapped to the file's.
  void* first = t.start_blocks(bytes.data(), blocks);
  t.quantize(values.data(), first, values.size());
  swap_to(order, type, bytes);
  return bytes;
}

}  // namespace shoehorn
