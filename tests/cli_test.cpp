// The CLI contract: output formats, exit statuses, llama2.c's flag semantics.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <bit>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <map>

#include "shoehorn/cli/common.hpp"
#include "shoehorn/ctime/bake.hpp"
#include "shoehorn/format/gguf_llama.hpp"
#include "shoehorn/format/load.hpp"
#include "shoehorn/generate/bench.hpp"
#include "shoehorn/generate/eval.hpp"
#include "shoehorn/io/sink.hpp"
#include "shoehorn/kernels/kernel_path.hpp"
#include "shoehorn/model/dequantize.hpp"
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
  // The same vocabulary from llama.cpp's GGUF.
  r = run_cli({"tokenize", "-z", shared_path("testdata/gguf/ggml-vocab-llama-spm.gguf"), "--bos",
               "hello world"});
  EXPECT_EQ(r.out, "1 22172 3186\n");
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
              std::bit_cast<std::uint32_t>(m.weights.token_embedding.blocks<float>()[i])) << i;
  }
  const std::vector<float> w2 = baked_floats(header, "float w2[5][64][172]");
  ASSERT_EQ(w2.size(), 5u * 64u * 172u);
  EXPECT_EQ(std::bit_cast<std::uint32_t>(w2.back()),
            std::bit_cast<std::uint32_t>(m.weights.layers[4].w2.blocks<float>()[64 * 172 - 1]));
}

TEST(Cli, BakeQ8HoldsTheGroupsConvertWrites) {
  const std::string path = scratch_path("q8.hpp");
  const CliResult r = run_cli({"bake", model(), "-z", tok512(), "-o", path, "--quant", "q8_group",
                               "--name", "tiny_q8"});
  ASSERT_EQ(r.status, 0) << r.err;
  const std::string header = read_text(path);
  EXPECT_NE(header.find("struct tiny_q8 {"), std::string::npos);
  EXPECT_NE(header.find("static constexpr int group_size = 4;"), std::string::npos);
  EXPECT_NE(header.find("shoehorn::ctime::Q8Matrix<172, 64, 4> w1[5] = {"), std::string::npos);
  const Model q8 = reloaded_as(load_model(model()), {Llama2cVersion::v2, ByteOrder::little, 64});
  std::string first_row = "Q8Matrix<512, 64, 4> token_embedding = {{\n{";
  for (int i = 0; i < 64; ++i) first_row += (i ? ", " : "") + std::to_string(q8.weights.token_embedding.blocks<std::int8_t>()[i]);
  EXPECT_NE(header.find(first_row + "},"), std::string::npos);
}

// Every model `run` takes bakes: a GGUF of each type convert writes, with and without
// --quant f32. The engine computes F32 (and llama2.c's int8 groups); the rest reaches the
// header as the floats the run-time engine dequantizes, bit for bit.
TEST(Cli, BakeTakesEveryGgufTypeConvertWrites) {
  for (const std::string quant : {"f32", "f16", "q8_0", "q4_0"}) {
    const std::string gguf = scratch_path("bake-" + quant + ".gguf");
    CliResult r = run_cli({"convert", model(), gguf, "--quant", quant, "-z", tok512()});
    ASSERT_EQ(r.status, 0) << r.err;
    const Model m = load_model(gguf);
    const std::vector<float> embedding = dequantize(m.weights.token_embedding);
    const std::vector<float> w2 = dequantize(m.weights.layers[4].w2);
    for (const bool f32 : {false, true}) {
      SCOPED_TRACE(quant + (f32 ? " --quant f32" : ""));
      const std::string path = scratch_path("bake-" + quant + ".hpp");
      std::vector<std::string> args{"bake", gguf, "-o", path};
      if (f32) args.insert(args.end(), {"--quant", "f32"});
      r = run_cli(args);
      ASSERT_EQ(r.status, 0) << r.err;
      const std::string header = read_text(path);
      EXPECT_NE(header.find("static constexpr int group_size = 0;"), std::string::npos);
      const std::vector<float> baked_embedding = baked_floats(header, "float token_embedding[512][64]");
      ASSERT_EQ(baked_embedding.size(), embedding.size());
      for (std::size_t i = 0; i < embedding.size(); ++i) {
        ASSERT_EQ(std::bit_cast<std::uint32_t>(baked_embedding[i]), std::bit_cast<std::uint32_t>(embedding[i])) << i;
      }
      const std::vector<float> baked_w2 = baked_floats(header, "float w2[5][64][172]");
      ASSERT_EQ(baked_w2.size(), 5u * w2.size());
      for (std::size_t i = 0; i < w2.size(); ++i) {
        ASSERT_EQ(std::bit_cast<std::uint32_t>(baked_w2[4 * w2.size() + i]), std::bit_cast<std::uint32_t>(w2[i])) << i;
      }
      // From F32 the model's part is, byte for byte, what the checkpoint bakes to (the header
      // ctime_test compiles); the vocabulary differs: GGUF spells BOS and EOS without newlines.
      if (quant == "f32") {
        const std::string from_bin = scratch_path("bake-bin.hpp");
        ASSERT_EQ(run_cli({"bake", model(), "-z", tok512(), "-o", from_bin}).status, 0);
        const std::string bin_header = read_text(from_bin);
        const std::size_t at = header.find("  // The model: "), bin_at = bin_header.find("  // The model: ");
        ASSERT_NE(at, std::string::npos);
        EXPECT_TRUE(header.substr(at) == bin_header.substr(bin_at));
      }
    }
  }
}

