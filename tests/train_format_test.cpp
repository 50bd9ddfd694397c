// The trainer's files and pieces that need no LibTorch, on every target (big-endian included):
// the config format and its errors, the learning-rate schedules, corpora and documents, token
// shards, checkpoints, the trained model's layout, and the loss plot.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "shoehorn/format/tokenizer_bin.hpp"
#include "shoehorn/io/error.hpp"
#include "shoehorn/tokenizer/corpus.hpp"
#include "shoehorn/train/checkpoint.hpp"
#include "shoehorn/train/loss_log.hpp"
#include "shoehorn/train/token_shard.hpp"
#include "shoehorn/train/train_config.hpp"
#include "shoehorn/train/trained_model.hpp"
#include "test_util.hpp"

namespace shoehorn::test {
namespace {

constexpr const char* kTinyConfig = R"(# a tiny model
dim = 32
n_layers = 3
n_heads = 4
n_kv_heads = 2   # grouped-query attention
hidden_dim = 64
vocab_size = 512
seq_len = 16
share_adjacent_layers = true

tokenizer = tok512.bin
train_text = a.txt, /abs/b.txt
batch_size = 4
steps = 100
learning_rate = 1e-3
warmup_steps = 10
schedule = wsd
)";

std::string config_error(const std::string& text) {
  try {
    (void)parse_train_config(text, "dir/tiny.conf");
    return "";
  } catch (const Error& e) {
    return e.what();
  }
}

// kTinyConfig with the line that sets key replaced (or removed when line is empty).
std::string with_line(const std::string& key, const std::string& line,
                      std::string text = kTinyConfig) {
  const std::size_t at = text.find("\n" + key + " = ") + 1;
  const std::size_t end = text.find('\n', at);
  return text.replace(at, end - at + (line.empty() ? 1 : 0), line);
}

TEST(TrainConfig, ParsesEveryKeyWithDefaults) {
  const TrainConfig c = parse_train_config(kTinyConfig, "dir/tiny.conf");
  EXPECT_EQ(c.model.dim, 32);
  EXPECT_EQ(c.model.n_layers, 3);
  EXPECT_EQ(c.model.n_kv_heads, 2);
  EXPECT_EQ(c.model.rope_theta, 10000.0f);
  EXPECT_EQ(c.model.norm_eps, 1e-5f);
  EXPECT_TRUE(c.share_adjacent_layers);
  EXPECT_TRUE(c.shared_classifier);
  EXPECT_EQ(c.tokenizer, "dir/tok512.bin");
  EXPECT_EQ(c.train_text, (std::vector<std::string>{"dir/a.txt", "/abs/b.txt"}));
  EXPECT_EQ(c.schedule, LrSchedule::wsd);
  EXPECT_EQ(c.learning_rate, 1e-3);
  EXPECT_EQ(weight_blocks(c), 2);
  // 512x32 embedding, two blocks of 2x32 norms, 2 32x32 and 2 16x32 attention matrices,
  // 3 32x64 FFN matrices, and the final norm.
  EXPECT_EQ(parameter_count(c), 512 * 32 + 2 * (64 + 2 * 1024 + 2 * 512 + 3 * 2048) + 32);
  EXPECT_EQ(c.settings_text,
            "dim = 32\nn_layers = 3\nn_heads = 4\nn_kv_heads = 2\nhidden_dim = 64\n"
            "vocab_size = 512\nseq_len = 16\nrope_theta = 10000\nnorm_eps = 1e-05\n"
            "share_adjacent_layers = true\nshared_classifier = true\ndropout = 0\n"
            "tokenizer = tok512.bin\ntrain_text = a.txt, /abs/b.txt\nvalid_fraction = 0.05\n"
            "drop_repeats = false\nbatch_size = 4\nsteps = 100\n"
            "learning_rate = 0.001\nmin_learning_rate = 0\nwarmup_steps = 10\nschedule = wsd\n"
            "decay_fraction = 0.2\nweight_decay = 0.1\nbeta1 = 0.9\nbeta2 = 0.95\ngrad_clip = 1\n"
            "eval_interval = 100\neval_batches = 8\nseed = 1\nthreads = 1\n");
  EXPECT_EQ(setting(c.settings_text, "steps"), "100");
  EXPECT_EQ(setting(c.settings_text, "nope"), "");
}

TEST(TrainConfig, BadConfigsNameFileLineAndKey) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {with_line("dim", "dimm = 32"), "dir/tiny.conf: line 2: key 'dimm': unknown key (see docs/TRAINING.md)"},
      {with_line("dim", ""), "dir/tiny.conf: missing key 'dim'"},
      {with_line("n_heads", "n_heads = 5"), "dir/tiny.conf: line 4: key 'n_heads': n_heads 5 does not divide dim 32"},
      {with_line("n_kv_heads", "n_kv_heads = 3"), "dir/tiny.conf: line 5: key 'n_kv_heads': n_kv_heads 3 does not divide n_heads 4"},
      {with_line("dim", "dim = -32"), "dir/tiny.conf: line 2: key 'dim': value -32 is outside 1..65536"},
      {with_line("learning_rate", "learning_rate = -0.1"), "dir/tiny.conf: line 15: key 'learning_rate': value -0.1 is outside 1e-09..10"},
      {with_line("steps", "steps = many"), "dir/tiny.conf: line 14: key 'steps': 'many' is not an integer"},
      {with_line("steps", "steps = 1e3"), "dir/tiny.conf: line 14: key 'steps': '1e3' is not an integer"},
      {with_line("warmup_steps", "warmup_steps = 101"), "dir/tiny.conf: line 16: key 'warmup_steps': warmup_steps 101 is more than steps 100"},
      {with_line("schedule", "schedule = linear"), "dir/tiny.conf: line 17: key 'schedule': 'linear' is not cosine or wsd"},
      {with_line("share_adjacent_layers", "share_adjacent_layers = yes"), "dir/tiny.conf: line 9: key 'share_adjacent_layers': 'yes' is not true or false"},
      {with_line("train_text", "train_text = a.txt,,b.txt"), "dir/tiny.conf: line 12: key 'train_text': an empty path in the list"},
      {with_line("dim", "dim 32"), "dir/tiny.conf: line 2: expected 'key = value' (lowercase key, '#' starts a comment)"},
      {with_line("dim", "dim ="), "dir/tiny.conf: line 2: key 'dim': no value"},
      {std::string(kTinyConfig) + "dim = 64\n", "dir/tiny.conf: line 18: key 'dim' repeated (first at line 2)"},
      {std::string(kTinyConfig) + "rope_theta = inf\n", "dir/tiny.conf: line 18: key 'rope_theta': value inf is outside 0.001..1000000000000"},
      {with_line("tokenizer", "tokenizer = a.bin, b.bin"), "dir/tiny.conf: line 11: key 'tokenizer': one path, not a list"},
      {with_line("train_text", ""), "dir/tiny.conf: missing key 'train_text'"},
      {std::string(kTinyConfig) + "min_learning_rate = 0.01\n", "dir/tiny.conf: line 18: key 'min_learning_rate': min_learning_rate 0.01 is more than learning_rate 0.001"},
      {with_line("batch_size", "batch_size = 65536", with_line("seq_len", "seq_len = 32")), "dir/tiny.conf: line 13: key 'batch_size': batch_size x seq_len = 2097152 tokens, more than 1048576"},
      {with_line("dim", "dim = 65536"), "dir/tiny.conf: line 2: key 'dim': this model and batch would need about 385 GiB to train (limit 64 GiB)"},
  };
  for (const auto& [text, message] : cases) {
    EXPECT_EQ(config_error(text), message);
  }
  EXPECT_EQ(config_error(with_line("batch_size", "batch_size = 65535")), "");
}

