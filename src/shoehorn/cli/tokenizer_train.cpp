// shoehorn tokenizer train: a SentencePiece BPE vocabulary from text, written as llama2.c's
// tokenizer.bin plus the SentencePiece model it came from, and on request the same vocabulary as
// GGUF tokenizer metadata (a vocabulary-only GGUF).
#include <CLI/CLI.hpp>
#include <filesystem>
#include <iostream>
#include <memory>

#include "shoehorn/cli/cli.hpp"
#include "shoehorn/cli/common.hpp"
#include "shoehorn/format/gguf_llama.hpp"
#include "shoehorn/format/tokenizer_bin.hpp"
#include "shoehorn/io/sink.hpp"
#include "shoehorn/tokenizer/spm_trainer.hpp"

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
}

}  // namespace shoehorn::cli
