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
  EXPECT_EQ(model.config().dim, 64);
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
            "Once upon a time, there was a boy who loved to go for a walk. "
            "He would take a really fast and having fun. "
            "One day, he saw a big cat on the corner of his tent and said, "
            "\"Hey, you can come inside and find a new\n");
}

// The first 1,000 bytes (whole lines: 886) of valid-776K.txt, which training never reads.
TEST(BundledModel, HeldOutBitsPerByteIsTheRecordedValue) {
  std::string text = read_text(shared_path("data/tinystories/valid-776K.txt")).substr(0, 1000);
  text = text.substr(0, text.rfind('\n') + 1);
  const std::string slice = scratch_path("valid-1K.txt");
  std::ofstream(slice, std::ios::binary) << text;
  const CliResult r = run_cli({"eval", "--data", slice, "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out.substr(0, r.out.find(", \"token_perplexity\"")), "{\"bits_per_byte\": 1.225223");
}

}  // namespace
}  // namespace shoehorn::test