TEST(TrainConfig, FirstChangedKeyIgnoresThreads) {
  const std::string a = parse_train_config(kTinyConfig, "a.conf").settings_text;
  EXPECT_EQ(first_changed_key(a, a), "");
  const std::string threads =
      parse_train_config(std::string(kTinyConfig) + "threads = 2\n", "a.conf").settings_text;
  EXPECT_EQ(first_changed_key(a, threads), "");
  const std::string steps = parse_train_config(with_line("steps", "steps = 200"), "a.conf").settings_text;
  EXPECT_EQ(first_changed_key(a, steps), "steps");
  EXPECT_EQ(first_changed_key(steps, a), "steps");
}

TEST(TrainConfig, LearningRateSchedules) {
  TrainConfig c = parse_train_config(kTinyConfig, "a.conf");  // 100 steps, 10 warmup, peak 1e-3
  c.min_learning_rate = 1e-4;
  EXPECT_DOUBLE_EQ(learning_rate_at(c, 1), 1e-4);
  EXPECT_DOUBLE_EQ(learning_rate_at(c, 10), 1e-3);
  // wsd: constant until the last 20 steps, then linear down to the minimum.
  EXPECT_DOUBLE_EQ(learning_rate_at(c, 80), 1e-3);
  EXPECT_DOUBLE_EQ(learning_rate_at(c, 90), 1e-3 - 0.5 * 9e-4);
  EXPECT_DOUBLE_EQ(learning_rate_at(c, 100), 1e-4);
  c.schedule = LrSchedule::cosine;
  EXPECT_DOUBLE_EQ(learning_rate_at(c, 10), 1e-3);
  EXPECT_DOUBLE_EQ(learning_rate_at(c, 55), 1e-4 + 0.5 * 9e-4);
  EXPECT_DOUBLE_EQ(learning_rate_at(c, 100), 1e-4);
}

