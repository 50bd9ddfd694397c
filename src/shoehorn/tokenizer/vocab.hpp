// A SentencePiece-style vocabulary: pieces with scores and types.
//
// Pieces are stored as llama2.c's tokenizer.bin stores them: SentencePiece's word-boundary mark
// U+2581 is a plain space. Byte pieces keep their "<0xHH>" spelling.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "shoehorn/tokenizer/pieces.hpp"

namespace shoehorn {

// The values of SentencePiece's ModelProto::SentencePiece::Type (and GGUF's token types).
enum class TokenType : std::uint8_t {
  normal = 1,
  unknown = 2,
  control = 3,
  user_defined = 4,
  unused = 5,
  byte = 6,
};

// What a GPT-2-style byte-level BPE vocabulary (GGUF tokenizer.ggml.model "gpt2") holds besides
// its tokens. Its pieces are kept exactly as the GGUF spells them (byte-level alphabet).
struct BpeSettings {
  std::vector<std::string> merges;  // tokenizer.ggml.merges: "left right", lowest rank first
  std::string pre;                  // tokenizer.ggml.pre (see pretokenize.hpp)
  bool add_bos = false;             // tokenizer.ggml.add_bos_token (or the pre type's default)
  bool add_eos = false;             // tokenizer.ggml.add_eos_token
  bool has_scores = false;          // the GGUF had tokenizer.ggml.scores
};

class Vocab {
 public:
  Vocab() = default;
  Vocab(std::vector<std::string> pieces, std::vector<float> scores, std::vector<TokenType> types,
        int max_token_length, int bos_id, int eos_id, int unk_id);
  // The lookup table points into the pieces: a copy must build its own.
  Vocab(const Vocab& other);
  Vocab& operator=(const Vocab& other);
  Vocab(Vocab&&) noexcept = default;
  Vocab& operator=(Vocab&&) noexcept = default;

  int size() const { return static_cast<int>(pieces_.size()); }
  const std::string& piece(int id) const { return pieces_[static_cast<std::size_t>(id)]; }
  float score(int id) const { return scores_[static_cast<std::size_t>(id)]; }
  TokenType type(int id) const { return types_[static_cast<std::size_t>(id)]; }
  int max_token_length() const { return max_token_length_; }
  int bos_id() const { return bos_id_; }
  int eos_id() const { return eos_id_; }
  int unk_id() const { return unk_id_; }

  // Id of a normal, user-defined or unused piece (unused pieces are only merged through), or -1.
  int find(std::string_view text) const;
  // Id of the byte piece <0xHH>, or -1 when the vocabulary has no such piece.
  int byte_id(std::uint8_t byte) const { return byte_ids_[byte]; }
  // The byte a byte piece stands for, or -1 for other pieces.
  int byte_value(int id) const;

  // The BPE settings of a byte-level BPE vocabulary; nullptr for a SentencePiece one.
  const BpeSettings* bpe() const { return bpe_ ? &*bpe_ : nullptr; }
  void set_bpe(BpeSettings settings) { bpe_ = std::move(settings); }

  // Keeps the first n pieces (a tokenizer file may hold more pieces than the model uses).
  void truncate(int n);

 private:
  void index();

  std::vector<std::string> pieces_;
  std::vector<float> scores_;
  std::vector<TokenType> types_;
  int max_token_length_ = 0;
  int bos_id_ = 1, eos_id_ = 2, unk_id_ = 0;
  std::unordered_map<std::string_view, int> lookup_;
  std::array<int, 256> byte_ids_{};
  std::optional<BpeSettings> bpe_;
};

// The type of a piece in a vocabulary that does not store types (llama2.c's tokenizer.bin),
// as llama2.c's exporter wrote them: <unk> at 0, "\n<s>\n" and "\n</s>\n" (or "<s>", "</s>")
// control, <0xHH> bytes, the rest normal.
TokenType guess_token_type(int id, std::string_view piece);

}  // namespace shoehorn
