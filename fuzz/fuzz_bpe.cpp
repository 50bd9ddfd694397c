// Merges and text for byte-level BPE: byte 0 picks the pre-tokenizer, then merges ("left right"
// lines) up to a NUL byte, then the text. The vocabulary is the 256 byte-level characters and
// every merge's result, so every symbol BPE leaves is a token: encoding never fails, every id
// is in range, and the ids decode to the text (malformed UTF-8 as U+FFFD, as it is encoded).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "shoehorn/io/error.hpp"
#include "shoehorn/tokenizer/byte_level.hpp"
#include "shoehorn/tokenizer/bpe.hpp"
#include "shoehorn/tokenizer/tokenizer.hpp"
#include "shoehorn/tokenizer/unicode.hpp"

namespace {

shoehorn::Vocab make_vocab(std::string_view merges_text, std::string_view pre) {
  std::vector<std::string> pieces;
  for (const char32_t cp : shoehorn::byte_level::kByteToCodePoint) {
    std::string s;
    shoehorn::unicode::append_utf8(s, cp);
    pieces.push_back(s);
  }
  shoehorn::BpeSettings settings;
  settings.pre = std::string(pre);
  while (!merges_text.empty() && settings.merges.size() < 512) {
    const std::size_t end = merges_text.find('\n');
    const std::string_view line = merges_text.substr(0, end);
    merges_text.remove_prefix(end == std::string_view::npos ? merges_text.size() : end + 1);
    const auto parts = shoehorn::split_merge(line);
    if (!parts) continue;
    settings.merges.emplace_back(line);
    pieces.push_back(std::string(parts->first) + std::string(parts->second));
  }
  const std::size_t n = pieces.size();
  shoehorn::Vocab vocab(std::move(pieces), std::vector<float>(n, 0.0f),
                        std::vector<shoehorn::TokenType>(n, shoehorn::TokenType::normal), 64, 0, 0, -1);
  vocab.set_bpe(std::move(settings));
  return vocab;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1 || size > 4096) return 0;
  const std::vector<std::string_view> names = shoehorn::pretokenizer_names();
  const std::string_view pre = names[data[0] % names.size()];
  const std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  const std::size_t nul = rest.find('\0');
  const std::string_view merges = rest.substr(0, nul);
  const std::string_view text = nul == std::string_view::npos ? std::string_view{} : rest.substr(nul + 1);
  try {
    const shoehorn::Tokenizer tokenizer(make_vocab(merges, pre));
    const std::vector<int> ids = tokenizer.encode(text, false, false);
    std::string decoded;
    for (const int id : ids) {
      if (id < 0 || id >= tokenizer.vocab().size()) __builtin_trap();
      decoded += tokenizer.decode(-1, id);
    }
    std::string expected;
    for (const char32_t cp : shoehorn::unicode::decode_utf8(text)) shoehorn::unicode::append_utf8(expected, cp);
    if (decoded != expected) __builtin_trap();
  } catch (const shoehorn::Error&) {
    // A pre-tokenizer expression that recursed too deep: a located refusal, not a crash.
  }
  return 0;
}