TEST(Corpus, SplitsDocumentsAtEndOfTextOrBlankLines) {
  const std::string stories = "  One.\nTwo.\n<|endoftext|>\n\nThree.\n<|endoftext|>\n<|endoftext|>\nFour.";
  EXPECT_EQ(split_documents(stories),
            (std::vector<std::string_view>{"One.\nTwo.", "Three.", "Four."}));
  const std::string paragraphs = "First para\nstill first.\n\n \nSecond.\n";
  EXPECT_EQ(split_documents(paragraphs),
            (std::vector<std::string_view>{"First para\nstill first.", "Second."}));
  EXPECT_TRUE(split_documents(" \n\n").empty());
}

std::string corpus_error(const std::string& name, const std::string& bytes) {
  const std::string path = scratch_path("corpus-" + name);
  std::ofstream(path, std::ios::binary) << bytes;
  try {
    (void)read_corpus(path);
    return "";
  } catch (const Error& e) {
    return std::string(e.what()).substr(path.size());
  }
}

TEST(Corpus, RefusesEmptyBinaryAndNonUtf8Text) {
  EXPECT_EQ(corpus_error("empty.txt", ""), ": empty corpus");
  EXPECT_EQ(corpus_error("nul.txt", std::string("ab\0cd", 5)), ": text at offset 2: NUL byte: not a text file");
  EXPECT_EQ(corpus_error("latin1.txt", "caf\xe9 au lait"), ": text at offset 3: not UTF-8");
  EXPECT_EQ(corpus_error("cut.txt", "ok \xe2\x96"), ": text at offset 3: not UTF-8");
  EXPECT_EQ(corpus_error("good.txt", "Zo\xc3\xab \xf0\x9f\x99\x82\n"), "");
}

Tokenizer tok512() { return Tokenizer(read_tokenizer_bin(FileSource(shared_path("models/tok512.bin")))); }

TEST(TokenShard, HoldsOutTheLastDocumentsOfEachFile) {
  const std::string a = scratch_path("shard-a.txt"), b = scratch_path("shard-b.txt");
  std::ofstream(a, std::ios::binary) << "Once upon a time.\n<|endoftext|>\nThe cat sat.\n<|endoftext|>\nA dog ran.\n";
  std::ofstream(b, std::ios::binary) << "Lily was happy.\n\nBen was sad.\n";
  const Tokenizer tok = tok512();
  const TokenizedCorpus corpus = tokenize_corpora({a, b}, tok, {.valid_fraction = 0.3});  // 1 of 3, 1 of 2
  auto ids = [&](std::initializer_list<const char*> docs) {
    std::vector<std::uint32_t> out;
    for (const char* d : docs) {
      for (const int id : tok.encode(d, true, false)) out.push_back(static_cast<std::uint32_t>(id));
    }
    return out;
  };
  EXPECT_EQ(corpus.train.ids, ids({"Once upon a time.", "The cat sat.", "Lily was happy."}));
  EXPECT_EQ(corpus.valid.ids, ids({"A dog ran.", "Ben was sad."}));
  EXPECT_EQ(corpus.train.text_bytes, 17u + 12u + 15u);
  EXPECT_EQ(corpus.valid.text_bytes, 10u + 12u);
  EXPECT_EQ(corpus.valid.vocab_size, 512);
  EXPECT_EQ(corpus.valid.ids.front(), 1u);  // every document starts with BOS

  const std::string one = scratch_path("one-doc.txt");
  std::ofstream(one, std::ios::binary) << "Just one story.\n";
  try {
    (void)tokenize_corpora({one}, tok, {.valid_fraction = 0.1});
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), one + ": holds 1 document(s); at least 2 are needed so that one can be held out (separate documents with '<|endoftext|>' lines or blank lines)");
  }
}

