// shoehorn inspect: what a file holds (config and tensor table, or a vocabulary).
#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <memory>

#include "shoehorn/cli/cli.hpp"
#include "shoehorn/format/llama2c.hpp"
#include "shoehorn/format/load.hpp"
#include "shoehorn/format/tokenizer_bin.hpp"
#include "shoehorn/io/error.hpp"
#include "shoehorn/ngram/model_file.hpp"

namespace shoehorn::cli {

namespace {

void print_model(const ModelFile& f, std::ostream& out) {
  const Config& c = f.config;
  std::uint64_t parameters = 0;
  for (const TensorInfo& t : f.tensors) parameters += t.count();
  out << "file: " << f.path << '\n'
      << "format: " << f.format << ", " << to_string(f.byte_order) << ", " << f.file_size
      << " bytes\n"
      << "config: " << describe(c) << " head_size=" << c.head_size()
      << " kv_dim=" << c.kv_dim() << " rope_theta=" << c.rope_theta
      << " norm_eps=" << c.norm_eps << '\n'
      << "classifier: " << (f.shared_classifier ? "shared with token_embd.weight" : "separate")
      << '\n'
      << "parameters: " << parameters << '\n'
      << "tensors: " << f.tensors.size() << '\n';
  char line[200];
  std::snprintf(line, sizeof line, "  %-28s %-6s %-14s %12s %12s\n", "name", "type", "shape",
                "offset", "bytes");
  out << line;
  for (const TensorInfo& t : f.tensors) {
    const std::string shape = std::to_string(t.rows) + " x " + std::to_string(t.cols);
    std::snprintf(line, sizeof line, "  %-28s %-6s %-14s %12llu %12llu\n", t.name.c_str(),
                  to_string(t.type), shape.c_str(), static_cast<unsigned long long>(t.offset),
                  static_cast<unsigned long long>(t.bytes));
    out << line;
  }
}

void print_vocab(const std::string& path, const Vocab& v, std::ostream& out) {
  int bytes = 0, control = 0;
  for (int id = 0; id < v.size(); ++id) {
    bytes += v.type(id) == TokenType::byte;
    control += v.type(id) == TokenType::control || v.type(id) == TokenType::unknown;
  }
  out << "file: " << path << '\n'
      << "format: llama2.c tokenizer.bin\n"
      << "tokens: " << v.size() << " (" << bytes << " byte pieces, " << control
      << " special)\n"
      << "max_token_length: " << v.max_token_length() << '\n';
}

void print_ngram(const std::string& path, const ngram::Model& m, std::ostream& out) {
  out << "file: " << path << '\n'
      << "format: shoehorn n-gram model, order " << m.order << ", " << m.alphabet_size() << " symbols, start \""
      << one_line(m.start) << "\"\n";
  if (m.rom_budget != 0) {
    out << "ROM budget: " << m.rom_budget << " bytes: " << m.image.size() << " of tables, "
        << ngram::kRuntimeReserveBytes << " for the runtime\n";
  } else {
    out << "not pruned: " << m.image.size() << " bytes of tables\n";
  }
  char line[80];
  std::snprintf(line, sizeof line, "  %5s %10s %10s\n", "order", "n-grams", "bytes");
  out << line;
  for (int k = 1; k <= m.order; ++k) {
    const std::uint32_t records = m.level(k).count + (k < m.order ? 1 : 0);
    std::snprintf(line, sizeof line, "  %5d %10u %10u\n", k, m.level(k).count, records * m.record_size(k));
    out << line;
  }
}

bool is_ngram(const ByteSource& source) {
  std::byte magic[4]{};
  if (source.size() < sizeof magic) return false;
  source.read(0, magic);
  return std::to_integer<char>(magic[0]) == 'S' && std::to_integer<char>(magic[1]) == 'H' &&
         std::to_integer<char>(magic[2]) == 'N' && std::to_integer<char>(magic[3]) == 'G';
}

void inspect(const std::string& path, Io io) {
  const FileSource source(path);
  if (is_ngram(source)) {
    print_ngram(path, ngram::read_model(source), io.out);
    return;
  }
  if (!is_llama2c(source)) {
    // Not a checkpoint: a tokenizer.bin is the other llama2.c file. If it is not one either,
    // the checkpoint reader says what is wrong.
    try {
      print_vocab(path, read_tokenizer_bin(source), io.out);
      return;
    } catch (const Error&) {
    }
  }
  print_model(read_model_file(source), io.out);
}

}  // namespace

void add_inspect(CLI::App& app, Io io) {
  auto path = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand("inspect", "Show a file's config and tensor table, or an n-gram model's levels");
  cmd->add_option("file", *path, "Model, tokenizer or n-gram model file")->required();
  cmd->callback([path, io] { inspect(*path, io); });
}

}  // namespace shoehorn::cli
