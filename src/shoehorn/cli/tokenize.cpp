// shoehorn tokenize: token ids of a text, space-separated on one line; with --decode, the text
// the ids decode to (a byte-level BPE vocabulary's tokens spelled back as bytes).
#include <CLI/CLI.hpp>
#include <iostream>
#include <iterator>
#include <memory>
#include <optional>

#include "shoehorn/cli/cli.hpp"
#include "shoehorn/cli/common.hpp"
#include "shoehorn/tokenizer/tokenizer.hpp"

namespace shoehorn::cli {

namespace {

struct TokenizeOptions {
  std::string tokenizer;
  bool bos = false;
  bool eos = false;
  bool decode = false;
  std::optional<std::string> text;
};

void tokenize(const TokenizeOptions& o, Io io) {
  const Tokenizer tokenizer(read_vocab_file(o.tokenizer));
  const std::string text = o.text ? *o.text
                                  : std::string(std::istreambuf_iterator<char>(io.in), {});
  const std::vector<int> ids = tokenizer.encode(text, o.bos, o.eos);
  if (o.decode) {
    for (std::size_t i = 0; i < ids.size(); ++i) io.out << tokenizer.decode(i ? ids[i - 1] : -1, ids[i]);
    return;
  }
  for (std::size_t i = 0; i < ids.size(); ++i) io.out << (i ? " " : "") << ids[i];
  io.out << '\n';
}

}  // namespace

void add_tokenize(CLI::App& app, Io io) {
  auto options = std::make_shared<TokenizeOptions>();
  CLI::App* cmd = app.add_subcommand("tokenize", "Print the token ids of a text");
  cmd->add_option("-z", options->tokenizer, "Tokenizer (llama2.c tokenizer.bin, or a GGUF with a vocabulary)")->required();
  cmd->add_flag("--bos", options->bos, "Prepend the BOS token");
  cmd->add_flag("--eos", options->eos, "Append the EOS token");
  cmd->add_flag("--decode", options->decode, "Print the text the ids decode to instead of the ids");
  cmd->add_option("text", options->text, "Text to encode; standard input when absent");
  cmd->callback([options, io] { tokenize(*options, io); });
}

}  // namespace shoehorn::cli
