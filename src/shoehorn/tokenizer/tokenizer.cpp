#include "shoehorn/tokenizer/tokenizer.hpp"

#include <algorithm>
#include <array>
#include <queue>
#include <unordered_map>

#include "shoehorn/io/error.hpp"
#include "shoehorn/tokenizer/utf8.hpp"

namespace shoehorn {

namespace {

// A run of normalized text that is currently one symbol; symbols form a linked list.
struct Symbol {
  std::size_t begin = 0;
  std::size_t size = 0;  // 0 once merged into its left neighbour
  int prev = -1;
  int next = -1;
  bool frozen = false;  // user-defined pieces never merge
};

struct Candidate {
  float score;
  int left;
  int right;
  std::size_t size;  // left + right size when queued: detects stale entries
};

// Highest score first; among equal scores the leftmost pair, as SentencePiece orders them.
struct CandidateOrder {
  bool operator()(const Candidate& a, const Candidate& b) const {
    if (a.score != b.score) return a.score < b.score;
    return a.left > b.left;
  }
};

}  // namespace

Tokenizer::Tokenizer(Vocab vocab) : vocab_(std::make_shared<const Vocab>(std::move(vocab))) {
  if (vocab_->bpe() != nullptr) bpe_ = std::make_shared<const BpeModel>(*vocab_);
  for (int id = 0; id < vocab_->size(); ++id) {
    if (vocab_->type(id) == TokenType::user_defined) user_defined_.push_back(id);
  }
  std::stable_sort(user_defined_.begin(), user_defined_.end(), [this](int a, int b) {
    return vocab_->piece(a).size() > vocab_->piece(b).size();
  });
}

std::pmr::string Tokenizer::normalize(std::string_view text, std::pmr::memory_resource* memory) const {
  std::pmr::string out(memory);
  if (text.empty()) return out;
  out.reserve(text.size() + 8);
  out += ' ';  // the dummy prefix: a word boundary before the first word
  while (!text.empty()) {
    const std::size_t len = utf8::valid_prefix_length(text);
    if (len == 0) {
      out += utf8::kReplacementCharacter;
      text.remove_prefix(1);
      continue;
    }
    const std::string_view ch = text.substr(0, len);
    if (ch == utf8::kWordBoundary) {
      out += ' ';  // the vocabulary spells U+2581 as a space
    } else {
      out += ch;
    }
    text.remove_prefix(len);
  }
  return out;
}

namespace {

void check_special(int id, const Vocab& vocab, const char* what) {
  if (id < 0 || id >= vocab.size()) {
    throw Error(std::string("the vocabulary has no ") + what + " token (id " + std::to_string(id) + ")");
  }
}

}  // namespace

std::vector<int> Tokenizer::encode(std::string_view text, bool bos, bool eos) const {
  const std::pmr::vector<int> ids = encode(text, bos, eos, std::pmr::new_delete_resource());
  return {ids.begin(), ids.end()};
}

std::pmr::vector<int> Tokenizer::encode(std::string_view text, bool bos, bool eos,
                                        std::pmr::memory_resource* memory) const {
  if (bos) check_special(vocab_->bos_id(), *vocab_, "BOS");
  if (eos) check_special(vocab_->eos_id(), *vocab_, "EOS");
  std::pmr::vector<int> ids(memory);
  if (bpe_) {
    if (bos) ids.push_back(vocab_->bos_id());
    const std::vector<int> body = bpe_->encode(text, false);
    ids.insert(ids.end(), body.begin(), body.end());
  } else {
    ids = encode_spm(text, memory);  // the body's ids, BOS put before them in place
    if (bos) ids.insert(ids.begin(), vocab_->bos_id());
  }
  if (eos) ids.push_back(vocab_->eos_id());
  return ids;
}

std::vector<int> Tokenizer::encode_with_specials(std::string_view text, bool bos, bool eos) const {
  if (bpe_) {
    std::vector<int> ids = encode({}, bos, false);
    const std::vector<int> body = bpe_->encode(text, true);
    ids.insert(ids.end(), body.begin(), body.end());
    if (eos) ids.push_back(encode({}, false, true).back());
    return ids;
  }
  // Control tokens, longest first, cut out of the text; the runs between encode on their own.
  std::vector<int> controls;
  for (int id = 0; id < vocab_->size(); ++id) {
    if (vocab_->type(id) == TokenType::control && !vocab_->piece(id).empty()) controls.push_back(id);
  }
  std::stable_sort(controls.begin(), controls.end(), [this](int a, int b) {
    return vocab_->piece(a).size() > vocab_->piece(b).size();
  });
  std::vector<int> ids = encode({}, bos, false);
  while (!text.empty()) {
    std::size_t best_at = std::string_view::npos;
    int best = -1;
    for (const int id : controls) {
      const std::size_t at = text.find(vocab_->piece(id));
      if (at < best_at) best_at = at, best = id;
    }
    const std::pmr::vector<int> run = encode_spm(text.substr(0, best_at), std::pmr::new_delete_resource());
    ids.insert(ids.end(), run.begin(), run.end());
    if (best < 0) break;
    ids.push_back(best);
    text.remove_prefix(best_at + vocab_->piece(best).size());
  }
  if (eos) ids.push_back(encode({}, false, true).back());
  return ids;
}

std::pmr::vector<int> Tokenizer::encode_spm(std::string_view text, std::pmr::memory_resource* memory) const {
  const std::pmr::string normalized = normalize(text, memory);
  const std::string_view norm = normalized;

  std::pmr::vector<Symbol> symbols(memory);
  symbols.reserve(norm.size());
  for (std::size_t pos = 0; pos < norm.size();) {
    Symbol s;
    s.begin = pos;
    for (const int id : user_defined_) {
      const std::string& piece = vocab_->piece(id);
      if (norm.substr(pos, piece.size()) == piece) {
        s.size = piece.size();
        s.frozen = true;
        break;
      }
    }
    if (s.size == 0) s.size = utf8::valid_prefix_length(norm.substr(pos));
    const int index = static_cast<int>(symbols.size());
    s.prev = index - 1;
    s.next = pos + s.size < norm.size() ? index + 1 : -1;
    pos += s.size;
    symbols.push_back(s);
  }

  std::priority_queue<Candidate, std::pmr::vector<Candidate>, CandidateOrder> agenda{
      CandidateOrder{}, std::pmr::vector<Candidate>(memory)};
  // Pieces of type "unused" may be merged through, then split back (SentencePiece's rev_merge).
  std::pmr::unordered_map<std::string_view, std::size_t> unused_split(memory);
  auto consider = [&](int left, int right) {
    if (left < 0 || right < 0 || symbols[left].frozen || symbols[right].frozen) return;
    const std::size_t size = symbols[left].size + symbols[right].size;
    const std::string_view piece = norm.substr(symbols[left].begin, size);
    const int id = vocab_->find(piece);
    if (id < 0) return;
    agenda.push({vocab_->score(id), left, right, size});
    if (vocab_->type(id) == TokenType::unused) unused_split[piece] = symbols[left].size;
  };
  for (std::size_t i = 1; i < symbols.size(); ++i) {
    consider(static_cast<int>(i) - 1, static_cast<int>(i));
  }

  while (!agenda.empty()) {
    const Candidate top = agenda.top();
    agenda.pop();
    Symbol& left = symbols[top.left];
    Symbol& right = symbols[top.right];
    if (left.size == 0 || right.size == 0 || left.size + right.size != top.size) continue;
    left.size += right.size;
    left.next = right.next;
    if (right.next >= 0) symbols[right.next].prev = top.left;
    right.size = 0;
    consider(left.prev, top.left);
    consider(top.left, left.next);
  }

  std::pmr::vector<int> ids(memory);
  ids.reserve(symbols.size() + 2);  // room for a BOS and an EOS around them
  auto emit = [&](auto&& self, std::string_view piece) -> void {
    const int id = vocab_->find(piece);
    if (id >= 0 && vocab_->type(id) == TokenType::unused) {
      if (const auto split = unused_split.find(piece); split != unused_split.end()) {
        self(self, piece.substr(0, split->second));
        self(self, piece.substr(split->second));
        return;
      }
    }
    if (id >= 0) {
      ids.push_back(id);
      return;
    }
    // Outside the vocabulary: one <0xHH> piece per byte, or <unk> without byte pieces.
    bool all_bytes = true;
    for (const char c : piece) all_bytes = all_bytes && vocab_->byte_id(static_cast<std::uint8_t>(c)) >= 0;
    if (!all_bytes) {
      ids.push_back(vocab_->unk_id());
      return;
    }
    for (const char c : piece) ids.push_back(vocab_->byte_id(static_cast<std::uint8_t>(c)));
  };
  for (int i = symbols.empty() ? -1 : 0; i != -1; i = symbols[i].next) {
    emit(emit, norm.substr(symbols[i].begin, symbols[i].size));
  }
  return ids;
}

std::string_view Tokenizer::decode(int prev_token, int token) const {
  if (bpe_) return bpe_->token_bytes(token);
  return decode_piece(vocab_->piece(token), prev_token == vocab_->bos_id());
}

}  // namespace shoehorn
