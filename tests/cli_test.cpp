// The CLI contract: output formats, exit statuses, llama2.c's flag semantics.
#include <gtest/gtest.h>

#include <bit>
#include <charconv>
#include <filesystem>

#include "shoehorn/format/load.hpp"
#include "test_util.hpp"

namespace shoehorn::test {
namespace {

std::string model() { return shared_path("models/stories260K.bin"); }
std::string tok512() { return shared_path("models/tok512.bin"); }
std::string llama2_tok() { return shared_path("models/llama2-tok32000.bin"); }

TEST(Cli, TokenizePrintsIdsOnOneLine) {
  CliResult r = run_cli({"tokenize", "-z", llama2_tok(), "hello world"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "22172 3186\n");
  r = run_cli({"tokenize", "-z", llama2_tok(), "--bos", "hello world"});
  EXPECT_EQ(r.out, "1 22172 3186\n");
  r = run_cli({"tokenize", "-z", llama2_tok(), "--bos", "--eos", ""});
  EXPECT_EQ(r.out, "1 2\n");
  r = run_cli({"tokenize", "-z", llama2_tok(), ""});
  EXPECT_EQ(r.out, "\n");
}

TEST(Cli, TokenizeReadsStandardInputWhole) {
  const CliResult r = run_cli({"tokenize", "-z", llama2_tok()}, "hello\nworld");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "22172 13 11526\n");
}

TEST(Cli, InspectModel) {
  const CliResult r = run_cli({"inspect", model()});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("format: llama2.c v0 (legacy fp32), little-endian, 1056540 bytes"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("dim=64 hidden_dim=172 n_layers=5 n_heads=8 n_kv_heads=4 vocab_size=512 seq_len=512"), std::string::npos);
  EXPECT_NE(r.out.find("parameters: 260032"), std::string::npos);
  EXPECT_NE(r.out.find("blk.4.ffn_up.weight"), std::string::npos);
}

TEST(Cli, InspectTokenizer) {
  const CliResult r = run_cli({"inspect", tok512()});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("512"), std::string::npos) << r.out;
}

TEST(Cli, UsageErrorsExitTwo) {
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{}, {"frobnicate"}, {"run", "-m", "dance"}, {"run", "-t", "warm"},
        {"tokenize", "hello"}, {"run", "--no-such-flag"}}) {
    const CliResult r = run_cli(args);
    EXPECT_EQ(r.status, 2) << (args.empty() ? "" : args[0]);
    EXPECT_TRUE(r.err.starts_with("shoehorn: usage error: ")) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
}

TEST(Cli, HelpExitsZero) {
  const CliResult r = run_cli({"--help"});
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.out.find("run"), std::string::npos);
}

