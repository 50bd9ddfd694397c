// shoehorn tokenizer train: the exported tokenizer.bin encodes held-out text exactly as
// SentencePiece encodes it with the model it trained; bad corpora give located errors.
#include <gtest/gtest.h>
#include <sentencepiece_processor.h>

#include <fstream>

#include "shoehorn/format/gguf.hpp"
#include "shoehorn/format/gguf_llama.hpp"
#include "shoehorn/format/tokenizer_bin.hpp"
#include "shoehorn/io/error.hpp"
#include "shoehorn/tokenizer/spm_trainer.hpp"
#include "shoehorn/tokenizer/tokenizer.hpp"
#include "test_util.hpp"

namespace shoehorn::test {
namespace {

// The first 400 KB of the training text (never the validation text).
std::string training_sample() {
  static const std::string path = [] {
    const std::string p = scratch_path("train-400K.txt");
    std::string text = read_text(shared_path("data/tinystories/train-2M.txt")).substr(0, 400000);
    text = text.substr(0, text.rfind('\n') + 1);  // whole lines
    std::ofstream(p, std::ios::binary) << text;
    return p;
  }();
  return path;
}

const TrainedTokenizer& trained() {
  static const TrainedTokenizer t = train_tokenizer({training_sample()}, {1024, 2, 0});
  return t;
}

TEST(TokenizerTrain, VocabularyLayout) {
  const Vocab& v = trained().vocab;
  EXPECT_EQ(v.size(), 1024);
  EXPECT_EQ(v.type(0), TokenType::unknown);
  EXPECT_EQ(v.piece(1), "\n<s>\n");
  EXPECT_EQ(v.piece(2), "\n</s>\n");
  for (int b = 0; b < 256; ++b) EXPECT_EQ(v.byte_id(static_cast<std::uint8_t>(b)), 3 + b);
  EXPECT_EQ(v.type(259), TokenType::normal);
}

TEST(TokenizerTrain, ExportedTokenizerEncodesLikeSentencePieceOnHeldOutText) {
  const std::vector<std::byte> bin = write_tokenizer_bin(trained().vocab);
  const Tokenizer ours(read_tokenizer_bin(MemorySource("trained.bin", bin)));
  sentencepiece::SentencePieceProcessor reference;
  ASSERT_TRUE(reference.LoadFromSerializedProto(trained().spm_model).ok());

  std::ifstream in(shared_path("data/tinystories/valid-776K.txt"), std::ios::binary);
  std::string line;
  int lines = 0;
  std::size_t tokens = 0;
  while (std::getline(in, line)) {
    std::vector<int> expected;
    ASSERT_TRUE(reference.Encode(line, &expected).ok());
    ASSERT_EQ(ours.encode(line, false, false), expected) << "line " << lines + 1;
    tokens += expected.size();
    ++lines;
  }
  EXPECT_EQ(lines, 8659);
  EXPECT_GT(tokens, 100000u);
  for (const char* text : {"", "  two  spaces\tand a tab", "Zoë 寿司 🙂 \xff", "1234 x"}) {
    std::vector<int> expected;
    ASSERT_TRUE(reference.Encode(text, &expected).ok());
    EXPECT_EQ(ours.encode(text, false, false), expected) << text;
  }
}

TEST(TokenizerTrain, SameCorpusSameTokenizer) {
  const TrainedTokenizer again = train_tokenizer({training_sample()}, {1024, 1, 0});
  EXPECT_EQ(write_tokenizer_bin(again.vocab), write_tokenizer_bin(trained().vocab));
}

TEST(TokenizerTrain, CliWritesBothFiles) {
  const std::string out = scratch_path("cli-tok.bin");
  const CliResult r = run_cli({"tokenizer", "train", training_sample(), "--vocab", "600", "-o", out});
  ASSERT_EQ(r.status, 0) << r.err;
  const Vocab v = read_tokenizer_bin(FileSource(out));
  EXPECT_EQ(v.size(), 600);
  sentencepiece::SentencePieceProcessor model;
  ASSERT_TRUE(model.Load(scratch_path("cli-tok.model")).ok());
  EXPECT_EQ(model.GetPieceSize(), 600);
}

TEST(TokenizerTrain, CliWritesTheVocabularyAsGgufMetadata) {
  const std::string bin = scratch_path("cli-gguf-tok.bin"), gguf = scratch_path("cli-gguf-tok.gguf");
  const CliResult r =
      run_cli({"tokenizer", "train", training_sample(), "--vocab", "600", "-o", bin, "--gguf", gguf});
  ASSERT_EQ(r.status, 0) << r.err;
  const std::optional<Vocab> inside = gguf_vocab(read_gguf(FileSource(gguf)));
  ASSERT_TRUE(inside.has_value());
  EXPECT_EQ(inside->size(), 600);
  expect_gguf_vocab_is(*inside, read_tokenizer_bin(FileSource(bin)));
  const std::string text = "Once upon a time, Zo\xc3\xab found 42 shells.";
  const CliResult from_bin = run_cli({"tokenize", "-z", bin, "--bos", text});
  const CliResult from_gguf = run_cli({"tokenize", "-z", gguf, "--bos", text});
  ASSERT_EQ(from_gguf.status, 0) << from_gguf.err;
  EXPECT_EQ(from_gguf.out, from_bin.out);
  EXPECT_EQ(from_bin.out.substr(0, 2), "1 ");
}

TEST(TokenizerTrain, BadCorporaGiveLocatedErrors) {
  struct Bad {
    const char* name;
    std::string bytes;
    const char* message;
  };
  for (const Bad& bad : {Bad{"empty.txt", "", "empty corpus"},
                         Bad{"binary.txt", std::string("hello\0world", 11), "text at offset 5: NUL byte"},
                         Bad{"latin1.txt", "caf\xe9 au lait\n", "text at offset 3: not UTF-8"}}) {
    const std::string path = scratch_path(bad.name);
    std::ofstream(path, std::ios::binary) << bad.bytes;
    const std::string good = scratch_path("good.txt");
    std::ofstream(good, std::ios::binary) << "Tom ran.\n";
    for (const std::vector<std::string>& args :
         {std::vector<std::string>{"tokenizer", "train", path, "--vocab", "300", "-o", scratch_path("x.bin")},
          std::vector<std::string>{"tokenizer", "truecase", path, "--like", good, "-o", scratch_path("x.txt")},
          std::vector<std::string>{"tokenizer", "truecase", good, "--like", path, "-o", scratch_path("x.txt")}}) {
      const CliResult r = run_cli(args);
      EXPECT_EQ(r.status, 1) << bad.name;
      EXPECT_NE(r.err.find(path), std::string::npos) << r.err;
      EXPECT_NE(r.err.find(bad.message), std::string::npos) << r.err;
      EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    }
  }
  const CliResult missing = run_cli({"tokenizer", "train", scratch_path("nope.txt"), "-o", scratch_path("x.bin")});
  EXPECT_EQ(missing.status, 1);
  // A vocabulary too small for the byte pieces plus the corpus's characters.
  const CliResult tiny = run_cli({"tokenizer", "train", training_sample(), "--vocab", "260", "-o", scratch_path("x.bin")});
  EXPECT_EQ(tiny.status, 1);
  EXPECT_NE(tiny.err.find("SentencePiece training failed"), std::string::npos) << tiny.err;
  EXPECT_EQ(std::count(tiny.err.begin(), tiny.err.end(), '\n'), 1) << tiny.err;
}

TEST(TokenizerTrain, CliTruecasesALowercasedCorpus) {
  const std::string cased = scratch_path("cased.txt"), lowered = scratch_path("lowered.txt");
  std::ofstream(cased, std::ios::binary) << "One day Tom and Lily ran. Then Tom fell.\n";
  std::ofstream(lowered, std::ios::binary) << "lily saw tom. \"tom, are you ok?\" she asked.\n";
  const std::string out = scratch_path("recased.txt");
  const CliResult r = run_cli({"tokenizer", "truecase", lowered, "--like", cased, "-o", out});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(read_text(out), "Lily saw Tom. \"Tom, are you ok?\" she asked.\n");

  // Stories at single line breaks, paragraphs at blank lines.
  std::ofstream(lowered, std::ios::binary) << "tom ran.\n\nhe fell.\nlily sat.\n\nshe ate.\n";
  const CliResult marked =
      run_cli({"tokenizer", "truecase", lowered, "--like", cased, "-o", out, "--mark-stories"});
  ASSERT_EQ(marked.status, 0) << marked.err;
  EXPECT_EQ(read_text(out), "Tom ran.\n\nHe fell.\n<|endoftext|>\nLily sat.\n\nShe ate.\n");
}

}  // namespace
}  // namespace shoehorn::test
