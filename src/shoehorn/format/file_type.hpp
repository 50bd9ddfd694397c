// llama.cpp's file types (llama_ftype): the names llama-quantize takes ("Q4_K_M"), the id a
// GGUF records in general.file_type, and llama-quantize's per-tensor choices, so that
// `convert --quant q4_k_m` writes the tensors llama-quantize writes.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "shoehorn/model/config.hpp"
#include "shoehorn/model/weights.hpp"
#include "shoehorn/quant/types.hpp"

namespace shoehorn {

struct FileType {
  const char* name;  // llama-quantize's spelling
  std::uint32_t id;  // llama_ftype
  WeightType base;   // the type of most matrices
};

// Every file type, in llama_ftype order (F32 first).
std::span<const FileType> file_types();
inline const FileType& all_f32() { return file_types().front(); }

// A file type by llama-quantize's name, any case, with its aliases (Q4_K = Q4_K_M, Q3_K = Q3_K_M,
// Q5_K = Q5_K_M).
std::optional<FileType> parse_file_type(std::string_view name);

// The file type general.file_type names, if it is one of llama_ftype's.
const FileType* file_type_by_id(std::uint64_t id);

// The plain file type of a weight type (what general.file_type says of a file whose matrices
// are mostly that type): K-quants as their _M mix.
const FileType& file_type_of(WeightType base);

// The type a tensor is written in. Vectors (norms) stay F32. With `pure`, every matrix is the
// base type. Otherwise llama-quantize's llama_tensor_get_type for a dense llama model: the
// classifier (or the shared embedding) at 6 bits, more bits for some attn_v, attn_output and
// ffn_down layers in the mixes, and its fallbacks for rows that are not whole blocks (Q4_K to
// Q5_0, Q6_K to Q8_0, ...). Where llama-quantize gives up (a legacy type's rows not whole
// 32-blocks) the matrix is F16, as it is wherever even the fallback does not fit.
WeightType file_tensor_type(const FileType& file_type, const TensorInfo& tensor,
                            const Config& config, bool shared_classifier, bool pure = false);

}  // namespace shoehorn