// bake's int8 groups are llama2.c's (q8_group), whatever the file held: here ggml's Q4_0.
TEST(Cli, BakeQ8GroupFromGgmlBlocks) {
  const std::string gguf = scratch_path("bake-groups.gguf");
  CliResult r = run_cli({"convert", model(), gguf, "--quant", "q4_0", "-z", tok512()});
  ASSERT_EQ(r.status, 0) << r.err;
  const std::string path = scratch_path("bake-groups.hpp");
  r = run_cli({"bake", gguf, "-o", path, "--quant", "q8_group"});
  ASSERT_EQ(r.status, 0) << r.err;
  const std::string header = read_text(path);
  EXPECT_NE(header.find("static constexpr int group_size = 4;"), std::string::npos);
  EXPECT_NE(header.find("shoehorn::ctime::Q8Matrix<172, 64, 4> w1[5] = {"), std::string::npos);
  // ggml's name is not bake's: q8_0 would read as Q8_0 blocks, which the engine lacks.
  r = run_cli({"bake", gguf, "-o", path, "--quant", "q8_0"});
  EXPECT_EQ(r.status, 2) << r.err;
}

// The baker itself refuses, with the tensor and its offset, weights the engine does not compute.
TEST(Cli, BakerRefusesTypesTheEngineLacks) {
  const std::string gguf = scratch_path("bake-refused.gguf");
  const CliResult r = run_cli({"convert", model(), gguf, "--quant", "f16", "-z", tok512()});
  ASSERT_EQ(r.status, 0) << r.err;
  const Model m = load_model(gguf);
  const TensorInfo& first = m.file.tensors.front();
  ASSERT_EQ(first.name, "token_embd.weight");
  try {
    (void)bake_header(m, cli::read_vocab_file(gguf), {"x", gguf, gguf});
    FAIL() << "baked F16 weights";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), gguf + ": token_embd.weight at offset " + std::to_string(first.offset) +
                                         ": weights of type F16: a baked header holds F32 or "
                                         "llama2.c int8 groups (dequantize first)");
  }
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
  for (const char* key : {"\"prefill_tok_s\": ", "\"decode_tok_s\": ", "\"peak_rss_bytes\": ",
                          "\"prefill_cpu_tok_s\": ", "\"decode_cpu_tok_s\": "}) {
    const std::size_t at = last.find(key);
    ASSERT_NE(at, std::string::npos) << key;
    EXPECT_GT(std::stod(last.substr(at + std::string(key).size())), 0.0) << key;
  }
  EXPECT_NE(r.err.find("3 runs"), std::string::npos) << r.err;
  const std::string fastest = kernels::to_string(kernels::supported_kernel_paths().back());
  EXPECT_NE(last.find("\"kernels\": \"" + fastest + "\""), std::string::npos) << last;
}

