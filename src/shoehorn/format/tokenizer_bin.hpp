// llama2.c's tokenizer.bin: int32 max_token_length, then per token: float32 score, int32 length,
// length bytes. Little-endian. The file does not store the token count: it ends after the last
// token (the model says how many it uses).
#pragma once

#include <cstdint>
#include <vector>

#include "shoehorn/io/source.hpp"
#include "shoehorn/tokenizer/vocab.hpp"

namespace shoehorn {

inline constexpr std::uint64_t kMaxTokenizerFileBytes = 256ull << 20;
inline constexpr int kMaxTokenLength = 1 << 16;

// Reads every token in the file, with types from guess_token_type().
Vocab read_tokenizer_bin(const ByteSource& source);

std::vector<std::byte> write_tokenizer_bin(const Vocab& vocab);

}  // namespace shoehorn
