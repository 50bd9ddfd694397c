// shoehorn convert: rewrite a model in another format, version or byte order.
#include <CLI/CLI.hpp>
#include <memory>

#include "shoehorn/cli/cli.hpp"
#include "shoehorn/cli/common.hpp"
#include "shoehorn/format/llama2c.hpp"
#include "shoehorn/format/load.hpp"
#include "shoehorn/io/error.hpp"

namespace shoehorn::cli {

namespace {

struct ConvertOptions {
  std::string input;
  std::string output;
  Llama2cOutputFlags format;
};

void convert(const ConvertOptions& o) {
  write_file(o.output, write_llama2c(load_model(o.input), o.format.options()));
}

}  // namespace

void add_convert(CLI::App& app, Io) {
  auto options = std::make_shared<ConvertOptions>();
  CLI::App* cmd = app.add_subcommand("convert", "Rewrite a model in another format or byte order");
  cmd->add_option("input", options->input, "Model file")->required();
  cmd->add_option("output", options->output, "File to write")->required();
  options->format.add_to(*cmd);
  cmd->callback([options] { convert(*options); });
}

}  // namespace shoehorn::cli