TEST(Cli, BenchTakesAKernelPath) {
  const CliResult r = run_cli({"bench", model(), "--runs", "1", "-n", "2", "--prompt-tokens", "2",
                               "--kernels", "scalar", "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("\"kernels\": \"scalar\""), std::string::npos) << r.out;
  EXPECT_EQ(run_cli({"bench", model(), "--kernels", "mmx"}).status, 2);
  if (kernels::supported_kernel_paths().size() == 1) {  // no SIMD path here: a located refusal
    const CliResult no = run_cli({"bench", model(), "--runs", "1", "-n", "1", "--kernels", "avx2"});
    EXPECT_EQ(no.status, 1);
    EXPECT_NE(no.err.find("not supported on this machine"), std::string::npos) << no.err;
  }
}

// -n and --prompt-tokens mean llama-bench's -n and -p: each test from an empty context, as
// many tokens as asked, or an error when the model cannot hold them (stories260K: 512).
TEST(Cli, BenchRunsWhatItIsAskedOrRefuses) {
  const CliResult r = run_cli({"bench", model(), "--runs", "1", "-n", "512", "--prompt-tokens", "64", "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("\"prompt_tokens\": 64, \"decode_tokens\": 512"), std::string::npos) << r.out;
  const CliResult both = run_cli({"bench", model(), "--runs", "1", "-n", "128", "--prompt-tokens", "128", "--json"});
  ASSERT_EQ(both.status, 0) << both.err;
  EXPECT_NE(both.out.find("\"prompt_tokens\": 128, \"decode_tokens\": 128"), std::string::npos) << both.out;
  for (const char* n : {"513", "5000"}) {
    const CliResult over = run_cli({"bench", model(), "--runs", "1", "-n", n});
    EXPECT_EQ(over.status, 1) << n;
    EXPECT_NE(over.err.find("a decode of " + std::string(n) + " tokens: the model holds 1 to 512 positions"),
              std::string::npos) << over.err;
  }
  const CliResult prompt = run_cli({"bench", model(), "--runs", "1", "--prompt-tokens", "600"});
  EXPECT_EQ(prompt.status, 1);
  EXPECT_NE(prompt.err.find("a prompt of 600 tokens"), std::string::npos) << prompt.err;
  EXPECT_EQ(run_cli({"bench", model(), "-n", "0"}).status, 2);  // usage: decode at least one
}

// The decode bound's numerator: stories260K shares its classifier, so every tensor counts,
// the embedding with it; the same file as
// GGUF with its own output matrix leaves out the embedding table, of which a token reads one row.
TEST(Cli, BenchCountsTheWeightBytesADecodeStepReads) {
  const ModelFile file = read_model_file(FileSource(model()));
  std::uint64_t floats = 0;
  for (const TensorInfo& t : file.tensors) floats += t.count();
  EXPECT_EQ(weight_bytes_per_token(file), 4 * floats);
  // The file less its header and the RoPE tables llama2.c files still carry (freq_cis_real and
  // _imag, seq_len x head_size / 2 floats each), which nothing reads.
  const std::uint64_t rope_tables = 2ull * 4 * file.config.seq_len * (file.config.head_size() / 2);
  EXPECT_EQ(weight_bytes_per_token(file), std::filesystem::file_size(model()) - 28 - rope_tables);
  ModelFile unshared = file;
  unshared.shared_classifier = false;
  const std::uint64_t embedding = 4ull * file.config.vocab_size * file.config.dim;
  EXPECT_EQ(weight_bytes_per_token(unshared), 4 * floats - embedding);
  const CliResult r = run_cli({"bench", model(), "--runs", "1", "-n", "8", "--prompt-tokens", "8", "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("\"weight_bytes_per_token\": " + std::to_string(4 * floats) + ","), std::string::npos) << r.out;
  // With --bandwidth under a budget: the probe's 1 GiB buffer is not the model's memory, so the
  // budget check takes the peak before it.
  const CliResult probed = run_cli({"bench", model(), "--runs", "1", "-n", "8", "--prompt-tokens", "8",
                                    "--bandwidth", "--mem-budget", "64M"});
  ASSERT_EQ(probed.status, 0) << probed.err;
  EXPECT_NE(probed.out.find("memory read bandwidth: "), std::string::npos) << probed.out;
  EXPECT_NE(probed.out.find("decode bound: 1.0 MiB of weights per token at "), std::string::npos) << probed.out;
}

