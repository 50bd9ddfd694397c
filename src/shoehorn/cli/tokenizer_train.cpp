// shoehorn tokenizer train: a SentencePiece BPE vocabulary from text, written as llama2.c's
// tokenizer.bin plus the SentencePiece model it came from, and on request the same vocabulary as
// GGUF tokenizer metadata (a vocabulary-only GGUF). shoehorn tokenizer truecase: letter case
// restored to a lowercased corpus, learned from a cased one.
#include <CLI/CLI.hpp>
#include <filesystem>
#include <iostream>
#include <memory>

#include "shoehorn/cli/cli.hpp"
#include "shoehorn/cli/common.hpp"
#include "shoehorn/format/gguf_llama.hpp"
#include "shoehorn/format/tokenizer_bin.hpp"
#include "shoehorn/io/sink.hpp"
#include "shoehorn/tokenizer/corpus.hpp"
#include "shoehorn/tokenizer/spm_trainer.hpp"
#include "shoehorn/tokenizer/truecase.hpp"

namespace shoehorn::cli {

namespace {

struct TrainOptions {
  std::vector<std::string> corpora;
  std::string output;
  std::string gguf_output;
  int threads = 0;
  TokenizerTrainSettings settings;
};

// tok.bin -> tok.model, beside it.
std::string model_path_for(const std::string& output) {
  return std::filesystem::path(output).replace_extension(".model").string();
}

void train(const TrainOptions& o, Io io) {
  TokenizerTrainSettings settings = o.settings;
  settings.threads = thread_count(o.threads);
  const TrainedTokenizer trained = train_tokenizer(o.corpora, settings);
  write_file(o.output, write_tokenizer_bin(trained.vocab));
  const std::string model_path = model_path_for(o.output);
  write_file(model_path, std::as_bytes(std::span(trained.spm_model)));
  io.err << "wrote " << o.output << " (" << trained.vocab.size() << " tokens) and "
         << model_path << '\n';
  if (!o.gguf_output.empty()) {
    FileSink sink(o.gguf_output);
    write_vocab_gguf(sink, trained.vocab);
    sink.close();
    io.err << "wrote " << o.gguf_output << " (GGUF tokenizer metadata)\n";
  }
}

struct TruecaseOptions {
  std::string lowercased;
  std::string cased;
  std::string output;
  bool mark_stories = false;
};

void truecase_corpus(const TruecaseOptions& o, Io io) {
  const CaseDictionary dictionary = learn_case(read_corpus(o.cased));
  std::string text = truecase(read_corpus(o.lowercased), dictionary);
  if (o.mark_stories) text = mark_single_breaks_as_documents(text);
  write_file(o.output, std::as_bytes(std::span(text)));
  io.err << "wrote " << o.output << " (" << text.size() << " bytes; case of " << dictionary.size()
         << " words learned from " << o.cased << ")\n";
}

void add_truecase(CLI::App& group, Io io) {
  auto options = std::make_shared<TruecaseOptions>();
  CLI::App* cmd = group.add_subcommand(
      "truecase", "Restore letter case to lowercased text, learned from cased text of its kind");
  cmd->add_option("lowercased", options->lowercased, "Lowercased UTF-8 text")->required();
  cmd->add_option("--like", options->cased, "Cased UTF-8 text to learn each word's case from")
      ->required();
  cmd->add_option("-o,--output", options->output, "Text to write")->required();
  cmd->add_flag("--mark-stories", options->mark_stories,
                "Paragraphs are separated by blank lines, stories by single line breaks: write an "
                "<|endoftext|> line between stories so that training keeps each story whole");
  cmd->callback([options, io] { truecase_corpus(*options, io); });
}

}  // namespace

void add_tokenizer(CLI::App& app, Io io) {
  CLI::App* group = app.add_subcommand("tokenizer", "Tokenizer tools");
  group->require_subcommand(1);
  auto options = std::make_shared<TrainOptions>();
  CLI::App* cmd = group->add_subcommand(
      "train", "Train a BPE vocabulary (SentencePiece, byte fallback, no normalization)");
  cmd->add_option("corpus", options->corpora, "UTF-8 text files")->required();
  cmd->add_option("--vocab", options->settings.vocab_size, "Vocabulary size (default 8192)")
      ->check(CLI::Range(260, 1 << 20));
  cmd->add_option("-o,--output", options->output,
                  "tokenizer.bin to write (the SentencePiece model goes beside it as .model)")
      ->required();
  cmd->add_option("--gguf", options->gguf_output,
                  "Also write the vocabulary as a GGUF of tokenizer.ggml.* keys (no tensors)");
  cmd->add_option("--max-sentences", options->settings.max_sentences,
                  "Train on a seeded sample of this many lines (default 0: all)");
  add_threads_option(*cmd, options->threads);
  cmd->callback([options, io] { train(*options, io); });
  add_truecase(*group, io);
}

}  // namespace shoehorn::cli
