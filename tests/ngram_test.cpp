// The n-gram models: the reference runtime's arithmetic against hand computation and recorded
// outputs, the builder's guarantees (probabilities that sum to 1, budgets, sizes, the bytes it
// writes), and every way a model file can be bad.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <map>
#include <sstream>

#include "shoehorn/io/byte_order.hpp"
#include "shoehorn/io/error.hpp"
#include "shoehorn/io/source.hpp"
#include "shoehorn/ngram/build.hpp"
#include "shoehorn/ngram/counts.hpp"
#include "shoehorn/ngram/model_file.hpp"
#include "shoehorn/ngram/prune.hpp"
#include "shoehorn/ngram/quantize.hpp"
#include "shoehorn/ngram/runtime.hpp"
#include "shoehorn/ngram/smoothing.hpp"
#include "test_util.hpp"

namespace shoehorn::test {
namespace {

using namespace ngram;

Model tiny() { return read_model(FileSource(data_path("ngram/tiny16k.bin"))); }

// The first 64 KiB of the training text: what tests/data/ngram/tiny16k.bin was built from.
std::string training_slice() { return read_text(shared_path("data/tinystories/train-lowercase-4M.txt")).substr(0, 65536); }

std::string held_out_slice() {
  std::string text = read_text(shared_path("data/tinystories/valid-776K.txt")).substr(0, 65536);
  for (char& c : text) if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return text;
}

Model build(const std::string& corpus, BuildOptions options, BuildReport* report = nullptr) {
  return build_model({corpus}, options, report);
}

// An order-2 model over {a, b, c} made by hand: the root holds a, b, c; the context "a"
// holds only b; "b" and "c" hold nothing.
Model hand_model() {
  Model m;
  m.order = 2;
  m.qvalue = logistic_qvalues();
  lay_out(m, {{{'a', 'b', 'c'}, {120, 100, 110}, {0, 1, 1, 1}}, {{'b'}, {250}, {}}});
  return m;
}

double sum_of_probabilities(const Generator& g) {
  double sum = 0;
  for (int b = 0; b < 256; ++b) sum += std::exp2(-g.surprise(static_cast<std::uint8_t>(b)));
  return sum;
}

TEST(Xorshift32, MarsaglisFirstOutput) {
  // Marsaglia, "Xorshift RNGs" (2003): 2463534242 steps to 723471715.
  EXPECT_EQ(Xorshift32::after(2463534242u), 723471715u);
}

TEST(Xorshift32, SeedingSkipsSixteenStepsAndAvoidsZero) {
  EXPECT_EQ(Xorshift32(1).state(), 3385103793u);
  EXPECT_EQ(Xorshift32(0).state(), 1138837087u);
  EXPECT_EQ(Xorshift32(0).state(), Xorshift32(0x9E3779B9u).state());
  Xorshift32 rng(1);
  for (const int expected : {39176, 56072, 13201, 7705, 14899}) EXPECT_EQ(rng.next16(), expected);
}

TEST(NgramRuntime, ProbabilitiesByHand) {
  const Model m = hand_model();
  const double qa = m.qvalue[120], qb = m.qvalue[100], qc = m.qvalue[110], qab = m.qvalue[250];
  Generator g(m, 1);
  EXPECT_EQ(g.depth(), 0);
  // The root holds the alphabet: no escape, its children share their own sum.
  EXPECT_DOUBLE_EQ(g.surprise('a'), -std::log2(qa / (qa + qb + qc)));
  EXPECT_TRUE(std::isinf(g.surprise('z')));
  g.feed('a');
  EXPECT_EQ(g.depth(), 1);
  EXPECT_DOUBLE_EQ(g.surprise('b'), -std::log2(qab / 65536));
  // a and c: escape from "a", then the root without b.
  EXPECT_DOUBLE_EQ(g.surprise('a'), -std::log2((65536 - qab) / 65536) - std::log2(qa / (qa + qc)));
  EXPECT_DOUBLE_EQ(g.surprise('c'), -std::log2((65536 - qab) / 65536) - std::log2(qc / (qa + qc)));
  EXPECT_NEAR(sum_of_probabilities(g), 1.0, 1e-12);
  g.feed('b');  // "ab": the node b has no children, so the context is empty again
  EXPECT_EQ(g.depth(), 0);
}

TEST(NgramRuntime, SamplingByHand) {
  const Model m = hand_model();
  const std::uint32_t qa = m.qvalue[120], qb = m.qvalue[100], qc = m.qvalue[110], qab = m.qvalue[250];
  Generator g(m, 1);
  Xorshift32 rng(1);
  // Root: r = rand16 * S >> 16 over a, b, c in order.
  std::uint32_t r = (rng.next16() * (qa + qb + qc)) >> 16;
  const char first = r < qa ? 'a' : r < qa + qb ? 'b' : 'c';
  EXPECT_EQ(g.next(), first);
  // After "a": r = rand16 over b (65536 in all), then the escape to the root without b.
  Generator after_a(m, 1);
  after_a.feed('a');
  rng = Xorshift32(1);
  const std::uint16_t draw = rng.next16();
  char expected = 'b';
  if (draw >= qab) {
    r = (rng.next16() * (qa + qc)) >> 16;
    expected = r < qa ? 'a' : 'c';
  }
  EXPECT_EQ(after_a.next(), expected);
}

TEST(NgramRuntime, RecordedOutputs) {
  const Model m = tiny();
  std::istringstream table(read_text(data_path("ngram/expected.tsv")));
  std::string line;
  int cases = 0;
  while (std::getline(table, line)) {
    if (line.empty() || line[0] == '#') continue;
    const std::vector<std::string> f = split_tabs(line);
    ASSERT_EQ(f.size(), 4u) << line;
    const auto seed = static_cast<std::uint32_t>(std::stoul(f[0]));
    EXPECT_EQ(generate(m, seed, unescape(f[1]), std::stoi(f[2])), unescape(f[3])) << "seed " << seed;
    ++cases;
  }
  EXPECT_EQ(cases, 6);
}

TEST(NgramRuntime, ProbabilitiesSumToOneEverywhere) {
  const std::string text = held_out_slice().substr(0, 800);
  for (const Model& m : {tiny(), read_model(FileSource(data_path("../../fuzz/corpus/ngram/order3-corpus.bin")))}) {
    Generator g(m, 1);
    for (const char c : text) {
      ASSERT_NEAR(sum_of_probabilities(g), 1.0, 1e-9) << "depth " << g.depth();
      g.feed(static_cast<std::uint8_t>(c));
    }
  }
}

TEST(NgramRuntime, ContextsHoldingTheWholeAlphabet) {
  // Over the alphabet {a, b} every context of "abbaabba..." holds both bytes: no escape.
  std::string corpus;
  for (int i = 0; i < 200; ++i) corpus += "abba";
  BuildOptions o;
  o.order = 3;
  o.alphabet = "corpus";
  o.start = "";
  const Model m = build(corpus, o);
  Generator g(m, 7);
  for (int i = 0; i < 300; ++i) {
    ASSERT_NEAR(sum_of_probabilities(g), 1.0, 1e-12);
    const std::uint8_t b = g.next();
    ASSERT_TRUE(b == 'a' || b == 'b');
  }
}

TEST(NgramRuntime, SamplesFollowTheProbabilities) {
  const Model m = tiny();
  const std::string context = "she was ";
  Generator probe(m, 1);
  for (const char c : context) probe.feed(static_cast<std::uint8_t>(c));
  constexpr int kDraws = 40000;
  std::map<int, int> seen;
  for (int seed = 1; seed <= kDraws; ++seed) {
    Generator g(m, static_cast<std::uint32_t>(seed));
    for (const char c : context) g.feed(static_cast<std::uint8_t>(c));
    ++seen[g.next()];
  }
  int checked = 0;
  for (int b = 0; b < 256; ++b) {
    const double p = std::exp2(-probe.surprise(static_cast<std::uint8_t>(b)));
    if (p < 0.02) continue;
    const double sigma = std::sqrt(p * (1 - p) / kDraws);
    EXPECT_NEAR(seen[b] / double(kDraws), p, 5 * sigma) << "byte " << b;
    ++checked;
  }
  EXPECT_GE(checked, 5);
}

TEST(NgramBuild, RebuildsTheCommittedModelByteForByte) {
  BuildOptions o;
  o.order = 4;
  o.rom_budget = 16 * 1024;
  EXPECT_EQ(write_model(build(training_slice(), o)), read_bytes(data_path("ngram/tiny16k.bin")));
}

TEST(NgramBuild, ReportAddsUpAndFitsTheBudget) {
  for (const std::uint64_t budget : {16u << 10, 32u << 10, 64u << 10}) {
    BuildOptions o;
    o.order = 5;
    o.rom_budget = budget;
    BuildReport r;
    const Model m = build(training_slice(), o, &r);
    EXPECT_LE(m.image.size() + kRuntimeReserveBytes, budget);
    EXPECT_GT(m.image.size() + kRuntimeReserveBytes, budget - 64) << "the budget should be used";
    std::uint64_t bytes = 0;
    for (const LevelReport& l : r.levels) {
      EXPECT_LE(l.kept, l.counted);
      bytes += l.bytes;
    }
    EXPECT_EQ(bytes, m.image.size());
    EXPECT_EQ(r.levels[0].kept, 256u);
    EXPECT_EQ(r.corpus_bytes, 65536u);
    // The written file passes every structure check.
    const std::vector<std::byte> file = write_model(m);
    EXPECT_EQ(write_model(read_model(MemorySource("m.bin", file))), file);
  }
}

TEST(NgramBuild, MoreBudgetPredictsBetter) {
  const std::string train = training_slice(), held_out = held_out_slice();
  double previous = 99;
  for (const std::uint64_t budget : {16u << 10, 32u << 10, 64u << 10}) {
    BuildOptions o;
    o.order = 5;
    o.rom_budget = budget;
    const double bits = evaluate(build(train, o), held_out).bits_per_byte();
    EXPECT_LT(bits, previous) << budget;
    previous = bits;
  }
  BuildOptions unpruned;
  unpruned.order = 5;
  EXPECT_LT(evaluate(build(train, unpruned), held_out).bits_per_byte(), previous);
}

TEST(NgramBuild, SmoothingMethodsAndAlphabets) {
  const std::string train = training_slice().substr(0, 20000);
  for (const Smoothing s : {Smoothing::katz, Smoothing::kneser_ney}) {
    for (const std::string alphabet : {"bytes", "ascii", "corpus"}) {
      BuildOptions o;
      o.order = 4;
      o.smoothing = s;
      o.alphabet = alphabet;
      const Model m = build(train, o);
      const Model back = read_model(MemorySource("m.bin", write_model(m)));
      const std::uint32_t expected = alphabet == "bytes" ? 256 : alphabet == "ascii" ? 96 : 0;
      if (expected != 0) {
        EXPECT_EQ(back.alphabet_size(), expected);
      }
      const Evaluation e = evaluate(back, held_out_slice().substr(0, 5000));
      EXPECT_GT(e.bits_per_byte(), 1.0);
      EXPECT_LT(e.bits_per_byte(), 4.0);
    }
  }
}

TEST(NgramBuild, OptionsNoModelCanMeet) {
  const std::vector<std::pair<BuildOptions, std::string>> cases = [] {
    std::vector<std::pair<BuildOptions, std::string>> c;
    BuildOptions o;
    o.order = 0;
    c.push_back({o, "--order 0 is outside 1..8"});
    o.order = 9;
    c.push_back({o, "--order 9 is outside 1..8"});
    o = {};
    o.rom_budget = 8 * 1024;
    c.push_back({o, "--rom-budget 8K is not a whole number of 16K banks"});
    o.rom_budget = 0;
    c.push_back({o, "--rom-budget 0K is not a whole number of 16K banks"});
    o.rom_budget = 20000;
    c.push_back({o, "--rom-budget 20000 bytes is not a whole number of 16K banks"});
    o.rom_budget = 4112ull * 1024;
    c.push_back({o, "--rom-budget 4112K is more than 256 banks (4096K)"});
    o = {};
    o.start = std::string(17, 'x');
    c.push_back({o, "--start is 17 bytes, at most 16"});
    o = {};
    o.alphabet = "emoji";
    c.push_back({o, "--alphabet: 'emoji' is not bytes, ascii or corpus"});
    return c;
  }();
  for (const auto& [options, message] : cases) {
    try {
      (void)build("some text", options);
      ADD_FAILURE() << "no error for: " << message;
    } catch (const Error& e) {
      EXPECT_EQ(std::string(e.what()), message);
    }
  }
}

TEST(NgramPrune, TheAlphabetMustFit) {
  const Counts counts = count_ngrams({"abcabc"}, parse_alphabet("bytes", {}), 2);
  const auto cost = pruning_costs(counts, smooth(counts, Smoothing::katz));
  EXPECT_EQ(kept_counts(prune(counts, cost, 2000)), (std::vector<std::uint32_t>{256, 3}));
  // Level 1: 256 four-byte records and the sentinel; each 2-gram is a two-byte leaf.
  EXPECT_EQ(kept_counts(prune(counts, cost, 1030)), (std::vector<std::uint32_t>{256, 1}));
  EXPECT_EQ(kept_counts(prune(counts, cost, 1029)), (std::vector<std::uint32_t>{256, 0}));
  try {
    (void)prune(counts, cost, 1000);
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()),
              "the smallest model (256 alphabet symbols, nothing longer) needs 1028 bytes of tables, the budget leaves 1000");
  }
}

