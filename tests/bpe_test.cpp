// Byte-level BPE vocabularies (GGUF tokenizer.ggml.model "gpt2"): llama.cpp's 46 vocabulary
// test cases of each shared vocabulary, exact ids through the library and through
// `shoehorn tokenize`; the byte-level alphabet; special tokens; decoding; corrupt vocabularies;
// a random model that carries a BPE vocabulary.
#include <gtest/gtest.h>

#include <sstream>

#include "shoehorn/format/gguf.hpp"
#include "shoehorn/format/gguf_llama.hpp"
#include "shoehorn/format/tokenizer_bin.hpp"
#include "shoehorn/io/error.hpp"
#include "shoehorn/io/sink.hpp"
#include "shoehorn/io/source.hpp"
#include "shoehorn/tokenizer/byte_level.hpp"
#include "shoehorn/tokenizer/tokenizer.hpp"
#include "test_util.hpp"

namespace shoehorn::test {
namespace {

struct VocabCase {
  std::string text;
  std::string ids;  // as .out spells them, trimmed
};

// llama.cpp's tests/test-tokenizer-0.cpp reading: the .inp text split at
// "\n__ggml_vocab_test__\n" (the file ends with one, so no case keeps a trailing separator),
// one .out line of ids per case.
std::vector<VocabCase> read_cases(const std::string& name) {
  const std::string inp = read_text(shared_path("testdata/vocab/" + name + ".inp"));
  const std::string out = read_text(shared_path("testdata/vocab/" + name + ".out"));
  const std::string sep = "\n__ggml_vocab_test__\n";
  std::vector<std::string> texts;
  for (std::size_t pos = 0; pos < inp.size();) {
    const std::size_t next = inp.find(sep, pos);
    if (next == std::string::npos) {
      texts.push_back(inp.substr(pos));
      break;
    }
    texts.push_back(inp.substr(pos, next - pos));
    pos = next + sep.size();
  }
  std::vector<std::string> lines;
  std::istringstream lines_in(out);
  for (std::string line; std::getline(lines_in, line);) {
    const std::size_t b = line.find_first_not_of(" \t\r");
    const std::size_t e = line.find_last_not_of(" \t\r");
    lines.push_back(b == std::string::npos ? "" : line.substr(b, e - b + 1));
  }
  EXPECT_EQ(texts.size(), lines.size()) << name;
  std::vector<VocabCase> cases;
  for (std::size_t i = 0; i < texts.size() && i < lines.size(); ++i) cases.push_back({texts[i], lines[i]});
  return cases;
}

Vocab read_vocab(const std::string& path) {
  std::optional<Vocab> v = gguf_vocab(read_gguf(FileSource(path)));
  if (!v) throw Error(path + ": no vocabulary");
  return std::move(*v);
}

const Tokenizer& shared_tokenizer(const std::string& name) {
  static std::map<std::string, Tokenizer> cache;
  auto it = cache.find(name);
  if (it == cache.end()) {
    it = cache.emplace(name, Tokenizer(read_vocab(shared_path("testdata/vocab/" + name)))).first;
  }
  return it->second;
}

void expect_all_cases(const std::string& name) {
  const Tokenizer& tokenizer = shared_tokenizer(name);
  const std::vector<VocabCase> cases = read_cases(name);
  ASSERT_EQ(cases.size(), 46u) << name;
  int passed = 0;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const std::string got = join_ids(tokenizer.encode(cases[i].text, false, false));
    EXPECT_EQ(got, cases[i].ids) << name << " case " << i << ": '" << cases[i].text << "'";
    passed += got == cases[i].ids;
  }
  EXPECT_EQ(passed, 46) << name;
}

TEST(BpeVocabCases, Gpt2) { expect_all_cases("ggml-vocab-gpt-2.gguf"); }
TEST(BpeVocabCases, Starcoder) { expect_all_cases("ggml-vocab-starcoder.gguf"); }
TEST(BpeVocabCases, DeepseekCoder) { expect_all_cases("ggml-vocab-deepseek-coder.gguf"); }
TEST(BpeVocabCases, Phi3SentencePiece) { expect_all_cases("ggml-vocab-phi-3.gguf"); }

}  // namespace
}  // namespace shoehorn::test
