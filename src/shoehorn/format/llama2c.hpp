// llama2.c checkpoints.
//
//   v0 (legacy, run.c): 7 int32 (dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size,
//      seq_len), then fp32 weights; a negative vocab_size means the classifier is stored
//      separately at the end; two unused RoPE tables precede it.
//   v1 ("ak42", version 1): 256-byte header (magic, version, the 7 ints, shared-classifier
//      byte), then fp32 weights with the norms first.
//   v2 ("ak42", version 2, runq.c): as v1 plus an int32 group size; norms in fp32, every matrix
//      as int8 values followed by one fp32 scale per group.
//
// llama2.c writes little-endian; a checkpoint byte-swapped whole (as console ports did by hand)
// is recognised and read too.
#pragma once

#include <cstdint>
#include <vector>

#include "shoehorn/io/source.hpp"
#include "shoehorn/model/model.hpp"

namespace shoehorn {

enum class Llama2cVersion : std::uint8_t { v0 = 0, v1 = 1, v2 = 2 };

inline constexpr std::uint32_t kLlama2cMagic = 0x616b3432;  // "ak42"
inline constexpr std::uint64_t kLlama2cHeaderBytes = 256;     // v1 and v2

// True when the first bytes look like a llama2.c checkpoint (any version, either byte order).
// A v0 file has no magic: this checks that its header is a plausible config.
bool is_llama2c(const ByteSource& source);

// Reads and validates the header and the tensor table, checking the exact file size, before
// anything large is allocated. Throws Error naming file, field and offset.
ModelFile read_llama2c(const ByteSource& source);

struct Llama2cWriteOptions {
  Llama2cVersion version = Llama2cVersion::v0;
  ByteOrder byte_order = ByteOrder::little;
  int group_size = 64;  // v2; halved until it divides dim and hidden_dim, as export.py does
};

std::vector<std::byte> write_llama2c(const Model& model, const Llama2cWriteOptions& options);

}  // namespace shoehorn
