// The bundled model, models/shoehorn-default.gguf (trained by scripts/train-default-model.sh):
// `shoehorn run` and `shoehorn eval` use it when given no MODEL, with the tokenizer inside it.
// Its text for a fixed seed and its bits per byte on a held-out slice are recorded here, so any
// change to the model, the engine or the tokenizer that moves them shows.
#include <gtest/gtest.h>

#include <fstream>

#include "shoehorn/cli/common.hpp"
#include "shoehorn/format/load.hpp"
#include "test_util.hpp"

namespace shoehorn::test {
namespace {

TEST(BundledModel, IsTheTrainedGgufWithItsTokenizer) {
  const Model model = load_model(cli::default_model_path());
  EXPECT_EQ(model.file.format, "GGUF v3 (llama, F32)");
  EXPECT_EQ(model.config().dim, 128);
  EXPECT_EQ(model.config().hidden_dim, 352);  // every row a multiple of 32: llama-quantize takes it
  EXPECT_EQ(model.config().n_layers, 5);
  EXPECT_EQ(model.config().vocab_size, 1024);
  EXPECT_EQ(model.config().seq_len, 256);
  const std::optional<Vocab> vocab = cli::find_vocab(model.file, std::nullopt);
  ASSERT_TRUE(vocab.has_value());
  EXPECT_EQ(vocab->size(), 1024);
}

TEST(BundledModel, GeneratesTheRecordedStoryWithoutModelOrTokenizer) {
  const CliResult r = run_cli({"run", "-t", "0.8", "-p", "0.9", "-s", "42", "-n", "64", "--threads", "1",
                               "-i", "Once upon a time"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out,
            "Once upon a time, there was a little boy named Timmy. Timmy loved to eat books and play "
            "together. One day, Timmy's mom said, \"Look, Billy, I'm not mad anymore.\" Timmy said, "
            "\"Timmy, let's go to\n");
}

// Every subcommand that takes a model takes the bundled one when given none: what it writes is
// what it writes for the bundled model's path.
TEST(BundledModel, EverySubcommandTakingAModelDefaultsToIt) {
  const std::string bundled = cli::default_model_path();
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"inspect"}, {"plan", "--target", "esp32-s3"}}) {
    std::vector<std::string> with_model = args;
    with_model.insert(with_model.begin() + 1, bundled);
    const CliResult given = run_cli(with_model);
    const CliResult defaulted = run_cli(args);
    ASSERT_EQ(given.status, 0) << args[0] << ": " << given.err;
    EXPECT_EQ(defaulted.status, 0) << args[0] << ": " << defaulted.err;
    EXPECT_EQ(defaulted.out, given.out) << args[0];
  }
  // Those that write a file write the same bytes.
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"pack", "--target", "esp32-s3", "-o"}, {"bake", "--name", "m", "-o"}}) {
    std::vector<std::string> with_model = args;
    with_model.insert(with_model.begin() + 1, bundled);
    with_model.push_back(scratch_path("given.out"));
    std::vector<std::string> defaulted = args;
    defaulted.push_back(scratch_path("defaulted.out"));
    ASSERT_EQ(run_cli(with_model).status, 0) << args[0];
    const CliResult r = run_cli(defaulted);
    EXPECT_EQ(r.status, 0) << args[0] << ": " << r.err;
    EXPECT_EQ(read_bytes(scratch_path("defaulted.out")), read_bytes(scratch_path("given.out"))) << args[0];
  }
  // bench measures time; its first line names the model it ran.
  const CliResult r = run_cli({"bench", "--runs", "1", "-n", "2", "--prompt-tokens", "2", "--threads", "1"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out.substr(0, r.out.find(',')), bundled);
}

// The first 1,000 bytes (whole lines: 886) of valid-776K.txt, which training never reads.
TEST(BundledModel, HeldOutBitsPerByteIsTheRecordedValue) {
  std::string text = read_text(shared_path("data/tinystories/valid-776K.txt")).substr(0, 1000);
  text = text.substr(0, text.rfind('\n') + 1);
  const std::string slice = scratch_path("valid-1K.txt");
  std::ofstream(slice, std::ios::binary) << text;
  const CliResult r = run_cli({"eval", "--data", slice, "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out.substr(0, r.out.find(", \"token_perplexity\"")), "{\"bits_per_byte\": 1.078314");
}

// The quantized copies in models/ are the F32 model converted by `shoehorn convert --quant`,
// byte for byte, so they change when it does.
TEST(BundledModel, QuantizedCopiesAreTheF32ModelConverted) {
  const std::string bundled = cli::default_model_path();
  for (const std::string quant : {"q8_0", "q4_0"}) {
    const std::string shipped = bundled.substr(0, bundled.size() - 5) + "-" + quant + ".gguf";
    const std::string converted = scratch_path("bundled-" + quant + ".gguf");
    const CliResult r = run_cli({"convert", bundled, converted, "--quant", quant});
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(read_bytes(converted), read_bytes(shipped)) << shipped;
  }
}

}  // namespace
}  // namespace shoehorn::test
