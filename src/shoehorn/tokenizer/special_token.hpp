// Control tokens by their text: how a chat template's markers (<|im_start|>, <|end|>...) become
// single ids. Apart from Vocab::find, which ignores control pieces on purpose: the encoder must
// never produce them from text.
#pragma once

#include <string_view>

#include "shoehorn/tokenizer/vocab.hpp"

namespace shoehorn {

// The lowest id of a control or user-defined piece spelled exactly `text` (the token types
// llama.cpp's special-token pass matches), or -1 when there is none.
int special_token_id(const Vocab& vocab, std::string_view text);

}  // namespace shoehorn