TEST(TokenShard, LeavesCopiesOfHeldOutDocumentsOutOfTraining) {
  // b is a's stories lowercased and re-wrapped, then one of its own: a's held-out story must not
  // be trained on from b, whatever its case and spacing there.
  const std::string a = scratch_path("copy-a.txt"), b = scratch_path("copy-b.txt");
  std::ofstream(a, std::ios::binary) << "The cat sat.\n<|endoftext|>\nA dog ran.\n<|endoftext|>\nBen was sad.\n";
  std::ofstream(b, std::ios::binary) << "the cat sat.\n<|endoftext|>\nben  was\nsad.\n<|endoftext|>\nLily hid.\n<|endoftext|>\nTom ate.\n";
  const Tokenizer tok = tok512();
  auto ids = [&](std::initializer_list<const char*> docs) {
    std::vector<std::uint32_t> out;
    for (const char* d : docs) {
      for (const int id : tok.encode(d, true, false)) out.push_back(static_cast<std::uint32_t>(id));
    }
    return out;
  };
  const TokenizedCorpus kept = tokenize_corpora({a, b}, tok, {.valid_fraction = 0.25});  // 1 of 3, 1 of 4
  EXPECT_EQ(kept.valid.ids, ids({"Ben was sad.", "Tom ate."}));
  EXPECT_EQ(kept.train.ids, ids({"The cat sat.", "A dog ran.", "the cat sat.", "Lily hid."}));
  EXPECT_EQ(kept.dropped_as_held_out, 1u);
  EXPECT_EQ(kept.dropped_as_repeats, 0u);

  const TokenizedCorpus once =
      tokenize_corpora({a, b}, tok, {.valid_fraction = 0.25, .drop_repeats = true});
  EXPECT_EQ(once.valid.ids, kept.valid.ids);
  EXPECT_EQ(once.train.ids, ids({"The cat sat.", "A dog ran.", "Lily hid."}));
  EXPECT_EQ(once.dropped_as_held_out, 1u);
  EXPECT_EQ(once.dropped_as_repeats, 1u);
}

std::vector<std::byte> bytes_of(std::initializer_list<int> values) {
  std::vector<std::byte> out;
  for (const int v : values) out.push_back(static_cast<std::byte>(v));
  return out;
}

TEST(TokenShard, ExactLittleEndianBytesBothWidths) {
  const TokenShard small{512, 7, {1, 300, 2}};
  EXPECT_EQ(write_token_shard(small),
            bytes_of({'S', 'H', 'T', 'K', 1, 0, 0, 0, 2, 0, 0, 0, 0, 2, 0, 0,  //
                      3, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0,         //
                      1, 0, 0x2C, 1, 2, 0}));
  const TokenShard wide{70000, 1, {69999}};
  const std::vector<std::byte> bytes = write_token_shard(wide);
  EXPECT_EQ(bytes.size(), 36u);
  EXPECT_EQ(std::vector<std::byte>(bytes.begin() + 8, bytes.begin() + 12), bytes_of({4, 0, 0, 0}));
  EXPECT_EQ(std::vector<std::byte>(bytes.begin() + 32, bytes.end()), bytes_of({0x6F, 0x11, 1, 0}));
  for (const TokenShard& shard : {small, wide}) {
    const TokenShard back = read_token_shard(MemorySource("s.tokens", write_token_shard(shard)));
    EXPECT_EQ(back.ids, shard.ids);
    EXPECT_EQ(back.vocab_size, shard.vocab_size);
    EXPECT_EQ(back.text_bytes, shard.text_bytes);
  }
}

