// A target pack: a llama GGUF laid out for one machine. Tensors in the order the streaming
// forward pass reads them (the embedding and every norm first, as they stay resident; then each
// layer's wq, wk, wv, wo, w1, w3, w2; the classifier last), each starting on the target's
// alignment (a CD sector, a cache line), every number in the target's byte order, and a CRC-32
// of each tensor's bytes (shoehorn.pack.checksums, in table order) that the loader verifies.
#pragma once

#include <cstdint>
#include <vector>

#include "shoehorn/io/sink.hpp"
#include "shoehorn/io/source.hpp"
#include "shoehorn/model/memory_plan.hpp"
#include "shoehorn/tokenizer/vocab.hpp"

namespace shoehorn {

inline constexpr const char* kPackTargetKey = "shoehorn.pack.target";
inline constexpr const char* kPackChecksumsKey = "shoehorn.pack.checksums";

// The tensors of file in pack order.
std::vector<TensorInfo> pack_order(const ModelFile& file);

// Writes the pack of a model (any format shoehorn reads, whose tensors have GGUF types: not
// llama2.c int8 groups) for target; the vocabulary goes in when given.
void write_pack(ByteSink& sink, const ModelFile& file, const ByteSource& source, const Vocab* vocab,
                const Target& target);

// The CRC-32 of every tensor's bytes, in table order, read through a small buffer.
std::vector<std::uint32_t> tensor_checksums(const ModelFile& file, const ByteSource& source);

// Throws Error naming the tensor and its offset when a pack's tensor does not match its checksum.
// Files without checksums pass.
void verify_checksums(const ModelFile& file, const ByteSource& source);

}  // namespace shoehorn
