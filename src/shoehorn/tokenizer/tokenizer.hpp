// SentencePiece BPE encoding and llama2.c decoding over a Vocab.
//
// encode() reproduces libsentencepiece's BPE Encode for vocabularies without normalization rules
// (Llama 2's, and every tokenizer shoehorn trains): malformed UTF-8 bytes become U+FFFD, spaces
// become word boundaries, a dummy word boundary starts non-empty text, pairs merge by highest
// score (leftmost first), and characters outside the vocabulary fall back to <0xHH> bytes.
//
// A byte-level BPE vocabulary (Vocab::bpe()) encodes and decodes as llama.cpp does instead
// (bpe.hpp).
#pragma once

#include <memory>
#include <memory_resource>
#include <string>
#include <string_view>
#include <vector>

#include "shoehorn/tokenizer/bpe.hpp"
#include "shoehorn/tokenizer/pieces.hpp"
#include "shoehorn/tokenizer/vocab.hpp"

namespace shoehorn {

class Tokenizer {
 public:
  explicit Tokenizer(Vocab vocab);

  const Vocab& vocab() const { return *vocab_; }
  bool byte_level() const { return bpe_ != nullptr; }
  // Whether a prompt starts with BOS: always for SentencePiece (llama2.c's generate), as
  // tokenizer.ggml.add_bos_token (or the pre type's default) says for byte-level BPE.
  bool adds_bos() const { return bpe_ == nullptr || vocab_->bpe()->add_bos; }

  // Special tokens in the text are plain text (llama.cpp's parse_special = false), except the
  // user-defined tokens of a BPE vocabulary, which are always cut out (as llama.cpp does).
  std::vector<int> encode(std::string_view text, bool bos, bool eos) const;
  // The same, every allocation of a SentencePiece vocabulary's encoding taken from memory (an
  // arena: std::bad_alloc when it runs out), so that a caller's block can hold it. A byte-level
  // BPE vocabulary's pre-tokenizer and merges still allocate from the heap.
  std::pmr::vector<int> encode(std::string_view text, bool bos, bool eos,
                               std::pmr::memory_resource* memory) const;
  // The same with control tokens written in the text (as "<|im_start|>") encoded as those
  // tokens (parse_special = true): what a chat template's output needs. A SentencePiece
  // vocabulary encodes each run of text between them on its own (its dummy prefix included).
  std::vector<int> encode_with_specials(std::string_view text, bool bos, bool eos) const;

  // The text token adds after prev_token. SentencePiece, as llama2.c's decode(): the space that
  // opens a piece right after BOS is dropped, and a byte piece <0xHH> becomes that byte.
  // Byte-level BPE: the token's bytes (bpe.hpp), nothing for control tokens; these may be
  // parts of a UTF-8 character.
  std::string_view decode(int prev_token, int token) const;

 private:
  std::pmr::string normalize(std::string_view text, std::pmr::memory_resource* memory) const;
  std::pmr::vector<int> encode_spm(std::string_view text, std::pmr::memory_resource* memory) const;

  std::shared_ptr<const Vocab> vocab_;  // shared: bpe_ points into it
  std::shared_ptr<const BpeModel> bpe_;
  std::vector<int> user_defined_;  // ids, longest piece first
};

}  // namespace shoehorn
