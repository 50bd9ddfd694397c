#include "shoehorn/train/token_shard.hpp"

#include <algorithm>
#include <cmath>
#include <unordered_set>

#include "shoehorn/io/byte_order.hpp"
#include "shoehorn/io/cursor.hpp"
#include "shoehorn/io/error.hpp"
#include "shoehorn/model/config.hpp"
#include "shoehorn/tokenizer/corpus.hpp"

namespace shoehorn {

namespace {

constexpr std::uint32_t kShardMagic = 0x4B544853;  // "SHTK" read as a little-endian u32
constexpr std::uint32_t kShardVersion = 1;
constexpr std::uint64_t kShardHeaderBytes = 32;
constexpr std::uint64_t kMaxShardBytes = 16ull << 30;

int id_width(int vocab_size) { return vocab_size <= 65536 ? 2 : 4; }

void append_document(TokenShard& shard, std::string_view document, const Tokenizer& tokenizer) {
  const std::vector<int> ids = tokenizer.encode(document, true, false);
  shard.ids.insert(shard.ids.end(), ids.begin(), ids.end());
  shard.text_bytes += document.size();
}

// A document's letters and punctuation with case and spacing folded away, so that a story and
// its lowercased (or truecased, or re-wrapped) copy in another file are one document.
std::string document_key(std::string_view document) {
  std::string key;
  key.reserve(document.size());
  for (const char c : document) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') continue;
    key += c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  }
  return key;
}

}  // namespace

TokenizedCorpus tokenize_corpora(const std::vector<std::string>& paths, const Tokenizer& tokenizer,
                                 const CorpusSplit& split) {
  // Every file's text stays alive: the documents are views into it.
  std::vector<std::string> texts;
  std::vector<std::vector<std::string_view>> documents;
  std::vector<std::size_t> first_held_out;
  std::unordered_set<std::string> held_out_keys;
  for (const std::string& path : paths) {
    texts.push_back(read_corpus(path));
    documents.push_back(split_documents(texts.back()));
    const std::vector<std::string_view>& docs = documents.back();
    if (docs.size() < 2) {
      fail(path, "holds " + std::to_string(docs.size()) +
                     " document(s); at least 2 are needed so that one can be held out "
                     "(separate documents with '<|endoftext|>' lines or blank lines)");
    }
    const auto held_out = std::clamp<std::size_t>(
        static_cast<std::size_t>(std::ceil(split.valid_fraction * static_cast<double>(docs.size()))),
        1, docs.size() - 1);
    first_held_out.push_back(docs.size() - held_out);
    for (std::size_t i = first_held_out.back(); i < docs.size(); ++i) {
      held_out_keys.insert(document_key(docs[i]));
    }
  }
  TokenizedCorpus corpus;
  corpus.train.vocab_size = corpus.valid.vocab_size = tokenizer.vocab().size();
  std::unordered_set<std::string> trained_keys;
  for (std::size_t f = 0; f < documents.size(); ++f) {
    for (std::size_t i = 0; i < documents[f].size(); ++i) {
      const std::string_view document = documents[f][i];
      if (i >= first_held_out[f]) {
        append_document(corpus.valid, document, tokenizer);
        continue;
      }
      // A copy of a held-out document would make the held-out loss a training loss.
      std::string key = document_key(document);
      if (held_out_keys.contains(key)) {
        ++corpus.dropped_as_held_out;
      } else if (split.drop_repeats && !trained_keys.insert(std::move(key)).second) {
        ++corpus.dropped_as_repeats;
      } else {
        append_document(corpus.train, document, tokenizer);
      }
    }
  }
  return corpus;
}

std::vector<std::byte> write_token_shard(const TokenShard& shard) {
  const int width = id_width(shard.vocab_size);
  std::vector<std::byte> out(kShardHeaderBytes + shard.ids.size() * static_cast<std::size_t>(width));
  std::byte* p = out.data();
  store_u32(p, kShardMagic, ByteOrder::little);
  store_u32(p + 4, kShardVersion, ByteOrder::little);
  store_u32(p + 8, static_cast<std::uint32_t>(width), ByteOrder::little);
  store_u32(p + 12, static_cast<std::uint32_t>(shard.vocab_size), ByteOrder::little);
  store_u64(p + 16, shard.ids.size(), ByteOrder::little);
  store_u64(p + 24, shard.text_bytes, ByteOrder::little);
  p += kShardHeaderBytes;
  for (const std::uint32_t id : shard.ids) {
    if (width == 2) {
      store_u16(p, static_cast<std::uint16_t>(id), ByteOrder::little);
    } else {
      store_u32(p, id, ByteOrder::little);
    }
    p += width;
  }
  return out;
}

TokenShard read_token_shard(const ByteSource& source) {
  const std::string& name = source.name();
  const std::vector<std::byte> bytes = read_all(source, kMaxShardBytes);
  ByteCursor in(name, bytes, ByteOrder::little);
  if (in.u32("magic") != kShardMagic) fail_at(name, "magic", 0, "not a shoehorn token shard");
  if (const std::uint32_t version = in.u32("version"); version != kShardVersion) {
    fail_at(name, "version", 4, "version " + std::to_string(version) + " is not 1");
  }
  const std::uint32_t width = in.u32("bytes per id");
  if (width != 2 && width != 4) {
    fail_at(name, "bytes per id", 8, "value " + std::to_string(width) + " is not 2 or 4");
  }
  TokenShard shard;
  const std::uint32_t vocab_size = in.u32("vocab_size");
  if (vocab_size < 1 || vocab_size > static_cast<std::uint32_t>(kMaxVocab) ||
      (width == 2 && vocab_size > 65536)) {
    fail_at(name, "vocab_size", 12,
            "value " + std::to_string(vocab_size) + " does not fit " +
                std::to_string(width) + "-byte ids");
  }
  shard.vocab_size = static_cast<int>(vocab_size);
  const std::uint64_t count = in.u64("token count");
  shard.text_bytes = in.u64("text bytes");
  if (count > in.remaining() / width || count * width != in.remaining()) {
    fail_at(name, "token count", 16,
            std::to_string(count) + " ids of " + std::to_string(width) +
                " bytes do not fill the " + std::to_string(in.remaining()) +
                " bytes after the header");
  }
  shard.ids.resize(static_cast<std::size_t>(count));
  for (std::uint32_t& id : shard.ids) {
    const std::uint64_t offset = in.offset();
    id = width == 2 ? in.u16("id") : in.u32("id");
    if (id >= vocab_size) {
      fail_at(name, "id", offset,
              "token " + std::to_string(id) + " is outside the vocabulary of " +
                  std::to_string(vocab_size));
    }
  }
  return shard;
}

}  // namespace shoehorn
