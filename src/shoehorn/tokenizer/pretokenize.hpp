// The pre-tokenizers of GPT-2-style BPE vocabularies: tokenizer.ggml.pre names a list of
// regular expressions (llama.cpp's llm_tokenizer_bpe, February 2025, the very same text), and
// the text is split by each in turn as llama.cpp's unicode_regex_split splits it: every chunk
// the previous expressions left is searched on its own; each match, and each run of text
// between matches, becomes a chunk.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "shoehorn/tokenizer/regex.hpp"

namespace shoehorn {

// What a pre-tokenizer name sets besides its expressions (llama.cpp's llama_vocab::load).
struct PretokenizerInfo {
  std::vector<std::string_view> expressions;
  bool ignore_merges = false;  // a word that is a whole token is that token
  bool add_bos = false;        // the default of tokenizer.ggml.add_bos_token
};

// The pre-tokenizer of a tokenizer.ggml.pre value ("" is llama.cpp's "default"), or nullptr for
// a name llama.cpp does not know.
const PretokenizerInfo* find_pretokenizer(std::string_view name);
// Every name find_pretokenizer knows.
std::vector<std::string_view> pretokenizer_names();

class Pretokenizer {
 public:
  explicit Pretokenizer(const std::vector<std::string_view>& expressions);

  // The chunk lengths, in code points, of text split by every expression in turn.
  std::vector<std::size_t> split(std::span<const char32_t> text) const;

 private:
  std::vector<Regex> expressions_;
};

// Splits each chunk of text (lengths in code points) at the matches of one expression.
std::vector<std::size_t> split_chunks(const Regex& expression, std::span<const char32_t> text,
                                      const std::vector<std::size_t>& chunks);

}  // namespace shoehorn
