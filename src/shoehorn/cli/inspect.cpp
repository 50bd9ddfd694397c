// shoehorn inspect: what a file holds (config and tensor table, or a vocabulary).
#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <memory>
#include <type_traits>

#include "shoehorn/cli/cli.hpp"
#include "shoehorn/cli/common.hpp"
#include "shoehorn/format/file_type.hpp"
#include "shoehorn/format/gguf.hpp"
#include "shoehorn/format/gguf_llama.hpp"
#include "shoehorn/format/llama2c.hpp"
#include "shoehorn/format/load.hpp"
#include "shoehorn/format/tokenizer_bin.hpp"
#include "shoehorn/io/error.hpp"
#include "shoehorn/ngram/model_file.hpp"

namespace shoehorn::cli {

namespace {

void print_config(const ModelFile& f, std::ostream& out) {
  const Config& c = f.config;
  std::uint64_t parameters = 0;
  for (const TensorInfo& t : f.tensors) parameters += t.count();
  out << "config: " << describe(c) << " head_size=" << c.head_size()
      << " kv_dim=" << c.kv_dim() << " rope_theta=" << c.rope_theta
      << " norm_eps=" << c.norm_eps << '\n'
      << "classifier: " << (f.shared_classifier ? "shared with token_embd.weight" : "separate")
      << '\n'
      << "parameters: " << parameters << '\n';
}

// One line of a tensor table (the header too).
void print_row(std::ostream& out, const std::string& name, const std::string& type,
               const std::string& shape, const std::string& offset, const std::string& bytes) {
  char line[300];
  std::snprintf(line, sizeof line, "  %-28s %-6s %-18s %12s %12s\n", one_line(name).c_str(),
                type.c_str(), shape.c_str(), offset.c_str(), bytes.c_str());
  out << line;
}

void print_model(const ModelFile& f, std::ostream& out) {
  out << "file: " << f.path << '\n'
      << "format: " << f.format << ", " << to_string(f.byte_order) << ", " << f.file_size
      << " bytes\n";
  print_config(f, out);
  out << "tensors: " << f.tensors.size() << '\n';
  print_row(out, "name", "type", "shape", "offset", "bytes");
  for (const TensorInfo& t : f.tensors) {
    print_row(out, t.name, to_string(t.type), std::to_string(t.rows) + " x " + std::to_string(t.cols),
              std::to_string(t.offset), std::to_string(t.bytes));
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

// A metadata value on one line: strings escaped and cut, arrays by their first elements.
std::string show(const GgufValue& value) {
  constexpr std::size_t kMaxText = 72;
  constexpr std::size_t kMaxItems = 6;
  auto text = [&](const std::string& s) {
    const std::string escaped = one_line(s);
    return escaped.size() <= kMaxText ? escaped : escaped.substr(0, kMaxText) + "...";
  };
  auto scalar = [&](const auto& x) -> std::string {
    using T = std::decay_t<decltype(x)>;
    if constexpr (std::is_same_v<T, std::string>) {
      return text(x);
    } else if constexpr (std::is_same_v<T, bool>) {
      return x ? "true" : "false";
    } else if constexpr (std::is_floating_point_v<T>) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%g", static_cast<double>(x));
      return buf;
    } else if constexpr (std::is_same_v<T, GgufArray>) {
      return "[array x " + std::to_string(x.size()) + "]";
    } else {
      return std::to_string(x);
    }
  };
  const GgufArray* array = value.as_array();
  if (array == nullptr) return std::visit(scalar, value.v);
  std::string s = "[" + std::string(to_string(array->element_type())) + " x " +
                  std::to_string(array->size()) + "]";
  std::visit(
      [&](const auto& items) {
        for (std::size_t i = 0; i < items.size() && i < kMaxItems; ++i) {
          using Item = typename std::decay_t<decltype(items)>::value_type;
          s += (i == 0 ? " " : ", ") + scalar(static_cast<Item>(items[i]));
        }
        if (items.size() > kMaxItems) s += ", ...";
      },
      array->items);
  return s;
}

void print_gguf(const GgufFile& g, std::ostream& out) {
  out << "file: " << g.path << '\n'
      << "format: GGUF v" << g.version << ", " << to_string(g.byte_order) << ", " << g.file_size
      << " bytes, alignment " << g.alignment << ", data at offset " << g.data_offset << '\n'
      << "metadata: " << g.metadata.size() << " keys\n";
  for (const GgufKeyValue& kv : g.metadata) {
    out << "  " << one_line(kv.key) << " (" << to_string(kv.value.type()) << "): " << show(kv.value);
    if (kv.key == "general.file_type") {
      const std::optional<std::uint64_t> id = kv.value.as_uint();
      if (const FileType* type = id ? file_type_by_id(*id) : nullptr) out << " (" << type->name << ")";
    }
    out << '\n';
  }
  try {
    print_config(llama_model_file(g), out);
  } catch (const Error& e) {
    out << "model: not runnable by shoehorn: " << e.what() << '\n';
  }
  out << "tensors: " << g.tensors.size() << '\n';
  print_row(out, "name", "type", "dims", "offset", "bytes");
  for (const GgufTensorInfo& t : g.tensors) {
    std::string dims;
    for (std::size_t i = 0; i < t.dims.size(); ++i) {
      dims += (i ? " x " : "") + std::to_string(t.dims[i]);
    }
    print_row(out, t.name, ggml_type_name(t.type), dims, std::to_string(g.data_offset + t.offset),
              std::to_string(t.bytes()));
  }
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

void inspect(const std::string& file, Io io) {
  const std::string path = model_or_default(file);
  const FileSource source(path);
  if (ngram::is_model_file(source)) {
    print_ngram(path, ngram::read_model(source), io.out);
    return;
  }
  if (is_gguf(source)) {
    print_gguf(read_gguf(source), io.out);
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
  CLI::App* cmd = app.add_subcommand(
      "inspect", "Show a file's config and tensor table (GGUF: and its metadata), or an n-gram model's levels");
  cmd->add_option("file", *path, "Model, tokenizer or n-gram model file; default: the bundled model");
  cmd->callback([path, io] { inspect(*path, io); });
}

}  // namespace shoehorn::cli
