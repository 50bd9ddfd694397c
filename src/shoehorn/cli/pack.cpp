// shoehorn pack: a model laid out for a target (execution order, its alignment and byte order,
// a checksum per tensor).
#include <CLI/CLI.hpp>
#include <memory>

#include "shoehorn/cli/cli.hpp"
#include "shoehorn/cli/common.hpp"
#include "shoehorn/format/gguf.hpp"
#include "shoehorn/format/load.hpp"
#include "shoehorn/format/pack.hpp"
#include "shoehorn/io/error.hpp"
#include "shoehorn/io/sink.hpp"

namespace shoehorn::cli {

namespace {

struct PackOptions {
  std::string model;
  std::string target;
  std::string output;
  std::optional<std::string> tokenizer;
};

void pack(const PackOptions& o) {
  const Target& target = target_named(o.target);
  const FileSource source(model_or_default(o.model));
  const ModelFile file = read_model_file(source);
  verify_checksums(file, source);
  std::optional<Vocab> vocab;
  if (o.tokenizer) vocab = read_vocab_file(*o.tokenizer);
  else if (is_gguf(source)) vocab = gguf_vocab(read_gguf(source));
  if (vocab) vocab->truncate(file.config.vocab_size);
  FileSink sink(o.output);
  write_pack(sink, file, source, vocab ? &*vocab : nullptr, target);
  sink.close();
}

}  // namespace

void add_pack(CLI::App& app, Io) {
  auto options = std::make_shared<PackOptions>();
  CLI::App* cmd = app.add_subcommand(
      "pack", "Write a GGUF laid out for a target: execution order, its alignment and byte "
              "order, a CRC-32 per tensor");
  cmd->add_option("model", options->model, "Model file; default: the bundled model");
  add_target_option(*cmd, options->target, "Target")->required();
  cmd->add_option("-o,--output", options->output, "Output file")->required();
  cmd->add_option("-z", options->tokenizer, "Tokenizer to embed (default: the model's own)");
  cmd->callback([options] { pack(*options); });
}

}  // namespace shoehorn::cli
