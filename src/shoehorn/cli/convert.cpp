// shoehorn convert: rewrite a model in another format, version or byte order.
#include <CLI/CLI.hpp>
#include <memory>

#include "shoehorn/cli/cli.hpp"
#include "shoehorn/format/llama2c.hpp"
#include "shoehorn/format/load.hpp"
#include "shoehorn/io/error.hpp"

namespace shoehorn::cli {

namespace {

struct ConvertOptions {
  std::string input;
  std::string output;
  int version = 0;
  int group_size = 64;
  bool big_endian = false;
};

void convert(const ConvertOptions& o) {
  const Model model = load_model(o.input);
  Llama2cWriteOptions write;
  write.version = static_cast<Llama2cVersion>(o.version);
  write.group_size = o.group_size;
  write.byte_order = o.big_endian ? ByteOrder::big : ByteOrder::little;
  write_file(o.output, write_llama2c(model, write));
}

}  // namespace

void add_convert(CLI::App& app, Io) {
  auto options = std::make_shared<ConvertOptions>();
  CLI::App* cmd = app.add_subcommand("convert", "Rewrite a model in another format or byte order");
  cmd->add_option("input", options->input, "Model file")->required();
  cmd->add_option("output", options->output, "File to write")->required();
  cmd->add_option("--llama2c-version", options->version,
                  "llama2.c checkpoint version: 0 (fp32), 1 (ak42 fp32), 2 (ak42 int8 groups)")
      ->check(CLI::Range(0, 2));
  cmd->add_option("--group-size", options->group_size,
                  "Version 2 group size, halved until it divides dim and hidden_dim (default 64)")
      ->check(CLI::Range(1, 1 << 16));
  cmd->add_flag("--big-endian", options->big_endian, "Write big-endian (as console ports did)");
  cmd->callback([options] { convert(*options); });
}

}  // namespace shoehorn::cli
