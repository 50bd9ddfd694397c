#include "shoehorn/cli/common.hpp"

#include <CLI/CLI.hpp>

#include <cctype>
#include <charconv>
#include <filesystem>
#include <limits>

#include "shoehorn/format/tokenizer_bin.hpp"
#include "shoehorn/io/error.hpp"

#ifndef SHOEHORN_MODELS_DIR
#define SHOEHORN_MODELS_DIR "models"
#endif

namespace shoehorn::cli {

std::string default_model_path() {
  return std::string(SHOEHORN_MODELS_DIR) + "/shoehorn-default.bin";
}

Tokenizer load_tokenizer_for(const Model& model, const std::optional<std::string>& path) {
  std::string chosen;
  if (path) {
    chosen = *path;
  } else {
    const std::filesystem::path beside =
        std::filesystem::path(model.file.path).parent_path() / "tokenizer.bin";
    std::error_code ec;
    if (std::filesystem::is_regular_file(beside, ec)) {
      chosen = beside.string();
    } else if (std::filesystem::is_regular_file("tokenizer.bin", ec)) {
      chosen = "tokenizer.bin";
    } else {
      fail(model.file.path, "no tokenizer given (-z) and no tokenizer.bin beside the model or "
                            "in the current directory");
    }
  }
  Vocab vocab = read_tokenizer_bin(FileSource(chosen));
  const int needed = model.config().vocab_size;
  if (vocab.size() < needed) {
    fail(chosen, "holds " + std::to_string(vocab.size()) + " tokens but the model " +
                     model.file.path + " has a vocabulary of " + std::to_string(needed));
  }
  vocab.truncate(needed);
  return Tokenizer(std::move(vocab));
}

std::uint64_t parse_seed(const std::string& text) {
  std::int64_t signed_value = 0;
  const char* end = text.data() + text.size();
  if (auto r = std::from_chars(text.data(), end, signed_value); r.ec == std::errc() && r.ptr == end) {
    return static_cast<std::uint64_t>(signed_value);
  }
  std::uint64_t value = 0;
  if (auto r = std::from_chars(text.data(), end, value); r.ec == std::errc() && r.ptr == end) {
    return value;
  }
  throw Error("-s: '" + text + "' is not an integer seed");
}

std::uint64_t parse_size(const std::string& text) {
  std::uint64_t value = 0;
  const char* begin = text.data();
  const char* end = begin + text.size();
  const auto r = std::from_chars(begin, end, value);
  if (r.ec != std::errc() || r.ptr == begin) throw Error("size '" + text + "' is not a number");
  std::uint64_t unit = 1;
  const std::string suffix(r.ptr, end);
  if (suffix == "K" || suffix == "k" || suffix == "KiB") unit = 1ull << 10;
  else if (suffix == "M" || suffix == "m" || suffix == "MiB") unit = 1ull << 20;
  else if (suffix == "G" || suffix == "g" || suffix == "GiB") unit = 1ull << 30;
  else if (!suffix.empty() && suffix != "B") {
    throw Error("size '" + text + "' has an unknown suffix (use K, M or G)");
  }
  if (value > std::numeric_limits<std::uint64_t>::max() / unit) {
    throw Error("size '" + text + "' is too large");
  }
  return value * unit;
}

std::string unescape(const std::string& text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\' || i + 1 == text.size()) {
      out += text[i];
      continue;
    }
    const char c = text[++i];
    if (c == 'n') out += '\n';
    else if (c == 't') out += '\t';
    else if (c == '\\') out += '\\';
    else if (c == 'x' && i + 2 < text.size() && std::isxdigit(static_cast<unsigned char>(text[i + 1])) &&
             std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
      out += static_cast<char>(std::stoi(text.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      throw Error("'" + text + "': unknown escape \\" + std::string(1, c) + " (use \\n \\t \\\\ \\xHH)");
    }
  }
  return out;
}

std::string read_text_file(const std::string& path, std::uint64_t max_bytes) {
  const std::vector<std::byte> bytes = read_all(FileSource(path), max_bytes);
  std::string text(bytes.size(), '\0');
  for (std::size_t i = 0; i < bytes.size(); ++i) text[i] = std::to_integer<char>(bytes[i]);
  return text;
}

void Llama2cOutputFlags::add_to(CLI::App& cmd) {
  cmd.add_option("--llama2c-version", version,
                 "llama2.c checkpoint version: 0 (fp32), 1 (ak42 fp32), 2 (ak42 int8 groups)")
      ->check(CLI::Range(0, 2));
  cmd.add_option("--group-size", group_size,
                 "Version 2 group size, halved until it divides dim and hidden_dim (default 64)")
      ->check(CLI::Range(1, 1 << 16));
  cmd.add_flag("--big-endian", big_endian, "Write big-endian (as console ports did)");
}

Llama2cWriteOptions Llama2cOutputFlags::options() const {
  return {static_cast<Llama2cVersion>(version), big_endian ? ByteOrder::big : ByteOrder::little,
          group_size};
}

}  // namespace shoehorn::cli
