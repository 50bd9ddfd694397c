// shoehorn init: a random-weight model of a public shape, as GGUF or a llama2.c checkpoint.
#include <CLI/CLI.hpp>
#include <memory>

#include "shoehorn/cli/cli.hpp"
#include "shoehorn/cli/common.hpp"
#include "shoehorn/format/gguf_llama.hpp"
#include "shoehorn/format/llama2c.hpp"
#include "shoehorn/io/error.hpp"
#include "shoehorn/io/sink.hpp"
#include "shoehorn/model/random_model.hpp"

namespace shoehorn::cli {

namespace {

struct InitOptions {
  std::string shape;
  std::string output;
  std::string seed = "1";
  bool separate_classifier = false;
  std::optional<std::string> tokenizer;
  std::optional<std::string> chat_template_file;
  ModelOutputFlags format;
  // Overrides of single fields of the shape (0: keep the shape's).
  Config fields{};
};

Config shape_with_overrides(const InitOptions& o) {
  const NamedShape* shape = find_shape(o.shape);
  if (shape == nullptr) fail(o.shape, "unknown shape (see shoehorn init --help)");
  Config c = shape->config;
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

// Real templates are a few KiB; tool-calling ones reach tens.
constexpr std::uint64_t kMaxChatTemplateBytes = 1 << 20;

void init(const InitOptions& o, const CLI::App& cmd) {
  const Config config = shape_with_overrides(o);
  if (o.chat_template_file && !o.format.writes_gguf(cmd, o.output)) {
    throw CLI::ValidationError("--chat-template-text", "applies to GGUF output only");
  }
  const NamedShape& shape = *find_shape(o.shape);
  const bool shared = shape.shared_classifier && !o.separate_classifier;
  const std::uint64_t seed = parse_seed(o.seed);
  if (!o.format.writes_gguf(cmd, o.output)) {
    write_file(o.output, write_llama2c(random_model(config, shared, seed, shape.rope_factors(config)),
                                       o.format.llama2c_options()));
    return;
  }
  // GGUF streams: one tensor in memory at a time, whatever the model's size.
  const std::optional<Vocab> vocab =
      o.tokenizer ? std::optional<Vocab>(read_vocab_file(*o.tokenizer)) : std::nullopt;
  GgufWriteOptions options = o.format.gguf_options();
  if (o.chat_template_file) {
    options.chat_template = read_text_file(*o.chat_template_file, kMaxChatTemplateBytes);
  }
  RandomWeights random(seed, shape.rope_factors(config));
  FileSink sink(o.output);
  write_llama_gguf(sink, config, shared, vocab ? &*vocab : nullptr, options,
                   [&](const TensorInfo& t, std::span<float> values) { random.fill(t, values); });
  sink.close();
}

}  // namespace

void add_init(CLI::App& app, Io) {
  auto options = std::make_shared<InitOptions>();
  CLI::App* cmd = app.add_subcommand("init", "Write a random-weight model of a public shape");
  std::vector<std::string> names;
  for (const NamedShape& s : named_shapes()) names.emplace_back(s.name);
  cmd->add_option("--shape", options->shape, "Shape")->required()->check(CLI::IsMember(names));
  cmd->add_option("-o,--output", options->output, "Output file (*.gguf: GGUF)")->required();
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
  cmd->add_option("-z", options->tokenizer, "Tokenizer to embed in GGUF output");
  cmd->add_option("--chat-template-text", options->chat_template_file,
                  "File whose text becomes the GGUF's tokenizer.chat_template");
  options->format.add_to(*cmd);
  cmd->callback([options, cmd] { init(*options, *cmd); });
}

}  // namespace shoehorn::cli
