#include "shoehorn/tokenizer/vocab.hpp"

namespace shoehorn {

TokenType guess_token_type(int id, std::string_view piece) {
  if (parse_byte_piece(piece) >= 0) return TokenType::byte;
  if (id == 0 && piece == "<unk>") return TokenType::unknown;
  if (piece == "\n<s>\n" || piece == "\n</s>\n" || piece == "<s>" || piece == "</s>") {
    return TokenType::control;
  }
  return TokenType::normal;
}

Vocab::Vocab(std::vector<std::string> pieces, std::vector<float> scores,
             std::vector<TokenType> types, int max_token_length, int bos_id, int eos_id,
             int unk_id)
    : pieces_(std::move(pieces)),
      scores_(std::move(scores)),
      types_(std::move(types)),
      max_token_length_(max_token_length),
      bos_id_(bos_id),
      eos_id_(eos_id),
      unk_id_(unk_id) {
  index();
}

Vocab::Vocab(const Vocab& other)
    : pieces_(other.pieces_),
      scores_(other.scores_),
      types_(other.types_),
      max_token_length_(other.max_token_length_),
      bos_id_(other.bos_id_),
      eos_id_(other.eos_id_),
      unk_id_(other.unk_id_),
      bpe_(other.bpe_) {
  index();
}

Vocab& Vocab::operator=(const Vocab& other) {
  if (this != &other) {
    Vocab copy(other);
    *this = std::move(copy);
  }
  return *this;
}

void Vocab::index() {
  lookup_.clear();
  lookup_.reserve(pieces_.size());
  byte_ids_.fill(-1);
  for (int id = 0; id < size(); ++id) {
    const TokenType t = types_[static_cast<std::size_t>(id)];
    if (t == TokenType::byte) {
      const int b = parse_byte_piece(piece(id));
      if (b >= 0 && byte_ids_[static_cast<std::size_t>(b)] < 0) {
        byte_ids_[static_cast<std::size_t>(b)] = id;
      }
    } else if (t == TokenType::normal || t == TokenType::user_defined ||
               t == TokenType::unused) {
      lookup_.emplace(piece(id), id);  // first id wins on duplicates
    }
  }
}

int Vocab::find(std::string_view text) const {
  const auto it = lookup_.find(text);
  return it == lookup_.end() ? -1 : it->second;
}

int Vocab::byte_value(int id) const {
  return type(id) == TokenType::byte ? parse_byte_piece(piece(id)) : -1;
}

void Vocab::truncate(int n) {
  if (n >= size()) return;
  pieces_.resize(static_cast<std::size_t>(n));
  scores_.resize(static_cast<std::size_t>(n));
  types_.resize(static_cast<std::size_t>(n));
  index();
}

}  // namespace shoehorn