// A good file and its reader: every truncation and changed byte must end in a located Error.
template <class Read>
struct Corrupted {
  Read read;
  std::string name;
  std::vector<std::byte> good;

  // The message of the Error that reading bytes throws, or "" when they read.
  std::string error(std::span<const std::byte> bytes) const {
    try {
      (void)read(MemorySource(name, bytes));
      return "";
    } catch (const Error& e) {
      return e.what();
    }
  }

  void expect_every_truncation_located() const {
    for (std::size_t length = 0; length < good.size(); ++length) {
      const std::string message = error(std::span(good).first(length));
      EXPECT_TRUE(message.starts_with(name + ": ")) << message;
      EXPECT_NE(message.find(" at offset "), std::string::npos) << message;
    }
  }

  std::string with_byte(std::size_t at, int value) const {
    std::vector<std::byte> bytes = good;
    bytes[at] = static_cast<std::byte>(value);
    return error(bytes);
  }
};

TEST(TokenShard, CorruptShardsGiveLocatedErrors) {
  const Corrupted shard{[](const ByteSource& s) { return read_token_shard(s); }, "bad.tokens",
                        write_token_shard({512, 7, {1, 300, 2}})};
  shard.expect_every_truncation_located();
  EXPECT_EQ(shard.with_byte(0, 'X'), "bad.tokens: magic at offset 0: not a shoehorn token shard");
  EXPECT_EQ(shard.with_byte(8, 3), "bad.tokens: bytes per id at offset 8: value 3 is not 2 or 4");
  EXPECT_EQ(shard.with_byte(14, 1), "bad.tokens: vocab_size at offset 12: value 66048 does not fit 2-byte ids");
  EXPECT_EQ(shard.with_byte(16, 4), "bad.tokens: token count at offset 16: 4 ids of 2 bytes do not fill the 6 bytes after the header");
  EXPECT_EQ(shard.with_byte(23, 0x40), "bad.tokens: token count at offset 16: 4611686018427387907 ids of 2 bytes do not fill the 6 bytes after the header");
  EXPECT_EQ(shard.with_byte(35, 2), "bad.tokens: id at offset 34: token 556 is outside the vocabulary of 512");
}

TrainCheckpoint small_checkpoint() {
  return {"dim = 8\n", 3, 0x0102030405060708ull,
          {{"w", {2, 3}, {1, 2, 3, 4, 5, -0.5f}}, {"log.eval", {0, 3}, {}}}};
}

TEST(Checkpoint, ExactBytesAndRoundTrip) {
  const std::vector<std::byte> bytes = write_checkpoint(small_checkpoint());
  const std::vector<std::byte> head = bytes_of({'S', 'H', 'C', 'K', 1, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0,
                                                8, 7, 6, 5, 4, 3, 2, 1, 8, 0, 0, 0});
  EXPECT_EQ(std::vector<std::byte>(bytes.begin(), bytes.begin() + 28), head);
  // settings (8), count, "w" (4 + 1), rank, 2 dims, 6 floats; "log.eval" (4 + 8), rank, 2 dims.
  EXPECT_EQ(bytes.size(), 28u + 8 + 4 + 5 + 4 + 16 + 24 + 12 + 4 + 16);
  EXPECT_EQ(std::vector<std::byte>(bytes.begin() + 85, bytes.begin() + 89), bytes_of({0, 0, 0, 0xBF}));
  const TrainCheckpoint back = read_checkpoint(MemorySource("c.bin", bytes));
  EXPECT_EQ(back.settings_text, "dim = 8\n");
  EXPECT_EQ(back.step, 3u);
  EXPECT_EQ(back.rng_state, 0x0102030405060708ull);
  ASSERT_EQ(back.arrays.size(), 2u);
  ASSERT_NE(back.find("w"), nullptr);
  EXPECT_EQ(back.find("w")->shape, (std::vector<std::int64_t>{2, 3}));
  EXPECT_EQ(back.find("w")->values, (std::vector<float>{1, 2, 3, 4, 5, -0.5f}));
  EXPECT_EQ(back.find("log.eval")->shape, (std::vector<std::int64_t>{0, 3}));
  EXPECT_EQ(back.find("nope"), nullptr);
}

