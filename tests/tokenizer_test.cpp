// Tokenizer: exact ids against libsentencepiece (recorded in tests/data/tokenizer, so that the
// big-endian build checks them too), llama2.c's decode rules, and tokenizer.bin round trips.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "shoehorn/format/tokenizer_bin.hpp"
#include "shoehorn/io/source.hpp"
#include "shoehorn/tokenizer/tokenizer.hpp"
#include "test_util.hpp"

namespace shoehorn::test {
namespace {

Tokenizer load_tokenizer(const std::string& path) {
  return Tokenizer(read_tokenizer_bin(FileSource(path)));
}

const Tokenizer& llama2() {
  static const Tokenizer tokenizer = load_tokenizer(shared_path("models/llama2-tok32000.bin"));
  return tokenizer;
}

TEST(Tokenizer, HardCasesMatchSentencePiece) {
  const std::vector<HardCase> cases = llama2_hard_cases();
  for (const HardCase& c : cases) {
    EXPECT_EQ(join_ids(llama2().encode(c.text, false, false)), c.ids) << "text: " << c.spelled;
  }
  EXPECT_EQ(cases.size(), 75u);
}

// FNV-1a over every id (4 bytes, little-endian) with 0xffffffff after each line: the digest
// libsentencepiece's ids give for valid-776K.txt (see tests/data/tokenizer/README.md).
TEST(Tokenizer, ValidationTextMatchesSentencePieceDigest) {
  std::ifstream in(shared_path("data/tinystories/valid-776K.txt"), std::ios::binary);
  ASSERT_TRUE(in);
  std::uint64_t hash = 1469598103934665603ull;
  auto mix = [&hash](std::uint32_t v) {
    for (int k = 0; k < 4; ++k) {
      hash ^= (v >> (8 * k)) & 0xffu;
      hash *= 1099511628211ull;
    }
  };
  std::uint64_t lines = 0, tokens = 0;
  std::string line;
  while (std::getline(in, line)) {
    const std::vector<int> ids = llama2().encode(line, false, false);
    for (const int id : ids) mix(static_cast<std::uint32_t>(id));
    mix(0xffffffffu);
    tokens += ids.size();
    ++lines;
  }
  EXPECT_EQ(lines, 8659u);
  EXPECT_EQ(tokens, 203273u);
  EXPECT_EQ(hash, 0x8d3074e17cf01ab7ull);
}

TEST(Tokenizer, BosAndEos) {
  EXPECT_EQ(llama2().encode("hello world", true, true), (std::vector<int>{1, 22172, 3186, 2}));
  EXPECT_EQ(llama2().encode("", true, false), (std::vector<int>{1}));
}

TEST(Tokenizer, DecodeFollowsLlama2c) {
  const Tokenizer& t = llama2();
  EXPECT_EQ(t.decode(1, 22172), "hello");    // leading space dropped right after BOS
  EXPECT_EQ(t.decode(22172, 3186), " world");
  EXPECT_EQ(t.decode(1, 243), "\xf0");       // <0xF0> is byte 0xF0
  EXPECT_EQ(t.decode(5, 13), "\n");          // <0x0A>
  EXPECT_EQ(t.decode(5, 29871), " ");
}

TEST(Tokenizer, PrintableFollowsSafePrintf) {
  EXPECT_EQ(printable("\n"), "\n");
  EXPECT_EQ(printable("a"), "a");
  EXPECT_EQ(printable("\x01"), "");
  EXPECT_EQ(printable("\xf0"), "");          // a lone byte that is not printable ASCII
  EXPECT_EQ(printable(std::string_view("ab\0c", 4)), "ab");
}

TEST(Tokenizer, SmallVocabularyFallsBackToBytes) {
  const Tokenizer t = load_tokenizer(shared_path("models/tok512.bin"));
  // The ids llama2.c's encode() gives (run.c, karpathy/llama2.c master, compiled with a main
  // that prints them): the emoji is four byte tokens (byte + 3), on either vocabulary.
  const std::vector<int> ids = t.encode("Lily 🙂", true, false);
  EXPECT_EQ(ids, (std::vector<int>{1, 317, 410, 243, 162, 156, 133}));
  EXPECT_EQ(llama2().encode("Lily 🙂", true, false),
            (std::vector<int>{1, 365, 2354, 29871, 243, 162, 156, 133}));
  EXPECT_EQ(t.encode("Once upon a time, Tom's cat ate 12 fish.", true, true),
            (std::vector<int>{1, 403, 407, 261, 378, 432, 274, 287, 439, 419, 280, 294, 261, 413,
                              411, 410, 475, 479, 272, 293, 415, 426, 2}));
  std::string decoded;
  for (std::size_t i = 1; i < ids.size(); ++i) decoded += t.decode(ids[i - 1], ids[i]);
  EXPECT_EQ(decoded, "Lily 🙂");
}

TEST(TokenizerBin, RoundTripsByteForByte) {
  for (const char* name : {"models/tok512.bin", "models/llama2-tok32000.bin"}) {
    const std::vector<std::byte> original = read_bytes(shared_path(name));
    const Vocab vocab = read_tokenizer_bin(MemorySource(name, original));
    EXPECT_EQ(write_tokenizer_bin(vocab), original) << name;
  }
}

TEST(TokenizerBin, InfersTokenTypes) {
  const Vocab& v = llama2().vocab();
  EXPECT_EQ(v.size(), 32000);
  EXPECT_EQ(v.type(0), TokenType::unknown);
  EXPECT_EQ(v.type(1), TokenType::control);
  EXPECT_EQ(v.type(2), TokenType::control);
  EXPECT_EQ(v.type(3), TokenType::byte);
  EXPECT_EQ(v.byte_id(0x41), 3 + 0x41);
  EXPECT_EQ(v.type(29871), TokenType::normal);
  EXPECT_EQ(v.max_token_length(), 27);
}

}  // namespace
}  // namespace shoehorn::test