// ---- corrupt files

std::string load_error(const std::vector<std::byte>& bytes, bool check_crc = true) {
  try {
    (void)read_model(MemorySource("bad.bin", bytes), check_crc);
    return "";
  } catch (const Error& e) {
    return e.what();
  }
}

void fix_crc(std::vector<std::byte>& bytes) {
  store_u32(bytes.data() + bytes.size() - 4, crc32(std::span(bytes).first(bytes.size() - 4)), ByteOrder::little);
}

TEST(NgramFile, TruncatedAtEveryOffset) {
  const std::vector<std::byte> bytes = write_model(hand_model());
  ASSERT_EQ(load_error(bytes), "");
  for (std::size_t length = 0; length < bytes.size(); ++length) {
    const std::string message = load_error(std::vector<std::byte>(bytes.begin(), bytes.begin() + length));
    ASSERT_TRUE(message.starts_with("bad.bin: ")) << message;
    EXPECT_NE(message.find(" at offset "), std::string::npos) << message;
  }
}

TEST(NgramFile, EveryChangedByteIsCaught) {
  const std::vector<std::byte> original = read_bytes(data_path("ngram/tiny16k.bin"));
  for (std::size_t at = 0; at < original.size(); at += 7) {
    std::vector<std::byte> bytes = original;
    bytes[at] ^= std::byte{0x5A};
    const std::string message = load_error(bytes);
    ASSERT_FALSE(message.empty()) << "offset " << at;
    EXPECT_TRUE(message.starts_with("bad.bin: ")) << message;
  }
}