// The bandwidth probe reads every word once per run on every thread count (its sums check it)
// and reports one rate per run.
TEST(Cli, BandwidthProbeReadsTheWholeBuffer) {
  for (const int threads : {1, 2}) {
    ThreadPool pool(threads);
    const std::vector<double> rates = read_bandwidth(pool, std::size_t{8} << 20, 3);
    ASSERT_EQ(rates.size(), 3u);
    for (const double rate : rates) EXPECT_GT(rate, 1e6);
  }
}

}  // namespace
}  // namespace shoehorn::test

namespace shoehorn::test {
namespace {

std::string lily() { return read_text(shared_path("testdata/llama2c-reference/greedy-lily.txt")); }

CliResult greedy_lily(const std::string& path, std::vector<std::string> more = {}) {
  std::vector<std::string> args = {"run", path, "-t", "0", "-n", "120", "-i", "Lily and Ben went to the"};
  args.insert(args.end(), more.begin(), more.end());
  return run_cli(args);
}

TEST(CliGguf, ConvertEmbedsTheTokenizerAndRuns) {
  const std::string gguf = scratch_path("cli-q8_0.gguf");
  CliResult r = run_cli({"convert", model(), gguf, "--quant", "q8_0", "-z", tok512()});
  ASSERT_EQ(r.status, 0) << r.err;
  r = run_cli({"inspect", gguf});
  EXPECT_NE(r.out.find("format: GGUF v3, little-endian"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("general.file_type (u32): 7 (Q8_0)\n"), std::string::npos);
  EXPECT_NE(r.out.find("tokenizer.ggml.tokens (array): [string x 512] <unk>, <s>, </s>, <0x00>"),
            std::string::npos);
  EXPECT_NE(r.out.find("classifier: shared with token_embd.weight"), std::string::npos);
  EXPECT_NE(r.out.find("  blk.4.ffn_down.weight        F16    172 x 64"), std::string::npos);
  r = greedy_lily(gguf);  // the tokenizer comes from the GGUF
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, lily());
}

TEST(CliGguf, GgufToLlama2cGivesTheSameCheckpoint) {
  const std::string gguf = scratch_path("cli-f32-be.gguf");
  ASSERT_EQ(run_cli({"convert", model(), gguf, "--big-endian", "-z", tok512()}).status, 0);
  const std::string direct = scratch_path("cli-direct-v1.bin");
  const std::string via = scratch_path("cli-via-gguf-v1.bin");
  ASSERT_EQ(run_cli({"convert", model(), direct, "--llama2c-version", "1"}).status, 0);
  const CliResult r = run_cli({"convert", gguf, via, "--format", "llama2c", "--llama2c-version", "1"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(read_bytes(via), read_bytes(direct));
}

TEST(CliGguf, FlagsOfTheOtherFormatAreUsageErrors) {
  const std::string out = scratch_path("never-written");
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"convert", model(), out + ".bin", "--quant", "q8_0"},
        {"convert", model(), out + ".bin", "-z", tok512()},
        {"convert", model(), out + ".gguf", "--llama2c-version", "2"},
        {"convert", model(), out, "--format", "gguf", "--group-size", "32"},
        {"convert", model(), out + ".gguf", "--quant", "q8_1"},
        {"convert", model(), out + ".gguf", "--alignment", "48"},
        {"init", "--shape", "stories260K", "-o", out + ".bin", "--alignment", "64"}}) {
    const CliResult r = run_cli(args);
    EXPECT_EQ(r.status, 2) << args.back() << " " << r.err;
    EXPECT_TRUE(r.err.starts_with("shoehorn: usage error: ")) << r.err;
  }
}

TEST(CliGguf, WithoutATokenizerTheFileSaysSoAndRunNeedsOne) {
  const std::string dir = scratch_path("no-tokenizer");
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  write_bytes(dir + "/model.bin", read_bytes(model()));
  CliResult r = run_cli({"convert", dir + "/model.bin", dir + "/model.gguf"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find("no tokenizer"), std::string::npos) << r.err;
  r = run_cli({"inspect", dir + "/model.gguf"});
  EXPECT_EQ(r.out.find("tokenizer.ggml"), std::string::npos) << r.out;
  r = greedy_lily(dir + "/model.gguf");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("no tokenizer"), std::string::npos) << r.err;
  r = greedy_lily(dir + "/model.gguf", {"-z", tok512()});
  EXPECT_EQ(r.out, lily());
  // A GGUF vocabulary serves as -z too.
  const std::string with_vocab = dir + "/with-vocab.gguf";
  ASSERT_EQ(run_cli({"convert", model(), with_vocab, "-z", tok512()}).status, 0);
  r = greedy_lily(model(), {"-z", with_vocab});
  EXPECT_EQ(r.out, lily()) << r.err;
}

TEST(CliGguf, InitStreamsTheSameWeightsAsTheLlama2cWriter) {
  const std::string bin = scratch_path("init-260k.bin");
  const std::string gguf = scratch_path("init-260k.gguf");
  ASSERT_EQ(run_cli({"init", "--shape", "stories260K", "--seed", "7", "-o", bin}).status, 0);
  ASSERT_EQ(run_cli({"init", "--shape", "stories260K", "--seed", "7", "-o", gguf}).status, 0);
  // Every tensor equal: llama2.c again from the GGUF gives the same file.
  const std::string again = scratch_path("init-260k-again.bin");
  ASSERT_EQ(run_cli({"convert", gguf, again}).status, 0);
  EXPECT_EQ(read_bytes(again), read_bytes(bin));
}

TEST(CliGguf, InitStories15MShapeQ8_0HasExactTensorBytes) {
  const std::string path = scratch_path("init-15M-q8_0.gguf");
  CliResult r = run_cli({"init", "--shape", "stories15M", "--quant", "q8_0", "-o", path});
  ASSERT_EQ(r.status, 0) << r.err;
  // Q8_0 blocks of 34 bytes per 32 values: the embedding (32000 x 288), 6 layers of 4 x 288^2
  // attention and 3 x 288 x 768 feed-forward values, F32 norms (13 x 288); every tensor's size
  // is a multiple of 32, so there is no padding between them.
  const std::uint64_t data = 32000ull * 288 / 32 * 34 +
                             6 * ((4ull * 288 * 288 + 3ull * 288 * 768) / 32 * 34) + 13 * 288 * 4;
  EXPECT_EQ(data, 16152192u);
  r = run_cli({"inspect", path});
  const std::size_t at = r.out.find("data at offset ");
  ASSERT_NE(at, std::string::npos) << r.out;
  const std::uint64_t data_offset = std::stoull(r.out.substr(at + 15));
  EXPECT_EQ(read_bytes(path).size(), data_offset + data);
  EXPECT_NE(r.out.find("parameters: 15191712"), std::string::npos);
}

// The last line of stdout as JSON fields (flat objects of numbers only).
std::map<std::string, double> json_numbers(const std::string& out) {
  const std::size_t start = out.rfind('{');
  std::map<std::string, double> fields;
  std::size_t at = start;
  while ((at = out.find('"', at + 1)) != std::string::npos) {
    const std::size_t end = out.find('"', at + 1);
    const std::string key = out.substr(at + 1, end - at - 1);
    fields[key] = std::stod(out.substr(out.find(':', end) + 1));
    at = out.find_first_of(",}", end);
  }
  return fields;
}

std::string valid_slice(std::size_t bytes) {
  const std::string path = scratch_path("valid-" + std::to_string(bytes) + ".txt");
  std::vector<std::byte> text = read_bytes(shared_path("data/tinystories/valid-776K.txt"));
  text.resize(bytes);
  write_bytes(path, text);
  return path;
}

TEST(CliEval, AModelWithoutInformationCostsLog2VocabBitsPerToken) {
  // Every weight zero: every logit is 0, so each token costs exactly log2(512) = 9 bits.
  const std::string path = scratch_path("zero.gguf");
  {
    FileSink sink(path);
    const Vocab vocab = cli::read_vocab_file(tok512());
    write_llama_gguf(sink, Config{64, 64, 1, 2, 2, 512, 64}, true, &vocab, {},
                     [](const TensorInfo&, std::span<float> v) { std::fill(v.begin(), v.end(), 0.0f); });
    sink.close();
  }
  const std::string data = valid_slice(1000);
  const CliResult r = run_cli({"eval", path, "--data", data, "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto json = json_numbers(r.out);
  EXPECT_EQ(json.at("tokens"), 514);  // what `shoehorn tokenize -z tok512.bin` gives
  EXPECT_EQ(json.at("windows"), 9);   // BOS + 63 tokens each: 8 x 63 = 504, then 10
  EXPECT_NEAR(json.at("bits_per_byte"), 9.0 * 514 / 1000, 1e-6);
  EXPECT_NEAR(json.at("token_perplexity"), 512.0, 1e-3);
}

// Each slice is scored as if it were the whole file: its bits per byte are what eval of that
// slice alone prints, and the slices together are the file.
TEST(CliEval, SlicesAreScoredAlone) {
  const std::string data = valid_slice(3000);
  const CliResult r = run_cli({"eval", model(), "-z", tok512(), "--data", data, "--slices", "3", "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  const std::string text = read_text(data);
  const std::vector<std::string_view> slices = split_whole_lines(text, 3);
  ASSERT_EQ(slices.size(), 3u);
  std::size_t bytes = 0;
  for (std::size_t i = 0; i < slices.size(); ++i) {
    bytes += slices[i].size();
    const std::string alone = scratch_path("valid-slice-" + std::to_string(i) + ".txt");
    std::ofstream(alone, std::ios::binary) << slices[i];
    const CliResult one = run_cli({"eval", model(), "-z", tok512(), "--data", alone, "--json"});
    ASSERT_EQ(one.status, 0) << one.err;
    const std::string bpb = one.out.substr(1, one.out.find(", \"token_perplexity\"") - 1);
    const std::string slice_json = "{" + bpb + ", \"bytes\": " + std::to_string(slices[i].size());
    EXPECT_NE(r.out.find(slice_json), std::string::npos) << slice_json << " not in " << r.out;
    const std::string line = "slice " + std::to_string(i + 1) + ": " +
                             bpb.substr(bpb.find(": ") + 2) + " bits per byte, " +
                             std::to_string(slices[i].size()) + " bytes";
    EXPECT_NE(r.err.find(line), std::string::npos) << line << " not in " << r.err;
  }
  EXPECT_EQ(bytes, 3000u);
  EXPECT_NE(run_cli({"eval", model(), "-z", tok512(), "--data", data, "--slices", "0"}).status, 0);
}

// The goals are on the whole validation file (Q8_0 within 1% of F32, Q4_0 within 5%;
// measured 0.08% and 3.5%). On this 600-byte slice (300 tokens, one window; the windows
// themselves are checked above) Q8_0 must keep its bound; Q4_0's cost varies more with so
// little text (4.8% here, 6% on other short slices), so it only has to stay in a sane range.
TEST(CliEval, JsonAndQuantizedModels) {
  const std::string data = valid_slice(600);
  std::map<std::string, double> bpb;
  for (const std::string quant : {"f32", "q8_0", "q4_0"}) {
    const std::string path = scratch_path("eval-" + quant + ".gguf");
    ASSERT_EQ(run_cli({"convert", model(), path, "--quant", quant, "-z", tok512()}).status, 0);
    const CliResult r = run_cli({"eval", path, "--data", data, "--json"});
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_NE(r.err.find("bits per byte: "), std::string::npos);
    const auto json = json_numbers(r.out);
    EXPECT_EQ(json.at("bytes"), 600);
    EXPECT_EQ(json.at("tokens"), 300);  // tok512's ids for the text, without BOS
    EXPECT_EQ(json.at("windows"), 1);
    EXPECT_NEAR(json.at("token_perplexity"), std::exp2(json.at("bits_per_byte") * 600 / 300),
                1e-3);
    bpb[quant] = json.at("bits_per_byte");
  }
  EXPECT_GT(bpb["f32"], 0.5);
  EXPECT_LT(bpb["f32"], 1.5);
  EXPECT_LT(bpb["q8_0"], bpb["f32"] * 1.01);
  EXPECT_GT(bpb["q4_0"], bpb["q8_0"]);
  EXPECT_LT(bpb["q4_0"], bpb["f32"] * 1.10);
}

}  // namespace
}  // namespace shoehorn::test
