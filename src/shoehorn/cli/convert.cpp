// shoehorn convert: rewrite a model in another format, quantization, version or byte order.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <iostream>
#include <memory>
#include <string>

#include "shoehorn/cli/cli.hpp"
#include "shoehorn/cli/common.hpp"
#include "shoehorn/format/gguf_llama.hpp"
#include "shoehorn/format/llama2c.hpp"
#include "shoehorn/format/load.hpp"
#include "shoehorn/format/pack.hpp"
#include "shoehorn/io/error.hpp"
#include "shoehorn/io/sink.hpp"
#include "shoehorn/quant/blocks.hpp"

namespace shoehorn::cli {

namespace {

struct ConvertOptions {
  std::string input;
  std::string output;
  std::optional<std::string> tokenizer;
  ModelOutputFlags format;
};

// Whether every tensor of the file can go into a GGUF as it is.
bool gguf_holds(const ModelFile& file) {
  return std::all_of(file.tensors.begin(), file.tensors.end(),
                     [](const TensorInfo& t) { return is_file_type(t.type); });
}

// Matrices whose rows are not whole super-blocks of a 256-value type: llama-quantize writes
// them in fallback types (a mix shoehorn does not write yet), so convert refuses them here,
// naming the first such tensor, before it creates the output.
void check_whole_super_blocks(const ModelFile& file, WeightType quant) {
  const int values = traits(quant).block_values;
  if (values != kSuperValues) return;
  for (const TensorInfo& t : file.tensors) {
    if (is_matrix(t.role) && t.cols % values != 0) {
      fail_at(file.path, "tensor " + t.name, t.offset,
              "rows of " + std::to_string(t.cols) + " values are not whole " + to_string(quant) +
                  " super-blocks of " + std::to_string(values) + " (no fallback type is written)");
    }
  }
}

void convert(const ConvertOptions& o, const CLI::App& cmd, Io io) {
  const bool gguf = o.format.writes_gguf(cmd, o.output);
  const FileSource source(o.input);
  ModelFile file = read_model_file(source);
  verify_checksums(file, source);
  const bool as_is = gguf && !o.format.requested_quant() && gguf_holds(file);
  if (gguf && o.format.requested_quant()) check_whole_super_blocks(file, *o.format.requested_quant());
  const Model model = as_is ? Model{} : load_resident(file, source);
  if (!gguf) {
    write_file(o.output, write_llama2c(model, o.format.llama2c_options()));
    return;
  }
  // GGUF carries its tokenizer: -z, or the one the input has or sits beside.
  const std::optional<Vocab> vocab = find_vocab(file, o.tokenizer);
  if (!vocab) io.err << "shoehorn: note: no tokenizer found (-z): " << o.output << " has none\n";
  FileSink sink(o.output);
  if (as_is) {
    write_llama_gguf_as_is(sink, file, source, vocab ? &*vocab : nullptr, o.format.gguf_options());
  } else {
    write_llama_gguf(sink, model, vocab ? &*vocab : nullptr, o.format.gguf_options());
  }
  sink.close();
}

}  // namespace

void add_convert(CLI::App& app, Io io) {
  auto options = std::make_shared<ConvertOptions>();
  CLI::App* cmd = app.add_subcommand(
      "convert", "Rewrite a model as GGUF or llama2.c, in another quantization or byte order");
  cmd->add_option("input", options->input, "Model file (llama2.c or GGUF)")->required();
  cmd->add_option("output", options->output, "File to write (*.gguf: GGUF)")->required();
  cmd->add_option("-z", options->tokenizer,
                  "Tokenizer to embed in GGUF output (tokenizer.bin or GGUF)");
  options->format.add_to(*cmd);
  cmd->callback([options, cmd, io] { convert(*options, *cmd, io); });
}

}  // namespace shoehorn::cli
