#include "shoehorn/tokenizer/special_token.hpp"

namespace shoehorn {

int special_token_id(const Vocab& vocab, std::string_view text) {
  // A linear scan: a chat turn looks up a handful of markers, and Vocab's index stays as it is.
  for (int id = 0; id < vocab.size(); ++id) {
    const TokenType type = vocab.type(id);
    const bool special = type == TokenType::control || type == TokenType::user_defined;
    if (special && vocab.piece(id) == text) return id;
  }
  return -1;
}

}  // namespace shoehorn
