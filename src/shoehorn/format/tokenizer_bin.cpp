#include "shoehorn/format/tokenizer_bin.hpp"

#include <cmath>
#include <string>

#include "shoehorn/io/cursor.hpp"
#include "shoehorn/io/error.hpp"

namespace shoehorn {

namespace {

std::string token_field(std::size_t id, const char* part) {
  return "token[" + std::to_string(id) + "]." + part;
}

}  // namespace

Vocab read_tokenizer_bin(const ByteSource& source) {
  const std::vector<std::byte> bytes = read_all(source, kMaxTokenizerFileBytes);
  ByteCursor in(source.name(), bytes, ByteOrder::little);

  const std::uint64_t max_len_offset = in.offset();
  const std::int32_t max_token_length = in.i32("max_token_length");
  if (max_token_length < 1 || max_token_length > kMaxTokenLength) {
    fail_at(source.name(), "max_token_length", max_len_offset,
            "value " + std::to_string(max_token_length) + " is outside 1.." +
                std::to_string(kMaxTokenLength));
  }

  std::vector<std::string> pieces;
  std::vector<float> scores;
  std::vector<TokenType> types;
  while (in.remaining() > 0) {
    const std::size_t id = pieces.size();
    if (!in.has(8)) in.need(8, token_field(id, "score+length"));
    const std::uint64_t score_offset = in.offset();
    const float score = in.f32("score");
    if (std::isnan(score)) fail_at(source.name(), token_field(id, "score"), score_offset, "NaN");
    const std::uint64_t len_offset = in.offset();
    const std::int32_t len = in.i32("length");
    if (len < 1 || len > max_token_length) {
      fail_at(source.name(), token_field(id, "length"), len_offset,
              "value " + std::to_string(len) + " is outside 1..max_token_length (" +
                  std::to_string(max_token_length) + ")");
    }
    if (!in.has(static_cast<std::uint64_t>(len))) {
      in.need(static_cast<std::uint64_t>(len), token_field(id, "bytes"));
    }
    const auto text = in.bytes(static_cast<std::uint64_t>(len), "bytes");
    std::string piece(reinterpret_cast<const char*>(text.data()), text.size());
    types.push_back(guess_token_type(static_cast<int>(id), piece));
    pieces.push_back(std::move(piece));
    scores.push_back(score);
  }
  if (pieces.size() < 3) {
    fail_at(source.name(), "tokens", in.offset(),
            "holds " + std::to_string(pieces.size()) +
                " tokens; a llama2.c vocabulary needs at least <unk>, <s> and </s>");
  }
  return Vocab(std::move(pieces), std::move(scores), std::move(types), max_token_length,
               /*bos_id=*/1, /*eos_id=*/2, /*unk_id=*/0);
}

std::vector<std::byte> write_tokenizer_bin(const Vocab& vocab) {
  std::size_t total = 4;
  for (int id = 0; id < vocab.size(); ++id) total += 8 + vocab.piece(id).size();
  std::vector<std::byte> out(total);
  std::byte* p = out.data();
  int max_len = 1;
  for (int id = 0; id < vocab.size(); ++id) {
    max_len = std::max(max_len, static_cast<int>(vocab.piece(id).size()));
  }
  store_u32(p, static_cast<std::uint32_t>(max_len), ByteOrder::little);
  p += 4;
  for (int id = 0; id < vocab.size(); ++id) {
    const std::string& piece = vocab.piece(id);
    store_f32(p, vocab.score(id), ByteOrder::little);
    store_u32(p + 4, static_cast<std::uint32_t>(piece.size()), ByteOrder::little);
    p += 8;
    for (const char c : piece) *p++ = static_cast<std::byte>(c);
  }
  return out;
}

}  // namespace shoehorn
