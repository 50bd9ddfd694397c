#include "shoehorn/tokenizer/spm_trainer.hpp"

#include <sentencepiece_processor.h>
#include <sentencepiece_trainer.h>

#include <algorithm>
#include <unordered_map>

#include "shoehorn/io/error.hpp"
#include "shoehorn/io/source.hpp"
#include "shoehorn/tokenizer/utf8.hpp"

namespace shoehorn {

namespace {

constexpr std::uint64_t kMaxCorpusBytes = 4ull << 30;
constexpr int kMaxLineBytes = 1 << 16;

// Checks that text is UTF-8 without NUL bytes and splits it into non-empty lines.
void append_lines(const std::string& path, const std::string& text,
                  std::vector<std::string>& lines) {
  if (text.empty()) fail(path, "empty corpus");
  std::size_t line_start = 0;
  for (std::size_t at = 0; at < text.size();) {
    if (text[at] == '\0') fail_at(path, "text", at, "NUL byte: not a text file");
    if (text[at] == '\n') {
      if (at > line_start) lines.push_back(text.substr(line_start, at - line_start));
      line_start = ++at;
      continue;
    }
    const std::size_t length = utf8::valid_prefix_length(std::string_view(text).substr(at));
    if (length == 0) fail_at(path, "text", at, "not UTF-8");
    if (at + length - line_start > kMaxLineBytes) {
      fail_at(path, "text", line_start, "a line longer than 65536 bytes");
    }
    at += length;
  }
  if (text.size() > line_start) lines.push_back(text.substr(line_start));
}

class LineIterator final : public sentencepiece::SentenceIterator {
 public:
  explicit LineIterator(const std::vector<std::string>& lines) : lines_(lines) {}
  bool done() const override { return index_ >= lines_.size(); }
  void Next() override { ++index_; }
  const std::string& value() const override { return lines_[index_]; }
  sentencepiece::util::Status status() const override { return {}; }

 private:
  const std::vector<std::string>& lines_;
  std::size_t index_ = 0;
};

std::string text_of(const std::string& path) {
  const FileSource source(path);
  const std::vector<std::byte> bytes = read_all(source, kMaxCorpusBytes);
  std::string text(bytes.size(), '\0');
  std::transform(bytes.begin(), bytes.end(), text.begin(),
                 [](std::byte b) { return static_cast<char>(b); });
  return text;
}

}  // namespace

Vocab vocab_from_spm_model(const std::string& serialized_model, const std::string& name) {
  sentencepiece::SentencePieceProcessor processor;
  if (const auto status = processor.LoadFromSerializedProto(serialized_model); !status.ok()) {
    fail(name, "not a SentencePiece model: " + std::string(status.message()));
  }
  const int n = processor.GetPieceSize();
  std::vector<std::string> pieces;
  std::vector<float> scores;
  std::vector<TokenType> types;
  int max_length = 1;
  for (int id = 0; id < n; ++id) {
    std::string piece = processor.IdToPiece(id);
    // llama2.c's export: BOS and EOS spelled with newlines, U+2581 as a plain space.
    if (id == processor.bos_id()) piece = "\n<s>\n";
    if (id == processor.eos_id()) piece = "\n</s>\n";
    for (std::size_t at = piece.find(utf8::kWordBoundary); at != std::string::npos;
         at = piece.find(utf8::kWordBoundary, at + 1)) {
      piece.replace(at, utf8::kWordBoundary.size(), " ");
    }
    TokenType type = TokenType::normal;
    if (processor.IsUnknown(id)) type = TokenType::unknown;
    if (processor.IsControl(id)) type = TokenType::control;
    if (processor.IsUnused(id)) type = TokenType::unused;
    if (processor.IsByte(id)) type = TokenType::byte;
    max_length = std::max(max_length, static_cast<int>(piece.size()));
    pieces.push_back(std::move(piece));
    scores.push_back(processor.GetScore(id));
    types.push_back(type);
  }
  return Vocab(std::move(pieces), std::move(scores), std::move(types), max_length,
               processor.bos_id(), processor.eos_id(), processor.unk_id());
}

TrainedTokenizer train_tokenizer(const std::vector<std::string>& corpora,
                                 const TokenizerTrainSettings& settings) {
  if (corpora.empty()) fail("tokenizer train", "no corpus given");
  std::vector<std::string> lines;
  for (const std::string& path : corpora) append_lines(path, text_of(path), lines);

  const std::unordered_map<std::string, std::string> spec = {
      {"model_type", "bpe"},
      {"vocab_size", std::to_string(settings.vocab_size)},
      {"byte_fallback", "true"},
      {"normalization_rule_name", "identity"},
      {"remove_extra_whitespaces", "false"},
      {"add_dummy_prefix", "true"},
      {"split_digits", "true"},
      {"allow_whitespace_only_pieces", "true"},
      {"character_coverage", "0.99995"},
      {"max_sentence_length", std::to_string(kMaxLineBytes)},
      {"input_sentence_size", std::to_string(settings.max_sentences)},
      {"shuffle_input_sentence", "true"},
      {"num_threads", std::to_string(std::max(1, settings.threads))},
      {"unk_id", "0"},
      {"bos_id", "1"},
      {"eos_id", "2"},
      {"pad_id", "-1"},
      {"minloglevel", "2"},
  };
  LineIterator iterator(lines);
  TrainedTokenizer trained;
  if (const auto status =
          sentencepiece::SentencePieceTrainer::Train(spec, &iterator, &trained.spm_model);
      !status.ok()) {
    fail(corpora.front(), "SentencePiece training failed: " + std::string(status.message()));
  }
  trained.vocab = vocab_from_spm_model(trained.spm_model, corpora.front());
  return trained;
}

}  // namespace shoehorn
