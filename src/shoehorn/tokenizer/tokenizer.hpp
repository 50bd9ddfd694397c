// SentencePiece BPE encoding and llama2.c decoding over a Vocab.
//
// encode() reproduces libsentencepiece's BPE Encode for vocabularies without normalization rules
// (Llama 2's, and every tokenizer shoehorn trains): malformed UTF-8 bytes become U+FFFD, spaces
// become word boundaries, a dummy word boundary starts non-empty text, pairs merge by highest
// score (leftmost first), and characters outside the vocabulary fall back to <0xHH> bytes.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "shoehorn/tokenizer/pieces.hpp"
#include "shoehorn/tokenizer/vocab.hpp"

namespace shoehorn {

class Tokenizer {
 public:
  explicit Tokenizer(Vocab vocab);

  const Vocab& vocab() const { return vocab_; }

  std::vector<int> encode(std::string_view text, bool bos, bool eos) const;

  // The text token adds after prev_token, as llama2.c's decode(): the space that opens a piece
  // right after BOS is dropped, and a byte piece <0xHH> becomes that byte.
  std::string_view decode(int prev_token, int token) const;

 private:
  std::string normalize(std::string_view text) const;

  Vocab vocab_;
  std::vector<int> user_defined_;  // ids, longest piece first
};

}  // namespace shoehorn
