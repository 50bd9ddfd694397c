// Helpers shared by subcommands: locating the default model and the tokenizer.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "shoehorn/format/llama2c.hpp"
#include "shoehorn/model/model.hpp"
#include "shoehorn/tokenizer/tokenizer.hpp"

namespace CLI {
class App;
}

namespace shoehorn::cli {

// The project's bundled model, used when `run` gets no MODEL.
std::string default_model_path();

// The tokenizer for a model: -z when given, else tokenizer.bin beside the model, else
// ./tokenizer.bin (llama2.c's default). Cut to the model's vocabulary size.
Tokenizer load_tokenizer_for(const Model& model, const std::optional<std::string>& path);

// llama2.c reads -s with atoi into an unsigned long long: negative seeds wrap around.
std::uint64_t parse_seed(const std::string& text);

// "512", "64K", "32M", "2G" (powers of 1024) -> bytes.
std::uint64_t parse_size(const std::string& text);

// Undoes \n, \t, \\ and \xHH escapes in a flag's value.
std::string unescape(const std::string& text);

// A whole file as text, refusing files over max_bytes.
std::string read_text_file(const std::string& path, std::uint64_t max_bytes);

// --llama2c-version, --group-size and --big-endian, for subcommands that write llama2.c files.
struct Llama2cOutputFlags {
  int version = 0;
  int group_size = 64;
  bool big_endian = false;

  void add_to(CLI::App& cmd);
  Llama2cWriteOptions options() const;
};

}  // namespace shoehorn::cli
