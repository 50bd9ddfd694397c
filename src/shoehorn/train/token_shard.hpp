// Tokenized training data: a corpus encoded once into a flat stream of token ids.
//
// A shard file, every integer little-endian:
//   offset  0  magic "SHTK"
//           4  u32 version (1)
//           8  u32 bytes per id (2 or 4)
//          12  u32 vocab_size (every id is below it)
//          16  u64 token count
//          24  u64 text bytes (the UTF-8 bytes these tokens encode, for bits per byte)
//          32  the ids
// Each document is stored as BOS followed by its tokens, so a window that crosses a document
// boundary sees BOS there, as in llama2.c's pretokenized TinyStories.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "shoehorn/io/source.hpp"
#include "shoehorn/tokenizer/tokenizer.hpp"

namespace shoehorn {

struct TokenShard {
  int vocab_size = 0;
  std::uint64_t text_bytes = 0;
  std::vector<std::uint32_t> ids;
};

// The training and held-out streams of some corpora.
struct TokenizedCorpus {
  TokenShard train;
  TokenShard valid;
  std::size_t dropped_as_held_out = 0;  // training documents that were copies of held-out ones
  std::size_t dropped_as_repeats = 0;   // training documents that repeated an earlier one
};

struct CorpusSplit {
  double valid_fraction = 0.05;
  bool drop_repeats = false;  // train on each document once, the first copy met
};

// Reads and checks each corpus (non-empty UTF-8, see corpus.hpp), splits it into documents, and
// holds out the last valid_fraction of each file's documents (at least one; a file needs two).
// Documents are compared with case and spacing folded: a training document equal to a held-out
// one of any file is dropped, so that one file's lowercased copy of another does not leak the
// held-out split into training.
TokenizedCorpus tokenize_corpora(const std::vector<std::string>& paths, const Tokenizer& tokenizer,
                                 const CorpusSplit& split);

std::vector<std::byte> write_token_shard(const TokenShard& shard);
// Validates the header, the exact file size and every id before returning. Throws Error.
TokenShard read_token_shard(const ByteSource& source);

}  // namespace shoehorn
