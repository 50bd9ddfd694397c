#include "test_util.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>
#include <system_error>

#include <unistd.h>

namespace shoehorn::test {

std::string shared_path(const std::string& relative) {
  const char* env = std::getenv("SHOEHORN_SHARED");
  const std::string root = env != nullptr ? env : SHOEHORN_TEST_SHARED_DIR;
  return root + "/" + relative;
}

std::string data_path(const std::string& relative) {
  return std::string(SHOEHORN_TEST_DATA_DIR) + "/" + relative;
}

namespace {

// ctest runs every test case as its own process, two at a time: each process gets its own
// directory, so that two tests writing the same name never meet, and it goes when the process
// ends.
struct ScratchDir {
  std::filesystem::path path = std::filesystem::path(SHOEHORN_TEST_SCRATCH_DIR) /
                               std::to_string(static_cast<long>(getpid()));
  ScratchDir() { std::filesystem::create_directories(path); }
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
};

}  // namespace

std::string scratch_path(const std::string& name) {
  static const ScratchDir dir;
  return (dir.path / name).string();
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::vector<std::byte> read_bytes(const std::string& path) {
  const std::string text = read_text(path);
  std::vector<std::byte> bytes(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) bytes[i] = static_cast<std::byte>(text[i]);
  return bytes;
}

void write_bytes(const std::string& path, const std::vector<std::byte>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  for (const std::byte b : bytes) out.put(static_cast<char>(b));
  if (!out) throw std::runtime_error("cannot write " + path);
}

CliResult run_main(CliMain main_function, const std::vector<std::string>& argv,
                   const std::string& in) {
  std::istringstream input(in);
  std::ostringstream out, err;
  CliResult result;
  result.status = main_function(argv, {input, out, err});
  result.out = out.str();
  result.err = err.str();
  return result;
}

std::vector<std::vector<std::string>> read_table(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::vector<std::vector<std::string>> rows;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.starts_with('#')) rows.push_back(split_tabs(line));
  }
  return rows;
}

void expect_located(const std::string& message, const std::string& file) {
  EXPECT_TRUE(message.starts_with(file + ": ")) << message;
  EXPECT_NE(message.find(" at offset "), std::string::npos) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
}

std::string join_ids(const std::vector<int>& ids) {
  std::string out;
  for (std::size_t i = 0; i < ids.size(); ++i) out += (i ? " " : "") + std::to_string(ids[i]);
  return out;
}

std::vector<std::string> split_tabs(const std::string& line) {
  std::vector<std::string> fields;
  std::size_t start = 0;
  while (true) {
    const std::size_t tab = line.find('\t', start);
    fields.push_back(line.substr(start, tab - start));
    if (tab == std::string::npos) return fields;
    start = tab + 1;
  }
}

std::string unescape(const std::string& text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 1 < text.size()) {
      const char c = text[++i];
      if (c == 'x' && i + 2 < text.size() + 0) {
        out += static_cast<char>(std::stoi(text.substr(i + 1, 2), nullptr, 16));
        i += 2;
      } else {
        out += c == 't' ? '\t' : c == 'n' ? '\n' : c;
      }
    } else {
      out += text[i];
    }
  }
  return out;
}

std::vector<HardCase> llama2_hard_cases() {
  std::vector<HardCase> cases;
  for (const std::vector<std::string>& fields : read_table(data_path("tokenizer/llama2-hard-cases.tsv"))) {
    if (fields.size() != 2) throw std::runtime_error("llama2-hard-cases.tsv: bad line: " + fields[0]);
    cases.push_back({unescape(fields[0]), fields[0], fields[1]});
  }
  return cases;
}

void expect_gguf_vocab_is(const Vocab& from_gguf, const Vocab& from_bin) {
  ASSERT_EQ(from_gguf.size(), from_bin.size());
  EXPECT_EQ(from_gguf.piece(from_gguf.bos_id()), "<s>");
  EXPECT_EQ(from_gguf.piece(from_gguf.eos_id()), "</s>");
  for (int id = 0; id < from_bin.size(); ++id) {
    if (id != from_bin.bos_id() && id != from_bin.eos_id()) {
      EXPECT_EQ(from_gguf.piece(id), from_bin.piece(id)) << id;
    }
    EXPECT_EQ(from_gguf.score(id), from_bin.score(id)) << id;
    EXPECT_EQ(from_gguf.type(id), from_bin.type(id)) << id;
  }
}

}  // namespace shoehorn::test
