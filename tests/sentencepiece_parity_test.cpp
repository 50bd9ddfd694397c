// The same comparison as tokenizer_test's, made live through libsentencepiece itself (native
// builds only: there is no libsentencepiece for the cross targets).
#include <gtest/gtest.h>
#include <sentencepiece_processor.h>

#include <fstream>

#include "shoehorn/format/tokenizer_bin.hpp"
#include "shoehorn/io/source.hpp"
#include "shoehorn/tokenizer/tokenizer.hpp"
#include "test_util.hpp"

namespace shoehorn::test {
namespace {

class SentencePieceParity : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    processor = new sentencepiece::SentencePieceProcessor();
    ASSERT_TRUE(processor->Load(shared_path("models/llama2-tok32000.model")).ok());
    tokenizer = new Tokenizer(read_tokenizer_bin(FileSource(shared_path("models/llama2-tok32000.bin"))));
  }
  static void TearDownTestSuite() {
    delete processor;
    delete tokenizer;
  }
  static std::vector<int> reference(const std::string& text) {
    std::vector<int> ids;
    EXPECT_TRUE(processor->Encode(text, &ids).ok());
    return ids;
  }
  static sentencepiece::SentencePieceProcessor* processor;
  static Tokenizer* tokenizer;
};
sentencepiece::SentencePieceProcessor* SentencePieceParity::processor = nullptr;
Tokenizer* SentencePieceParity::tokenizer = nullptr;

TEST_F(SentencePieceParity, EveryValidationLine) {
  std::ifstream in(shared_path("data/tinystories/valid-776K.txt"), std::ios::binary);
  ASSERT_TRUE(in);
  std::string line;
  int lines = 0;
  while (std::getline(in, line)) {
    ASSERT_EQ(tokenizer->encode(line, false, false), reference(line)) << "line " << lines + 1;
    ++lines;
  }
  EXPECT_EQ(lines, 8659);
}

TEST_F(SentencePieceParity, WholeParagraphsWithNewlines) {
  const std::string text = read_text(shared_path("data/tinystories/valid-776K.txt")).substr(0, 20000);
  EXPECT_EQ(tokenizer->encode(text, false, false), reference(text));
}

TEST_F(SentencePieceParity, HardCases) {
  std::ifstream in(data_path("tokenizer/llama2-hard-cases.tsv"));
  ASSERT_TRUE(in) << data_path("tokenizer/llama2-hard-cases.tsv");
  std::string line;
  int rows = 0;
  while (std::getline(in, line)) {
    if (line.starts_with('#')) continue;
    const std::string text = unescape(split_tabs(line)[0]);
    EXPECT_EQ(tokenizer->encode(text, false, false), reference(text)) << line;
    ++rows;
  }
  EXPECT_EQ(rows, 75);  // every case of the table (tokenizer_test reads the same 75)
}

// Every single byte and every two-byte string over a small alphabet of awkward bytes.
TEST_F(SentencePieceParity, AwkwardByteStrings) {
  for (int b = 0; b < 256; ++b) {
    const std::string text(1, static_cast<char>(b));
    EXPECT_EQ(tokenizer->encode(text, false, false), reference(text)) << "byte " << b;
  }
  const std::string alphabet = std::string("a \t\n\r\x80\xbf\xc3\xa9\xe2\xf0\x9f\xff", 14) + "▁";
  for (const char x : alphabet) {
    for (const char y : alphabet) {
      for (const char z : alphabet) {
        const std::string text = {x, y, z};
        EXPECT_EQ(tokenizer->encode(text, false, false), reference(text));
      }
    }
  }
}

}  // namespace
}  // namespace shoehorn::test
