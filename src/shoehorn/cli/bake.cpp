// shoehorn bake: a model and its vocabulary as a C++ header for the constexpr engine, or an
// n-gram model (told by its magic) as a header for the n-gram runtime.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <filesystem>
#include <memory>
#include <optional>

#include "shoehorn/cli/cli.hpp"
#include "shoehorn/cli/common.hpp"
#include "shoehorn/ctime/bake.hpp"
#include "shoehorn/format/llama2c.hpp"
#include "shoehorn/format/load.hpp"
#include "shoehorn/format/tokenizer_bin.hpp"
#include "shoehorn/io/error.hpp"
#include "shoehorn/io/source.hpp"
#include "shoehorn/model/dequantize.hpp"
#include "shoehorn/ngram/model_file.hpp"

namespace shoehorn::cli {

namespace {

struct BakeFlags {
  std::string model;
  std::optional<std::string> tokenizer;
  std::string output;
  std::optional<std::string> quant;  // absent: as stored
  int group_size = 64;
  std::optional<std::string> name;
  bool vocab_only = false;
};

// The constexpr engine computes F32 matrices or llama2.c's int8 groups, one type for all.
bool every_matrix_is(const Model& model, WeightType type) {
  return std::all_of(model.file.tensors.begin(), model.file.tensors.end(), [&](const TensorInfo& t) {
    return !is_matrix(t.role) || tensor_of(model.weights, t.role, t.layer).type == type;
  });
}

void write_header(const std::string& path, const std::string& text) {
  write_file(path, std::as_bytes(std::span(text.data(), text.size())));
}

// An n-gram model has its tables and nothing else to choose.
void bake_ngram(const BakeFlags& o, const CLI::App& cmd, BakeOptions& options) {
  for (const char* flag : {"-z", "--quant", "--group-size", "--vocab-only"}) {
    if (cmd.count(flag) > 0) {
      throw CLI::ValidationError(std::string(flag) + " does not apply to an n-gram model");
    }
  }
  options.model_path = o.model;
  write_header(o.output, bake_ngram_header(ngram::read_model(FileSource(o.model)), options));
}

void bake(const BakeFlags& o, const CLI::App& cmd) {
  BakeOptions options;
  options.name = o.name.value_or(std::filesystem::path(o.output).stem().string());
  if (!o.model.empty() && ngram::is_model_file(FileSource(o.model))) {
    bake_ngram(o, cmd, options);
    return;
  }
  if (o.vocab_only) {
    options.vocab_path = *o.tokenizer;
    write_header(o.output, bake_vocab_header(read_tokenizer_bin(FileSource(*o.tokenizer)), options));
    return;
  }
  options.model_path = model_or_default(o.model);
  Model model = load_model(options.model_path);
  const Tokenizer tokenizer = load_tokenizer_for(model, o.tokenizer);
  options.vocab_path = o.tokenizer.value_or("the tokenizer.bin beside it");
  if (o.quant == "q8_group") {
    if (!every_matrix_is(model, WeightType::q8_group)) {
      model = reloaded_as(model, {Llama2cVersion::v2, ByteOrder::little, o.group_size});
    }
  } else if (!every_matrix_is(model, WeightType::f32) &&
             (o.quant == "f32" || !every_matrix_is(model, WeightType::q8_group))) {
    // What the engine does not compute (F16, ggml's blocks, a mix) it gets as floats.
    model = dequantized(model);
  }
  write_header(o.output, bake_header(model, tokenizer.vocab(), options));
}

}  // namespace

void add_bake(CLI::App& app, Io) {
  auto options = std::make_shared<BakeFlags>();
  CLI::App* cmd = app.add_subcommand(
      "bake", "Write a model (or an n-gram model) as a C++ header of constexpr arrays for the compile-time engine");
  cmd->add_option("model", options->model, "Model file (llama2.c .bin, GGUF, or an n-gram model); default: the bundled model");
  CLI::Option* z = cmd->add_option("-z", options->tokenizer, "Tokenizer (llama2.c tokenizer.bin)");
  cmd->add_option("-o,--output", options->output, "Header to write")->required();
  cmd->add_option("--quant", options->quant,
                  "Weights: f32, or q8_group (int8 groups with a float scale each, as llama2.c "
                  "version 2; not ggml's Q8_0 blocks); default: as stored when the engine "
                  "computes it (F32, int8 groups), else f32")
      ->check(CLI::IsMember({"f32", "q8_group"}));
  cmd->add_option("--group-size", options->group_size,
                  "q8_group group size, halved until it divides dim and hidden_dim (default 64)")
      ->check(CLI::Range(1, 1 << 16));
  cmd->add_option("--name", options->name,
                  "Name of the struct (in namespace shoehorn::baked); default: the output's stem");
  cmd->add_flag("--vocab-only", options->vocab_only,
                "Bake only the vocabulary of -z (for compile-time tokenizing)")
      ->needs(z);
  cmd->callback([options, cmd] { bake(*options, *cmd); });
}

}  // namespace shoehorn::cli