TEST(Cli, StatsGoToStandardError) {
  const CliResult r = run_cli({"run", model(), "-z", tok512(), "-t", "0", "-n", "20", "-i", "Tim"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(r.out.starts_with("Tim")) << r.out;
  EXPECT_EQ(r.out.find("tok/s"), std::string::npos);
  EXPECT_NE(r.err.find("achieved tok/s: "), std::string::npos);
  EXPECT_NE(r.err.find("(20 positions, 2 prompt tokens)"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("peak RSS "), std::string::npos);
}

TEST(Cli, TokenizerBesideTheModelIsTheDefault) {
  // llama2.c looks for tokenizer.bin in the working directory; shoehorn first looks beside the
  // model. Without either, the message says what is missing.
  const std::string dir = scratch_path("lonely");
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  write_bytes(dir + "/model.bin", read_bytes(model()));
  CliResult r = run_cli({"run", dir + "/model.bin", "-n", "8"});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("tokenizer"), std::string::npos) << r.err;
  write_bytes(dir + "/tokenizer.bin", read_bytes(tok512()));
  r = run_cli({"run", dir + "/model.bin", "-t", "0", "-n", "8", "-i", "Tim"});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(r.out.starts_with("Tim")) << r.out;
}

TEST(Cli, InitWritesRandomModelsOfNamedShapes) {
  const std::string path = scratch_path("init-gqa.bin");
  CliResult r = run_cli({"init", "--shape", "stories260K", "--dim", "48", "--hidden-dim", "128",
                         "--layers", "2", "--heads", "6", "--kv-heads", "3", "--seq-len", "64",
                         "--separate-classifier", "--seed", "5", "-o", path});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(read_bytes(path).size(), 402396u);
  r = run_cli({"inspect", path});
  EXPECT_NE(r.out.find("classifier: separate"), std::string::npos) << r.out;
  r = run_cli({"init", "--shape", "stories260K", "--heads", "5", "-o", path});
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_NE(r.err.find("n_heads"), std::string::npos) << r.err;
}

TEST(Cli, ConvertBetweenVersionsKeepsTheOutput) {
  const std::string v2 = scratch_path("convert-v2-be.bin");
  CliResult r = run_cli({"convert", model(), v2, "--llama2c-version", "2", "--big-endian"});
  ASSERT_EQ(r.status, 0) << r.err;
  r = run_cli({"inspect", v2});
  EXPECT_NE(r.out.find("llama2.c v2 (int8 groups), big-endian, 521728 bytes"), std::string::npos) << r.out;
  r = run_cli({"run", v2, "-z", tok512(), "-t", "0", "-n", "120", "-i", "Lily and Ben went to the"});
  EXPECT_EQ(r.out, read_text(data_path("llama2c/v2-greedy.txt")));
}


// ---- bake ----

// The float literals of one array in a baked header: "static constexpr float NAME[...] = {...};".
std::vector<float> baked_floats(const std::string& header, const std::string& declaration) {
  std::size_t at = header.find(declaration);
  EXPECT_NE(at, std::string::npos) << declaration;
  const std::size_t end = header.find(';', at);
  std::vector<float> values;
  while ((at = header.find("0x", at)) < end) {
    const bool negative = header[at - 1] == '-';
    float v = 0.0f;
    const auto r = std::from_chars(header.data() + at + 2, header.data() + end, v,
                                   std::chars_format::hex);
    EXPECT_EQ(*r.ptr, 'f');
    values.push_back(negative ? -v : v);
    at = static_cast<std::size_t>(r.ptr - header.data());
  }
  return values;
}

TEST(Cli, BakeWritesEveryFloatExactly) {
  const std::string path = scratch_path("stories260K.hpp");
  const CliResult r = run_cli({"bake", model(), "-z", tok512(), "-o", path});
  ASSERT_EQ(r.status, 0) << r.err;
  const std::string header = read_text(path);
  EXPECT_NE(header.find("struct stories260K {"), std::string::npos);  // named after the file
  for (const char* line : {"static constexpr int dim = 64;", "static constexpr int n_kv_heads = 4;",
                           "static constexpr int group_size = 0;", "static constexpr int vocab_size = 512;",
                           "static constexpr const auto& classifier = token_embedding;",
                           "static constexpr float rope_cos[512][4] = {"}) {
    EXPECT_NE(header.find(line), std::string::npos) << line;
  }
  const Model m = load_model(model());
  const std::vector<float> embedding = baked_floats(header, "float token_embedding[512][64]");
  ASSERT_EQ(embedding.size(), 512u * 64u);
  for (std::size_t i = 0; i < embedding.size(); ++i) {
    ASSERT_EQ(std::bit_cast<std::uint32_t>(embedding[i]),
              std::bit_cast<std::uint32_t>(m.weights.token_embedding.f32[i])) << i;
  }
  const std::vector<float> w2 = baked_floats(header, "float w2[5][64][172]");
  ASSERT_EQ(w2.size(), 5u * 64u * 172u);
  EXPECT_EQ(std::bit_cast<std::uint32_t>(w2.back()),
            std::bit_cast<std::uint32_t>(m.weights.layers[4].w2.f32[64 * 172 - 1]));
}

TEST(Cli, BakeQ8HoldsTheGroupsConvertWrites) {
  const std::string path = scratch_path("q8.hpp");
  const CliResult r = run_cli({"bake", model(), "-z", tok512(), "-o", path, "--quant", "q8_0",
                               "--name", "tiny_q8"});
  ASSERT_EQ(r.status, 0) << r.err;
  const std::string header = read_text(path);
  EXPECT_NE(header.find("struct tiny_q8 {"), std::string::npos);
  EXPECT_NE(header.find("static constexpr int group_size = 4;"), std::string::npos);
  EXPECT_NE(header.find("shoehorn::ctime::Q8Matrix<172, 64, 4> w1[5] = {"), std::string::npos);
  const Model q8 = reloaded_as(load_model(model()), {Llama2cVersion::v2, ByteOrder::little, 64});
  std::string first_row = "Q8Matrix<512, 64, 4> token_embedding = {{\n{";
  for (int i = 0; i < 64; ++i) first_row += (i ? ", " : "") + std::to_string(q8.weights.token_embedding.q[i]);
  EXPECT_NE(header.find(first_row + "},"), std::string::npos);
}

TEST(Cli, BakeVocabularyOnly) {
  const std::string path = scratch_path("llama2_vocab.hpp");
  const CliResult r = run_cli({"bake", "--vocab-only", "-z", llama2_tok(), "-o", path});
  ASSERT_EQ(r.status, 0) << r.err;
  const std::string header = read_text(path);
  EXPECT_NE(header.find("static constexpr int vocab_size = 32000;"), std::string::npos);
  EXPECT_EQ(header.find("token_embedding"), std::string::npos);
}

TEST(Cli, BakeRefusesWhatHasNoLiteral) {
  // A NaN (0x7FC00000, little-endian) as the 6th value of the embedding: file offset 28 + 5 * 4.
  std::vector<std::byte> bytes = read_bytes(model());
  bytes[48] = std::byte{0x00};
  bytes[49] = std::byte{0x00};
  bytes[50] = std::byte{0xC0};
  bytes[51] = std::byte{0x7F};
  const std::string nan_model = scratch_path("nan-model.bin");
  write_bytes(nan_model, bytes);
  CliResult r = run_cli({"bake", nan_model, "-z", tok512(), "-o", scratch_path("nan.hpp")});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("token_embd.weight at offset 48: value is not finite"), std::string::npos) << r.err;
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"bake", "--vocab-only", "-o", scratch_path("x.hpp")},
        {"bake", model(), "-z", tok512(), "-o", scratch_path("x.hpp"), "--quant", "q4_0"},
        {"bake", model(), "-z", tok512()}}) {
    r = run_cli(args);
    EXPECT_EQ(r.status, 2) << r.err;
  }
}

}  // namespace
}  // namespace shoehorn::test

namespace shoehorn::test {
namespace {

// The decode-speed report on the stories15M shape (random weights, Llama 2 vocabulary).
TEST(Cli, ReportsSpeedOnStories15MShape) {
  const std::string path = scratch_path("random-stories15M.bin");
  CliResult r = run_cli({"init", "--shape", "stories15M", "-o", path});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(read_bytes(path).size(), 28u + 4u * 15191712u + 2u * 256 * 24 * 4);
  r = run_cli({"run", path, "-z", llama2_tok(), "-n", "6", "-s", "1", "-i", "Once"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(r.out.starts_with("Once")) << r.out;
  EXPECT_NE(r.err.find("achieved tok/s: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("(6 positions, 2 prompt tokens)"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace shoehorn::test