TEST(Checkpoint, CorruptCheckpointsGiveLocatedErrors) {
  const Corrupted checkpoint{[](const ByteSource& s) { return read_checkpoint(s); }, "bad.ckpt",
                             write_checkpoint(small_checkpoint())};
  checkpoint.expect_every_truncation_located();
  EXPECT_EQ(checkpoint.with_byte(27, 0x10), "bad.ckpt: settings at offset 24: length 268435464 is over the limit of 1048576");
  EXPECT_EQ(checkpoint.with_byte(40, 0), "bad.ckpt: array[0].name at offset 40: empty name");
  EXPECT_EQ(checkpoint.with_byte(45, 5), "bad.ckpt: array[0].rank at offset 45: value 5 is outside 1..4");
  EXPECT_EQ(checkpoint.with_byte(49, 20), "bad.ckpt: array[0].shape at offset 49: dimension 20 needs more values than the 64 bytes left");
  EXPECT_EQ(checkpoint.with_byte(56, 1), "bad.ckpt: array[0].shape at offset 49: dimension 72057594037927938 needs more values than the 64 bytes left");
  std::vector<std::byte> longer = checkpoint.good;
  longer.push_back(std::byte{0});
  EXPECT_EQ(checkpoint.error(longer), "bad.ckpt: end at offset 121: 1 unexpected bytes");
}

TrainConfig tiny_config() { return parse_train_config(kTinyConfig, "tiny.conf"); }

// Arrays for every weight, each value distinct: array i holds i * 1000 + its index.
std::vector<NamedArray> numbered_weights(const TrainConfig& c) {
  std::vector<NamedArray> arrays;
  for (const WeightSpec& s : weight_layout(c)) {
    NamedArray a{s.name, s.shape(), std::vector<float>(static_cast<std::size_t>(s.rows) * s.cols)};
    for (std::size_t j = 0; j < a.values.size(); ++j) {
      a.values[j] = static_cast<float>(arrays.size() * 1000 + j);
    }
    arrays.push_back(std::move(a));
  }
  return arrays;
}

TEST(TrainedModel, AdjacentLayersShareBlocksAndShapesAreChecked) {
  const TrainConfig c = tiny_config();
  const std::vector<WeightSpec> layout = weight_layout(c);
  ASSERT_EQ(layout.size(), 1u + 2 * 9 + 1);
  EXPECT_EQ(layout[0].name, "token_embd.weight");
  EXPECT_EQ(layout[3].name, "blk.0.attn_k.weight");
  EXPECT_EQ(layout[3].shape(), (std::vector<std::int64_t>{16, 32}));
  EXPECT_EQ(layout[10].name, "blk.1.attn_norm.weight");
  EXPECT_EQ(layout[10].shape(), (std::vector<std::int64_t>{32}));
  EXPECT_EQ(block_of_layer(c, 2), 1);

  const Model model = trained_model(c, numbered_weights(c), "numbered");
  const Weights& w = model.weights;
  ASSERT_EQ(w.layers.size(), 3u);
  EXPECT_EQ(w.layers[0].wq.blocks<float>(), w.layers[1].wq.blocks<float>());  // layers 0 and 1 run block 0
  EXPECT_NE(w.layers[1].wq.blocks<float>(), w.layers[2].wq.blocks<float>());
  EXPECT_EQ(w.layers[2].wq.blocks<float>()[5], 11005.0f);         // block 1's wq is array 11
  EXPECT_EQ(w.layers[2].attn_norm[1], 10001.0f);
  EXPECT_EQ(w.layers[0].w2.rows, 32);
  EXPECT_EQ(w.layers[0].w2.cols, 64);
  EXPECT_EQ(w.final_norm[0], 19000.0f);
  EXPECT_EQ(w.classifier.blocks<float>(), w.token_embedding.blocks<float>());

  std::vector<NamedArray> wrong = numbered_weights(c);
  wrong[3].shape = {32, 16};
  try {
    (void)trained_model(c, wrong, "wrong.ckpt");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "wrong.ckpt: weight 'blk.0.attn_k.weight' has shape 32x16, the config needs 16x32");
  }
  wrong = numbered_weights(c);
  wrong.pop_back();
  try {
    (void)trained_model(c, wrong, "short.ckpt");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "short.ckpt: no weight 'output_norm.weight'");
  }
}

