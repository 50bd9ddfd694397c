// The CLI contract: output formats, exit statuses, llama2.c's flag semantics.
#include <gtest/gtest.h>

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

#ifdef SHOEHORN_HAVE_TORCH
// `shoehorn train` runs the trainer executable and passes its output and status through.
TEST(Cli, TrainRunsTheTrainerExecutable) {
  const CliResult help = run_cli({"train", "--help"});
  EXPECT_EQ(help.status, 0) << help.err;
  EXPECT_NE(help.out.find("--stop-after"), std::string::npos) << help.out;
  const std::string missing = scratch_path("no-such-train.conf");
  const CliResult bad = run_cli({"train", missing, "-o", scratch_path("train-out")});
  EXPECT_EQ(bad.status, 1);
  EXPECT_EQ(bad.err, "shoehorn: error: " + missing + ": cannot open: No such file or directory\n");
  const CliResult usage = run_cli({"train", missing});
  EXPECT_EQ(usage.status, 2);
  EXPECT_TRUE(usage.err.starts_with("shoehorn: usage error: ")) << usage.err;
}
#endif

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
  r = run_cli({"run", path, "-z", llama2_tok(), "-n", "6", "-s", "1", "-i", "Once", "--threads", "1"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(r.out.starts_with("Once")) << r.out;
  EXPECT_NE(r.err.find("achieved tok/s: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("(6 positions, 2 prompt tokens)"), std::string::npos) << r.err;
  // Any number of threads computes the same logits: the same sampled text.
  const std::string one_thread = r.out;
  for (const char* threads : {"2", "3"}) {
    r = run_cli({"run", path, "-z", llama2_tok(), "-n", "6", "-s", "1", "-i", "Once", "--threads", threads});
    EXPECT_EQ(r.out, one_thread) << threads << " threads";
  }
}

TEST(Cli, ThreadCountDoesNotChangeTheReference) {
  for (const char* threads : {"1", "2", "5"}) {
    const CliResult r = run_cli({"run", model(), "-z", tok512(), "-t", "1.0", "-p", "0.9", "-n", "256",
                                 "-s", "42", "-i", "Once upon a time", "--threads", threads});
    EXPECT_EQ(r.out, read_text(shared_path("testdata/llama2c-reference/sample-t1-p09-s42.txt")))
        << threads << " threads";
  }
}

}  // namespace
}  // namespace shoehorn::test

namespace shoehorn::test {
namespace {

TEST(Cli, BenchJsonIsTheLastLine) {
  const CliResult r = run_cli({"bench", model(), "--runs", "3", "-n", "8", "--prompt-tokens", "12",
                               "--threads", "2", "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  ASSERT_FALSE(r.out.empty());
  const std::string last = r.out.substr(r.out.rfind('\n', r.out.size() - 2) + 1);
  EXPECT_TRUE(last.starts_with("{\"threads\": 2, \"prompt_tokens\": 12, \"decode_tokens\": 8, "))
      << last;
  for (const char* key : {"\"prefill_tok_s\": ", "\"decode_tok_s\": ", "\"peak_rss_bytes\": "}) {
    const std::size_t at = last.find(key);
    ASSERT_NE(at, std::string::npos) << key;
    EXPECT_GT(std::stod(last.substr(at + std::string(key).size())), 0.0) << key;
  }
  EXPECT_NE(r.err.find("3 runs"), std::string::npos) << r.err;
}

TEST(Cli, BenchClampsToTheContext) {
  const CliResult r = run_cli({"bench", model(), "--runs", "1", "-n", "5000", "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("\"prompt_tokens\": 128, \"decode_tokens\": 384"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace shoehorn::test
