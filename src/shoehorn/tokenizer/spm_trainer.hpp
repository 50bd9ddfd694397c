// Training a tokenizer with libsentencepiece (a tool, outside the runtime library): BPE with byte
// fallback and no normalization, the settings of Llama 2's vocabulary, so that shoehorn's own
// encoder reproduces SentencePiece's encoding exactly.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "shoehorn/tokenizer/vocab.hpp"

namespace shoehorn {

struct TokenizerTrainSettings {
  int vocab_size = 8192;
  int threads = 2;
  std::uint64_t max_sentences = 0;  // 0: every line; else a seeded sample of this many lines
};

struct TrainedTokenizer {
  Vocab vocab;               // pieces as tokenizer.bin stores them (U+2581 -> ' ')
  std::string spm_model;     // the serialized SentencePiece ModelProto
};

// Reads and checks the corpora (each must be non-empty UTF-8 text without NUL bytes; errors name
// the file and the offset), then trains. Throws Error.
TrainedTokenizer train_tokenizer(const std::vector<std::string>& corpora,
                                 const TokenizerTrainSettings& settings);

// The vocabulary of a SentencePiece model, in llama2.c's tokenizer.bin conventions.
Vocab vocab_from_spm_model(const std::string& serialized_model, const std::string& name);

}  // namespace shoehorn
