// Helpers shared by the tests: paths to the reference data and an in-process CLI runner.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "shoehorn/cli/cli.hpp"
#include "shoehorn/tokenizer/vocab.hpp"

namespace shoehorn::test {

// ../shared beside the source tree (SHOEHORN_SHARED in the environment overrides it).
std::string shared_path(const std::string& relative);
// tests/data in the source tree.
std::string data_path(const std::string& relative);
// A fresh directory for this test's files, inside the build tree.
std::string scratch_path(const std::string& name);

// stories260K (with tok512) converted by `shoehorn convert --quant quant` into the scratch
// folder: the GGUF's path.
std::string stories260k_gguf(const std::string& quant);

std::string read_text(const std::string& path);
std::vector<std::byte> read_bytes(const std::string& path);
void write_bytes(const std::string& path, const std::vector<std::byte>& bytes);

struct CliResult {
  int status = -1;
  std::string out;
  std::string err;
};
// Runs a command line in-process: argv[0] is the program name.
using CliMain = int (*)(const std::vector<std::string>& argv, cli::Io io);
CliResult run_main(CliMain main_function, const std::vector<std::string>& argv,
                   const std::string& in = "");
// Runs `shoehorn ARGS...` in-process (args exclude the program name), stdin from `in`.
CliResult run_cli(const std::vector<std::string>& args, const std::string& in = "");

// The rows of a tab-separated test table (tests/data/...), '#' lines skipped, each row split
// at tabs.
std::vector<std::vector<std::string>> read_table(const std::string& path);

// Token ids as `shoehorn tokenize` prints them: space-separated.
std::string join_ids(const std::vector<int>& ids);

// An error message is one line that starts with the file and names an offset.
void expect_located(const std::string& message, const std::string& file);

// A vocabulary read from GGUF (tokenizer.ggml.*) is the tokenizer.bin one: the same pieces,
// scores and types, except that GGUF spells BOS and EOS as SentencePiece does ("<s>", "</s>")
// where llama2.c's tokenizer.bin wraps them in newlines.
void expect_gguf_vocab_is(const Vocab& from_gguf, const Vocab& from_bin);

// Splits a line at tabs.
std::vector<std::string> split_tabs(const std::string& line);
// Undoes the \t, \n, \\ and \xHH escapes of the test data tables.
std::string unescape(const std::string& text);

// tests/data/tokenizer/llama2-hard-cases.tsv: each text (unescaped, with its escaped spelling
// for messages) and the ids libsentencepiece gives it.
struct HardCase {
  std::string text;
  std::string spelled;
  std::string ids;
};
std::vector<HardCase> llama2_hard_cases();

}  // namespace shoehorn::test
