// shoehorn init: a random-weight model of a public shape, written as a llama2.c checkpoint.
#include <CLI/CLI.hpp>
#include <memory>

#include "shoehorn/cli/cli.hpp"
#include "shoehorn/cli/common.hpp"
#include "shoehorn/format/llama2c.hpp"
#include "shoehorn/io/error.hpp"
#include "shoehorn/model/random_model.hpp"

namespace shoehorn::cli {

namespace {

struct InitOptions {
  std::string shape;
  std::string output;
  std::string seed = "1";
  bool separate_classifier = false;
  Llama2cOutputFlags format;
  // Overrides of single fields of the shape (0: keep the shape's).
  Config fields{};
};

Config shape_with_overrides(const InitOptions& o) {
  const std::optional<Config> shape = find_shape(o.shape);
  if (!shape) fail(o.shape, "unknown shape (see shoehorn init --help)");
  Config c = *shape;
  const Config& f = o.fields;
  for (auto [field, value] : {std::pair{&c.dim, f.dim}, {&c.hidden_dim, f.hidden_dim},
                              {&c.n_layers, f.n_layers}, {&c.n_heads, f.n_heads},
                              {&c.n_kv_heads, f.n_kv_heads}, {&c.vocab_size, f.vocab_size},
                              {&c.seq_len, f.seq_len}}) {
    if (value != 0) *field = value;
  }
  if (const std::optional<ConfigProblem> problem = check_config(c)) {
    fail(o.output, "shape field '" + problem->field + "': " + problem->what);
  }
  return c;
}

void init(const InitOptions& o) {
  const Model model =
      random_model(shape_with_overrides(o), !o.separate_classifier, parse_seed(o.seed));
  write_file(o.output, write_llama2c(model, o.format.options()));
}

}  // namespace

void add_init(CLI::App& app, Io) {
  auto options = std::make_shared<InitOptions>();
  CLI::App* cmd = app.add_subcommand("init", "Write a random-weight model of a public shape");
  std::vector<std::string> names;
  for (const NamedShape& s : named_shapes()) names.emplace_back(s.name);
  cmd->add_option("--shape", options->shape, "Shape")->required()->check(CLI::IsMember(names));
  cmd->add_option("-o,--output", options->output, "Output file")->required();
  cmd->add_option("--seed", options->seed, "Seed of the weights (default 1)");
  Config& f = options->fields;
  for (auto [flag, field] : {std::pair{"--dim", &f.dim}, {"--hidden-dim", &f.hidden_dim},
                             {"--layers", &f.n_layers}, {"--heads", &f.n_heads},
                             {"--kv-heads", &f.n_kv_heads}, {"--vocab", &f.vocab_size},
                             {"--seq-len", &f.seq_len}}) {
    cmd->add_option(flag, *field, "Override the shape's field")->check(CLI::PositiveNumber);
  }
  cmd->add_flag("--separate-classifier", options->separate_classifier,
                "Store the classifier apart from the token embedding");
  options->format.add_to(*cmd);
  cmd->callback([options] { init(*options); });
}

}  // namespace shoehorn::cli