TEST(NgramFile, StructureChecksNameTheField) {
  const std::vector<std::byte> good = write_model(hand_model());
  // Image layout of the hand model: level 1 records at 0 (a, b, c, sentinel), level 2 at 16.
  const std::size_t image = good.size() - 4 - 18;
  struct Case {
    std::size_t offset;
    std::uint8_t value;
    std::string message;
  };
  const std::vector<Case> cases = {
      {4, 2, "bad.bin: version at offset 4: version 2 (this reader knows 1)"},
      {6, 9, "bad.bin: order at offset 6: 9 is outside 1..8"},
      {7, 17, "bad.bin: start length at offset 7: 17 is more than 16"},
      {20, 1, "bad.bin: start at offset 20: padding after the start bytes is not zero"},
      {548, 9, "bad.bin: level 1 count at offset 548: 9 nodes do not fit the 18-byte image"},
      {image + 0 * 4 + 0, 'b', "bad.bin: level 1 node 1 at offset " + std::to_string(image + 4) +
                                   ": symbols of a context are not strictly increasing"},
      {image + 2 * 4 + 2, 0, "bad.bin: level 1 node 2 at offset " + std::to_string(image + 8) +
                                 ": first child 0 goes back from 1"},
      {image + 3 * 4 + 2, 2, "bad.bin: level 1 node 3 at offset " + std::to_string(image + 12) +
                                 ": sentinel says level 2 has 2 nodes, it has 1"},
      {image + 1, 255, "bad.bin: root context at offset " + std::to_string(image) +
                           ": children's probabilities sum to "},
      {image + 16, 'z', "bad.bin: level 2 node 0 at offset " + std::to_string(image + 16) +
                            ": this n-gram's suffix is missing from the shorter context"},
  };
  for (const Case& c : cases) {
    std::vector<std::byte> bytes = good;
    bytes[c.offset] = std::byte{c.value};
    fix_crc(bytes);
    const std::string message = load_error(bytes);
    EXPECT_TRUE(message.starts_with(c.message)) << message << "\n expected: " << c.message;
  }
  std::vector<std::byte> zero_q = good;
  zero_q[32 + 2 * 5] = zero_q[32 + 2 * 5 + 1] = std::byte{0};
  fix_crc(zero_q);
  EXPECT_EQ(load_error(zero_q), "bad.bin: qvalue 5 at offset 42: a probability of 0");
  std::vector<std::byte> bad_crc = good;
  bad_crc.back() ^= std::byte{1};
  EXPECT_EQ(load_error(bad_crc), "bad.bin: crc32 at offset " + std::to_string(good.size() - 4) +
                                     ": checksum mismatch: the file is corrupt");
  EXPECT_EQ(load_error(bad_crc, false), "");
  std::vector<std::byte> not_model = good;
  not_model[0] = std::byte{'X'};
  EXPECT_EQ(load_error(not_model), "bad.bin: magic at offset 0: not an n-gram model (expected \"SHNG\")");
}

