// GPT-2-style byte-level BPE (GGUF tokenizer.ggml.model "gpt2"), as llama.cpp's
// llm_tokenizer_bpe_session encodes (February 2025):
//   1. special tokens are cut out of the text first (llama.cpp's tokenizer_st_partition):
//      user-defined tokens always, control and unknown tokens only when parse_special;
//   2. each remaining run of text is split by the pre-tokenizer (pretokenize.hpp) and each
//      pre-token's UTF-8 bytes are spelled in the byte-level alphabet (byte_level.hpp);
//   3. within a pre-token the adjacent pair with the lowest merge rank merges first (leftmost
//      among equal ranks) until no pair has a rank;
//   4. each symbol is its token; a symbol that is no token becomes the tokens of its single
//      bytes (of its byte-level spelling) that are tokens, and nothing where none is.
// Decoding spells a normal token's code points back as bytes; user-defined tokens are their text.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "shoehorn/tokenizer/pretokenize.hpp"
#include "shoehorn/tokenizer/vocab.hpp"

namespace shoehorn {

class BpeModel {
 public:
  // The vocabulary must have BPE settings (Vocab::bpe()); its merges and pre name are checked
  // when the GGUF is read (format/gguf_llama.cpp), and again here (Error without a location).
  explicit BpeModel(const Vocab& vocab);

  std::vector<int> encode(std::string_view text, bool parse_special) const;
  // The bytes a token stands for (empty for control, unknown, unused and byte tokens).
  const std::string& token_bytes(int id) const { return bytes_[static_cast<std::size_t>(id)]; }
  // The id of a token's exact text (every type; the last id of a duplicated text), or -1.
  int find(std::string_view text) const;

 private:
  void encode_text(std::string_view text, std::vector<int>& out) const;
  void encode_word(std::string_view word, std::vector<int>& out) const;
  int rank(std::string_view left, std::string_view right) const;

  const Vocab& vocab_;
  const PretokenizerInfo* pre_info_;
  Pretokenizer pretokenizer_;
  std::unordered_map<std::string_view, int> ids_;
  // Merge ranks by (left, right): the first of duplicated merges keeps its rank.
  std::map<std::pair<std::string_view, std::string_view>, int, std::less<>> ranks_;
  std::vector<std::string> bytes_;
  std::vector<int> specials_;  // control, user-defined, unknown: longest text first
};

// The two parts of a merge "left right" (llama.cpp splits at the first space after the first
// byte), or nothing when it has no such space.
std::optional<std::pair<std::string_view, std::string_view>> split_merge(std::string_view merge);

// The bytes a byte-level spelling stands for; a code point outside the alphabet becomes
// llama.cpp's "[UNK_BYTE_0x..." marker.
std::string byte_level_decode(std::string_view spelling);

}  // namespace shoehorn
