// Any bytes as cased and as lowercased text: truecasing keeps the length and changes nothing but
// the case of ASCII letters, and the dictionary maps each word to a case variant of itself.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "shoehorn/tokenizer/truecase.hpp"

namespace {
char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const shoehorn::CaseDictionary dictionary = shoehorn::learn_case(text);
  for (const auto& [word, form] : dictionary) {
    if (form.size() != word.size()) __builtin_trap();
    for (std::size_t i = 0; i < form.size(); ++i) {
      if (lower(form[i]) != word[i]) __builtin_trap();
    }
  }
  const std::string out = shoehorn::truecase(text, dictionary);
  if (out.size() != text.size()) __builtin_trap();
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (lower(out[i]) != lower(text[i])) __builtin_trap();
  }
  return 0;
}