// ---- the command line

TEST(NgramCli, BuildRunEval) {
  const std::string corpus = scratch_path("ngram-corpus.txt"), model = scratch_path("ngram-cli.bin");
  std::ofstream(corpus, std::ios::binary) << training_slice();
  CliResult r = run_cli({"ngram", "build", corpus, "--order", "4", "--rom-budget", "16K", "-o", model});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("     4         8996         1246         2492\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("tables: 12288 bytes + 4096 runtime = 16384 of a 16384-byte ROM budget"), std::string::npos);
  EXPECT_EQ(read_bytes(model), read_bytes(data_path("ngram/tiny16k.bin")));

  r = run_cli({"ngram", "run", model, "-s", "3", "-n", "150", "-i", "once upon a time"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, generate(tiny(), 3, "once upon a time", 150));

  const std::string data = scratch_path("ngram-held-out.txt");
  std::ofstream(data, std::ios::binary) << "Once Upon A Time";
  r = run_cli({"ngram", "eval", model, "--data", data, "--lowercase", "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  const double bits = evaluate(tiny(), "once upon a time").bits_per_byte();
  char expected[64];
  std::snprintf(expected, sizeof expected, "\"bits_per_byte\": %.6f, \"bytes\": 16,", bits);
  EXPECT_NE(r.out.find(expected), std::string::npos) << r.out;
}

TEST(NgramCli, Inspect) {
  const CliResult r = run_cli({"inspect", data_path("ngram/tiny16k.bin")});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("format: shoehorn n-gram model, order 4, 256 symbols, start \"\\x0A\"\n"
                       "ROM budget: 16384 bytes: 12288 of tables, 4096 for the runtime\n"
                       "  order    n-grams      bytes\n"
                       "      1        256       1028\n"
                       "      2        508       2036\n"
                       "      3       1682       6732\n"
                       "      4       1246       2492\n"),
            std::string::npos)
      << r.out;
}

TEST(NgramCli, BadInputAndUsage) {
  const std::string corrupt = scratch_path("ngram-corrupt.bin");
  std::vector<std::byte> bytes = read_bytes(data_path("ngram/tiny16k.bin"));
  bytes[1000] ^= std::byte{1};
  write_bytes(corrupt, bytes);
  CliResult r = run_cli({"ngram", "run", corrupt});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err, "shoehorn: error: " + corrupt + ": crc32 at offset " + std::to_string(bytes.size() - 4) +
                       ": checksum mismatch: the file is corrupt\n");
  r = run_cli({"ngram", "build", data_path("ngram/expected.tsv"), "--rom-budget", "100K", "-o", scratch_path("x.bin")});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err, "shoehorn: error: --rom-budget 100K is not a whole number of 16K banks\n");
  r = run_cli({"ngram", "build", data_path("ngram/expected.tsv"), "--rom-budget", "lots", "-o", scratch_path("x.bin")});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err, "shoehorn: error: size 'lots' is not a number\n");
  r = run_cli({"ngram", "run", data_path("ngram/tiny16k.bin"), "-s", "seven"});
  EXPECT_EQ(r.status, 2);
  r = run_cli({"ngram", "build", "--order", "3"});
  EXPECT_EQ(r.status, 2);
  r = run_cli({"ngram", "build", data_path("ngram/expected.tsv"), "--start", "\\q", "-o", scratch_path("x.bin")});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err, "shoehorn: error: '\\q': unknown escape \\q (use \\n \\t \\\\ \\xHH)\n");
}

}  // namespace
}  // namespace shoehorn::test
