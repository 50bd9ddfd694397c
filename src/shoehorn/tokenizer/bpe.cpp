#include "shoehorn/tokenizer/bpe.hpp"

#include <algorithm>
#include <cstdio>
#include <queue>

#include "shoehorn/io/error.hpp"
#include "shoehorn/tokenizer/byte_level.hpp"
#include "shoehorn/tokenizer/unicode.hpp"

namespace shoehorn {

namespace {

// The length llama.cpp gives the UTF-8 character starting with byte c (by its high bits only).
std::size_t utf8_length(char c) {
  const auto high = static_cast<unsigned char>(c) >> 4;
  if (high < 0xC) return 1;
  if (high < 0xE) return 2;
  return high == 0xE ? 3 : 4;
}

struct Symbol {
  std::size_t begin = 0;
  std::size_t size = 0;  // 0 once merged into its left neighbour
  int prev = -1;
  int next = -1;
};

struct Bigram {
  int rank;
  int left;
  int right;
  std::size_t size;  // left + right size when queued: detects stale entries
};

// Lowest rank first; among equal ranks the leftmost pair (llama.cpp's llm_bigram_bpe order).
struct BigramOrder {
  bool operator()(const Bigram& a, const Bigram& b) const {
    if (a.rank != b.rank) return a.rank > b.rank;
    return a.left > b.left;
  }
};

// A run of the text still to encode, or a special token already cut out.
struct Fragment {
  std::string_view text;
  int token = -1;
};

}  // namespace

std::optional<std::pair<std::string_view, std::string_view>> split_merge(std::string_view merge) {
  const std::size_t space = merge.size() > 1 ? merge.find(' ', 1) : std::string_view::npos;
  if (space == std::string_view::npos) return std::nullopt;
  return std::pair{merge.substr(0, space), merge.substr(space + 1)};
}

std::string byte_level_decode(std::string_view spelling) {
  std::string out;
  for (const char32_t cp : unicode::decode_utf8(spelling)) {
    const int byte = byte_level::byte_of(cp);
    if (byte >= 0) {
      out += static_cast<char>(static_cast<unsigned char>(byte));
      continue;
    }
    std::string utf8;
    unicode::append_utf8(utf8, cp);
    out += "[UNK_BYTE_0x";
    for (const char c : utf8) {
      char hex[3];
      std::snprintf(hex, sizeof hex, "%02x", static_cast<unsigned>(static_cast<unsigned char>(c)));
      out += hex;
    }
    out += std::string(spelling) + "]";
  }
  return out;
}

BpeModel::BpeModel(const Vocab& vocab)
    : vocab_(vocab),
      pre_info_(vocab.bpe() ? find_pretokenizer(vocab.bpe()->pre) : nullptr),
      pretokenizer_(pre_info_ ? pre_info_->expressions : std::vector<std::string_view>{}) {
  if (vocab.bpe() == nullptr) throw Error("a BPE tokenizer needs a vocabulary with merges");
  if (pre_info_ == nullptr) throw Error("unknown pre-tokenizer '" + vocab.bpe()->pre + "'");
  ids_.reserve(static_cast<std::size_t>(vocab.size()));
  bytes_.resize(static_cast<std::size_t>(vocab.size()));
  for (int id = 0; id < vocab.size(); ++id) {
    ids_[vocab.piece(id)] = id;  // the last id wins, as llama.cpp's token_to_id
    const TokenType t = vocab.type(id);
    if (t == TokenType::normal) bytes_[static_cast<std::size_t>(id)] = byte_level_decode(vocab.piece(id));
    if (t == TokenType::user_defined) bytes_[static_cast<std::size_t>(id)] = vocab.piece(id);
    if (t == TokenType::control || t == TokenType::user_defined || t == TokenType::unknown) {
      specials_.push_back(id);
    }
  }
  std::stable_sort(specials_.begin(), specials_.end(), [&vocab](int a, int b) {
    return vocab.piece(a).size() > vocab.piece(b).size();
  });
  const std::vector<std::string>& merges = vocab.bpe()->merges;
  for (std::size_t i = 0; i < merges.size(); ++i) {
    const auto parts = split_merge(merges[i]);
    if (!parts) throw Error("merge " + std::to_string(i) + " '" + merges[i] + "' has no space");
    ranks_.emplace(*parts, static_cast<int>(i));
  }
}

int BpeModel::find(std::string_view text) const {
  const auto it = ids_.find(text);
  return it == ids_.end() ? -1 : it->second;
}

int BpeModel::rank(std::string_view left, std::string_view right) const {
  const auto it = ranks_.find(std::pair{left, right});
  return it == ranks_.end() ? -1 : it->second;
}

void BpeModel::encode_word(std::string_view word, std::vector<int>& out) const {
  if (pre_info_->ignore_merges) {
    if (const int id = find(word); id >= 0) {
      out.push_back(id);
      return;
    }
  }
  std::vector<Symbol> symbols;
  for (std::size_t pos = 0; pos < word.size();) {
    Symbol s;
    s.begin = pos;
    s.size = std::min(word.size() - pos, utf8_length(word[pos]));
    const int index = static_cast<int>(symbols.size());
    s.prev = index - 1;
    pos += s.size;
    s.next = pos < word.size() ? index + 1 : -1;
    symbols.push_back(s);
  }
  auto text_of = [&](const Symbol& s) { return word.substr(s.begin, s.size); };

  std::priority_queue<Bigram, std::vector<Bigram>, BigramOrder> queue;
  auto consider = [&](int left, int right) {
    if (left < 0 || right < 0) return;
    const Symbol& l = symbols[static_cast<std::size_t>(left)];
    const Symbol& r = symbols[static_cast<std::size_t>(right)];
    const int k = rank(text_of(l), text_of(r));
    if (k >= 0) queue.push({k, left, right, l.size + r.size});
  };
  for (std::size_t i = 1; i < symbols.size(); ++i) consider(static_cast<int>(i) - 1, static_cast<int>(i));

  while (!queue.empty()) {
    const Bigram top = queue.top();
    queue.pop();
    Symbol& left = symbols[static_cast<std::size_t>(top.left)];
    Symbol& right = symbols[static_cast<std::size_t>(top.right)];
    if (left.size == 0 || right.size == 0 || left.size + right.size != top.size) continue;
    left.size += right.size;
    right.size = 0;
    left.next = right.next;
    if (right.next >= 0) symbols[static_cast<std::size_t>(right.next)].prev = top.left;
    consider(left.prev, top.left);
    consider(top.left, left.next);
  }

  for (int i = symbols.empty() ? -1 : 0; i != -1; i = symbols[static_cast<std::size_t>(i)].next) {
    const std::string_view piece = text_of(symbols[static_cast<std::size_t>(i)]);
    if (const int id = find(piece); id >= 0) {
      out.push_back(id);
      continue;
    }
    for (std::size_t b = 0; b < piece.size(); ++b) {
      if (const int id = find(piece.substr(b, 1)); id >= 0) out.push_back(id);
    }
  }
}

void BpeModel::encode_text(std::string_view text, std::vector<int>& out) const {
  const std::vector<char32_t> cps = unicode::decode_utf8(text);
  std::size_t start = 0;
  std::string word;
  for (const std::size_t length : pretokenizer_.split(cps)) {
    word.clear();
    std::string utf8;
    for (std::size_t i = start; i < start + length; ++i) unicode::append_utf8(utf8, cps[i]);
    for (const char c : utf8) {
      unicode::append_utf8(word, byte_level::kByteToCodePoint[static_cast<unsigned char>(c)]);
    }
    encode_word(word, out);
    start += length;
  }
}

std::vector<int> BpeModel::encode(std::string_view text, bool parse_special) const {
  std::vector<Fragment> fragments;
  if (!text.empty()) fragments.push_back({text});
  for (const int special : specials_) {
    const TokenType t = vocab_.type(special);
    if (!parse_special && t != TokenType::user_defined) continue;
    const std::string& piece = vocab_.piece(special);
    if (piece.empty()) continue;
    std::vector<Fragment> next;
    for (const Fragment& f : fragments) {
      if (f.token >= 0) {
        next.push_back(f);
        continue;
      }
      std::string_view rest = f.text;
      for (std::size_t at; (at = rest.find(piece)) != std::string_view::npos;) {
        if (at > 0) next.push_back({rest.substr(0, at)});
        next.push_back({{}, special});
        rest.remove_prefix(at + piece.size());
      }
      if (!rest.empty()) next.push_back({rest});
    }
    fragments = std::move(next);
  }
  std::vector<int> out;
  for (const Fragment& f : fragments) {
    if (f.token >= 0) {
      out.push_back(f.token);
    } else {
      encode_text(f.text, out);
    }
  }
  return out;
}

}  // namespace shoehorn
