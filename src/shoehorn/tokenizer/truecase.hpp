// Restores letter case to lowercased text, learned from cased text of the same kind: each word
// takes the case it most often has mid-sentence in the cased text ("lily" -> "Lily", "i" -> "I"),
// and a word that starts a sentence (start of a line, after ". ", "! " or "? ", or after an
// opening quote) starts with a capital. Lets a lowercased corpus train a model for cased text.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>

namespace shoehorn {

// Lowercase word -> its usual cased form, for words whose usual form is not all lowercase.
using CaseDictionary = std::unordered_map<std::string, std::string>;

CaseDictionary learn_case(std::string_view cased_text);

// text with each ASCII word recased; every other byte (UTF-8 included) is kept. The result has
// text's length.
std::string truecase(std::string_view text, const CaseDictionary& dictionary);

}  // namespace shoehorn
