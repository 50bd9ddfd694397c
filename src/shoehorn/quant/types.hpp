// Every weight type shoehorn reads, computes with or writes, and what each one is, in one
// table (as ggml's type_traits): adding a type is its block struct (blocks.hpp), one row here
// (types.cpp) and its functions, plus its dot product in kernels/ (type_kernels.cpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "shoehorn/io/byte_order.hpp"

namespace shoehorn {

enum class WeightType : std::uint8_t {
  f32,       // plain floats
  f16,       // IEEE half floats
  bf16,      // bfloat16: a float's high 16 bits
  q4_0,      // ggml's 32-value blocks
  q4_1,
  q5_0,
  q5_1,
  q8_0,
  q8_1,      // activations only (for Q4_1, Q5_1)
  q2_k,      // ggml's 256-value super-blocks
  q3_k,
  q4_k,
  q5_k,
  q6_k,
  q8_k,      // activations only (for the 256-value types)
  iq4_nl,
  iq4_xs,
  tq1_0,
  tq2_0,
  q8_group,  // llama2.c version 2: int8 values, then one float scale per group
  q8_0x8,    // Q8_0 rows interleaved by eight for the SIMD kernels (in memory only)
  q4_0x8,    // Q4_0 rows the same way
};
inline constexpr std::size_t kWeightTypeCount = static_cast<std::size_t>(WeightType::q4_0x8) + 1;

// A multi-byte field of a block: its bytes are swapped between the file's and the host's order.
struct BlockField {
  std::uint16_t offset;
  std::uint16_t size;  // 2 or 4
};

struct TypeTraits {
  const char* name;        // ggml's spelling: "Q4_K"
  int ggml_id;             // the GGUF tensor type; -1 for a type no GGUF holds
  int block_values;        // values per block (1 for F32, F16, BF16); 0 for q8_group
  int block_bytes;
  std::span<const BlockField> fields;
  // What a product's input becomes before it meets a row of this type (f32: stays floats;
  // f16 and bf16: each value rounded to that type, as ggml's vec_dot_type, kept as floats).
  WeightType activation;
  // Starts the lifetime of `count` blocks at `at` (their bytes are then read in); the first.
  void* (*start_blocks)(std::byte* at, std::size_t count);
  // `values` floats from the blocks at `blocks` (whole blocks; any block of an array the type's
  // blocks were started in); nullptr for q8_group and the interleaved types, which are not a
  // plain array of blocks, and for types shoehorn does not compute with.
  void (*dequantize)(const void* blocks, float* out, std::size_t values);
  // ggml's quantization without an importance matrix (what llama-quantize writes), `values`
  // floats into whole blocks; nullptr where shoehorn does not write the type.
  void (*quantize)(const float* in, void* blocks, std::size_t values);
};

const TypeTraits& traits(WeightType type);
const char* to_string(WeightType type);  // traits(type).name

// The type of a GGUF tensor type id shoehorn computes with, if any.
std::optional<WeightType> from_ggml_id(std::uint32_t id);
// What ggml says of each of its tensor types, computed here or not: name, values per block,
// bytes per block. nullptr for ids that no ggml release defines (or that it has removed).
struct GgmlTypeInfo {
  const char* name;
  int block_values;
  int block_bytes;
};
const GgmlTypeInfo* ggml_type_info(std::uint32_t id);
// ggml's name for any tensor type id ("IQ2_XXS"), or "type N" for ids ggml does not have.
std::string ggml_type_name(std::uint32_t id);
// A type by name, any case ("q4_k", "Q4_K"); only types that files hold.
std::optional<WeightType> parse_weight_type(std::string_view name);

// Whether a GGUF tensor of this type can be read: a plain array of blocks in files.
bool is_file_type(WeightType type);

// Bytes that `count` values of `type` take in a file (count a multiple of the block, or of
// group_size for q8_group).
std::uint64_t stored_bytes(WeightType type, std::uint64_t count, int group_size = 0);

// Host-order floats as a file's blocks of `type` in `order` (values a multiple of the block).
std::vector<std::byte> encode_values(WeightType type, std::span<const float> values,
                                     ByteOrder order);
// Reverses the bytes of every multi-byte field of whole blocks: between the two byte orders.
void swap_fields(WeightType type, std::span<std::byte> blocks);
// Whole blocks' bytes from the host's order to `order`, or back (a swap either way).
inline void swap_to(ByteOrder order, WeightType type, std::span<std::byte> blocks) {
  if (order != native_byte_order()) swap_fields(type, blocks);
}

}  // namespace shoehorn