TEST(TrainedModel, Llama2cCannotHoldOtherRopeOrEps) {
  EXPECT_EQ(llama2c_limitation(tiny_config()), "");
  const TrainConfig theta = parse_train_config(std::string(kTinyConfig) + "rope_theta = 500000\n", "t.conf");
  EXPECT_EQ(llama2c_limitation(theta), "llama2.c files cannot store rope_theta 500000 (readers assume 10000)");
  const TrainConfig eps = parse_train_config(std::string(kTinyConfig) + "norm_eps = 1e-6\n", "t.conf");
  EXPECT_EQ(llama2c_limitation(eps), "llama2.c files cannot store norm_eps 1e-06 (readers assume 1e-05)");
}

TEST(LossLog, CheckpointArraysRoundTrip) {
  const LossLog log{{3.5f, 2.5f}, {{0, 4.0f, 2.0f}, {2, 3.0f, 1.5f}}};
  TrainCheckpoint c;
  c.arrays = loss_log_arrays(log);
  EXPECT_EQ(c.arrays[1].shape, (std::vector<std::int64_t>{2, 3}));
  const LossLog back = loss_log_from(c, "c");
  EXPECT_EQ(back.train_loss, log.train_loss);
  ASSERT_EQ(back.evals.size(), 2u);
  EXPECT_EQ(back.evals[1].step, 2);
  EXPECT_EQ(back.evals[1].loss, 3.0f);
  EXPECT_EQ(back.evals[1].bits_per_byte, 1.5f);
}

TEST(LossLog, RefusesEvaluationsWithoutAStepNumber) {
  for (const float step : {1.5f, -1.0f, 3e9f, NAN}) {
    TrainCheckpoint c;
    c.arrays = loss_log_arrays({{}, {{0, 4.0f, 2.0f}}});
    c.arrays[1].values[0] = step;
    try {
      (void)loss_log_from(c, "c.ckpt");
      ADD_FAILURE() << step;
    } catch (const Error& e) {
      EXPECT_EQ(std::string(e.what()), "c.ckpt: log.eval row 0 holds no step number");
    }
  }
}

TEST(LossLog, PlotDrawsBothCurvesInsideTheAxes) {
  const LossLog log{{3.0f, 2.0f, 1.0f}, {{0, 3.0f, 0}, {3, 1.0f, 0}}};
  const RgbImage image = plot_loss(log, 3);
  ASSERT_EQ(image.width, 800);
  ASSERT_EQ(image.height, 480);
  ASSERT_EQ(image.rgb.size(), 800u * 480 * 3);
  // Axes: x from 70 to 780 for steps 0..3, y from 440 (loss 0.9) up to 20 (loss 3.1).
  EXPECT_EQ(image.at(0, 0), 0xFFFFFFu);
  EXPECT_EQ(image.at(70, 300), kAxisColor);
  EXPECT_EQ(image.at(500, 440), kAxisColor);
  EXPECT_EQ(image.at(307, 39), kTrainLossColor);   // step 1, loss 3.0
  EXPECT_EQ(image.at(543, 230), kTrainLossColor);  // step 2, loss 2.0
  EXPECT_EQ(image.at(780, 421), kEvalLossColor);   // step 3, loss 1.0
  EXPECT_EQ(image.at(72, 39), kEvalLossColor);     // step 0, loss 3.0 (the marker's edge)
  std::size_t train_pixels = 0;
  for (int y = 0; y < image.height; ++y) {
    for (int x = 0; x < image.width; ++x) train_pixels += image.at(x, y) == kTrainLossColor;
  }
  EXPECT_GT(train_pixels, 400u);  // two segments spanning 473 columns
}

}  // namespace
}  // namespace shoehorn::test
