// shoehorn convert: rewrite a model in another format, quantization, version or byte order.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <iostream>
#include <memory>

#include "shoehorn/cli/cli.hpp"
#include "shoehorn/cli/common.hpp"
#include "shoehorn/format/gguf_llama.hpp"
#include "shoehorn/format/llama2c.hpp"
#include "shoehorn/format/load.hpp"
#include "shoehorn/format/pack.hpp"
#include "shoehorn/io/error.hpp"
#include "shoehorn/io/sink.hpp"

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

void convert(const ConvertOptions& o, const CLI::App& cmd, Io io) {
  const bool gguf = o.format.writes_gguf(cmd, o.output);
  const FileSource source(o.input);
  ModelFile file = read_model_file(source);
  verify_checksums(file, source);
  const bool as_is = gguf && !o.format.requested_quant() && gguf_holds(file);
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
