#include "shoehorn/tokenizer/spm_trainer.hpp"

#include <sentencepiece_processor.h>
#include <sentencepiece_trainer.h>

#include <algorithm>
#include <unordered_map>

#include "shoehorn/io/error.hpp"
#include "shoehorn/tokenizer/corpus.hpp"
#include "shoehorn/tokenizer/utf8.hpp"

namespace shoehorn {

namespace {

constexpr int kMaxLineBytes = 1 << 16;

// Splits checked text into its non-empty lines (SentencePiece's sentences).
void append_lines(const std::string& path, const std::string& text,
                  std::vector<std::string>& lines) {
  std::size_t line_start = 0;
  while (line_start < text.size()) {
    const std::size_t newline = std::min(text.find('\n', line_start), text.size());
    if (newline - line_start > kMaxLineBytes) {
      fail_at(path, "text", line_start, "a line longer than 65536 bytes");
    }
    if (newline > line_start) lines.push_back(text.substr(line_start, newline - line_start));
    line_start = newline + 1;
  }
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
  for (const std::string& path : corpora) append_lines(path, read_corpus(path), lines);

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
