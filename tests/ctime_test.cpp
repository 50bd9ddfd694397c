// The compile-time engine (ctime/) against the run-time engine: the same bits at run time
// (logits, token ids, text, for f32 and Q8 weights), the same tokens in constant evaluation,
// float math that is exact where IEEE 754 says it must be, and not one heap allocation.
//
// stories260K.hpp, stories260K_q8.hpp and llama2_vocab.hpp are baked at build time by the
// shoehorn just built (tests/CMakeLists.txt).
#include <gtest/gtest.h>

#include <array>
#include <bit>
#include <cmath>
#include <fstream>
#include <optional>
#include <sstream>

#include "heap_counter.hpp"
#include "llama2_vocab.hpp"
#include "shoehorn/format/load.hpp"
#include "shoehorn/format/tokenizer_bin.hpp"
#include "shoehorn/generate/generate.hpp"
#include "stories260K.hpp"
#include "stories260K_q8.hpp"
#include "test_util.hpp"

namespace shoehorn::test {
namespace {

using F32 = baked::stories260K;
using Q8 = baked::stories260K_q8;
using Llama2Vocab = baked::llama2_vocab;
namespace fm = float_math;

std::uint32_t bits(float v) { return std::bit_cast<std::uint32_t>(v); }

// Every stride-th float pattern, positive and negative.
template <class Check>
void for_sampled_floats(Check check, std::uint64_t stride = 4099) {
  for (std::uint64_t b = 0; b < (1ull << 32); b += stride) {
    check(std::bit_cast<float>(static_cast<std::uint32_t>(b)));
  }
}

// ---- float math ----

TEST(CtimeMath, SqrtIsCorrectlyRoundedLikeLibm) {
  long checked = 0;
  for_sampled_floats([&](float x) {
    if (!(x >= 0.0f) || std::isinf(x)) return;
    ASSERT_EQ(bits(fm::detail::sqrt(x)), bits(std::sqrt(x))) << x;
    ++checked;
  });
  EXPECT_GT(checked, 500000);
  EXPECT_EQ(bits(fm::detail::sqrt(0x1p-149f)), bits(std::sqrt(0x1p-149f)));  // subnormal
  EXPECT_EQ(bits(fm::detail::sqrt(-0.0f)), bits(-0.0f));
}

// exp is correctly rounded: it equals exp in long double (64 or more significant bits) rounded
// to float. glibc's expf is within 0.502 ulp, so the two differ by one ulp, rarely.
TEST(CtimeMath, ExpIsCorrectlyRoundedAndWithinAnUlpOfLibm) {
  long checked = 0, differs_from_libm = 0;
  for_sampled_floats([&](float x) {
    if (!(x > -104.0f && x < 88.7f)) return;
    const float mine = fm::detail::exp(x);
    ASSERT_EQ(bits(mine), bits(static_cast<float>(std::exp(static_cast<long double>(x))))) << x;
    const float libm = std::exp(x);
    if (bits(mine) != bits(libm)) {
      ++differs_from_libm;
      ASSERT_LE(std::abs(static_cast<long>(bits(mine)) - static_cast<long>(bits(libm))), 1) << x;
    }
    ++checked;
  }, 16411);  // long double exp is slow under emulation
  EXPECT_GT(checked, 100000);
  EXPECT_LT(differs_from_libm, checked / 1000);
  EXPECT_EQ(fm::detail::exp(0.0f), 1.0f);
  EXPECT_EQ(fm::detail::exp(-104.0f), 0.0f);
  EXPECT_EQ(fm::detail::exp(-103.0f), std::exp(-103.0f));  // subnormal result
}

TEST(CtimeMath, RoundHalfAwayMatchesC) {
  for_sampled_floats([&](float x) {
    ASSERT_EQ(fm::detail::round_half_away_int8(x), round_half_away_int8(x)) << x;
  });
  for (const float x : {0.5f, -0.5f, 1.5f, -1.5f, 126.5f, 127.49999f, 127.5f, -128.5f, -128.49998f,
                        0.49999997f, -0.49999997f, 1e30f, -1e30f}) {
    EXPECT_EQ(fm::detail::round_half_away_int8(x), round_half_away_int8(x)) << x;
  }
}

// The compiler's double and float arithmetic gives what the hardware gives: the same
// functions evaluated as constants and at run time.
constexpr float kMathInputs[] = {-87.5f, -20.25f, -3.0f, -1.0f, -0.0625f, 0.0f, 1e-8f,
                                 0.5f,   1.0f,    2.0f,  7.75f, 44.0f,   88.5f};
struct MathTable {
  float exp[std::size(kMathInputs)];
  float sqrt[std::size(kMathInputs)];
};
constexpr MathTable math_table() {
  MathTable t{};
  for (std::size_t i = 0; i < std::size(kMathInputs); ++i) {
    t.exp[i] = fm::exp(kMathInputs[i]);  // constant evaluation: the constexpr versions
    t.sqrt[i] = fm::sqrt(kMathInputs[i] < 0.0f ? -kMathInputs[i] : kMathInputs[i]);
  }
  return t;
}
constexpr MathTable kCompiledMath = math_table();

TEST(CtimeMath, ConstantEvaluationComputesWhatRunTimeComputes) {
  for (std::size_t i = 0; i < std::size(kMathInputs); ++i) {
    const float x = kMathInputs[i];
    EXPECT_EQ(bits(kCompiledMath.exp[i]), bits(fm::detail::exp(x))) << x;
    EXPECT_EQ(bits(kCompiledMath.sqrt[i]), bits(std::sqrt(std::fabs(x)))) << x;
  }
}

// ---- tokenizer ----

const Tokenizer& llama2_tokenizer() {
  static const Tokenizer t(read_tokenizer_bin(FileSource(shared_path("models/llama2-tok32000.bin"))));
  return t;
}

template <class M, int MaxBytes = 1024>
std::vector<int> baked_encode(std::string_view text, bool bos, bool eos) {
  const auto ids = ctime::encode<M, MaxBytes>(text, bos, eos);
  return {ids.ids, ids.ids + ids.size};
}

TEST(CtimeTokenizer, EncodesInConstantEvaluation) {
  constexpr auto hello = ctime::encode<Llama2Vocab, 16>("hello world", true, true);
  static_assert(hello.size == 4 && hello.ids[0] == 1 && hello.ids[1] == 22172 &&
                hello.ids[2] == 3186 && hello.ids[3] == 2);
  constexpr auto empty = ctime::encode<Llama2Vocab, 1>("", true, false);
  static_assert(empty.size == 1 && empty.ids[0] == 1);
  EXPECT_EQ(llama2_tokenizer().encode("hello world", true, true),
            (std::vector<int>{hello.ids, hello.ids + hello.size}));
}

TEST(CtimeTokenizer, Llama2HardCasesMatchTheRuntimeTokenizer) {
  const std::vector<HardCase> cases = llama2_hard_cases();
  for (const HardCase& c : cases) {
    EXPECT_EQ(baked_encode<Llama2Vocab>(c.text, true, true), llama2_tokenizer().encode(c.text, true, true))
        << "text: " << c.spelled;
    EXPECT_EQ(join_ids(baked_encode<Llama2Vocab>(c.text, false, false)), c.ids) << "text: " << c.spelled;
  }
  EXPECT_EQ(cases.size(), 75u);
}

// Every third line of the validation text (tokenizer_test.cpp checks all lines' digest).
TEST(CtimeTokenizer, Llama2ValidationTextMatchesTheRuntimeTokenizer) {
  std::ifstream in(shared_path("data/tinystories/valid-776K.txt"), std::ios::binary);
  ASSERT_TRUE(in);
  std::string line;
  std::uint64_t lines = 0, tokens = 0;
  while (std::getline(in, line)) {
    if (lines++ % 3 != 0) continue;
    const std::vector<int> ids = baked_encode<Llama2Vocab>(line, false, false);
    ASSERT_EQ(ids, llama2_tokenizer().encode(line, false, false)) << "line " << lines;
    tokens += ids.size();
  }
  EXPECT_EQ(lines, 8659u);
  EXPECT_GT(tokens, 60000u);
}

TEST(CtimeTokenizer, DecodesLikeTheRuntimeTokenizer) {
  const Tokenizer& t = llama2_tokenizer();
  for (int id = 0; id < Llama2Vocab::vocab_size; ++id) {
    for (const int prev : {Llama2Vocab::bos_id, 500}) {
      ASSERT_EQ(ctime::decode<Llama2Vocab>(prev, id), printable(t.decode(prev, id))) << id;
    }
  }
}

// A vocabulary with what tokenizer.bin cannot express: user-defined pieces (never merged,
// longest first) and an unused piece (merged through, then split back).
struct TinyVocab {
  static constexpr int vocab_size = 16, bos_id = 1, eos_id = 2, unk_id = 0, max_piece_bytes = 6;
  static constexpr char piece_bytes[] =
      "<unk>" "<s>" "</s>" "<0x78>" " " "a" "b" "c" " a" "ab" " ab" "bc" " abc" "[X]" "[XY]" "abc";
  static constexpr int piece_offsets[17] = {0,  5,  8,  12, 18, 19, 20, 21, 22,
                                            24, 26, 29, 31, 35, 38, 42, 45};
  static constexpr float piece_scores[16] = {0, 0, 0, 0, -1, -2, -3, -4, -5, -6, -1.5f, -7, -0.5f, 0, 0, -6};
  static constexpr std::uint8_t piece_types[16] = {2, 3, 3, 6, 1, 1, 1, 1, 1, 1, 5, 1, 1, 4, 4, 1};
  // Ids of normal, user-defined and unused pieces, by their bytes.
  static constexpr int n_lookup = 12;
  static constexpr int lookup[12] = {4, 8, 10, 12, 14, 13, 5, 9, 15, 6, 11, 7};
  static constexpr std::array<int, 256> byte_ids = [] {
    std::array<int, 256> ids{};
    ids.fill(-1);
    ids['x'] = 3;  // only 'x' has a byte piece: other bytes outside the pieces become <unk>
    return ids;
  }();
  static constexpr int n_user_defined = 2;
  static constexpr int user_defined[2] = {14, 13};  // longest first
  static constexpr bool has_unused_pieces = true;
};

constexpr bool tiny_lookup_is_sorted() {
  for (int i = 1; i < TinyVocab::n_lookup; ++i) {
    if (!(ctime::piece<TinyVocab>(TinyVocab::lookup[i - 1]) <
          ctime::piece<TinyVocab>(TinyVocab::lookup[i]))) {
      return false;
    }
  }
  return true;
}
static_assert(tiny_lookup_is_sorted());

Tokenizer tiny_runtime_tokenizer() {
  std::vector<std::string> pieces;
  std::vector<float> scores;
  std::vector<TokenType> types;
  for (int id = 0; id < TinyVocab::vocab_size; ++id) {
    pieces.emplace_back(ctime::piece<TinyVocab>(id));
    scores.push_back(TinyVocab::piece_scores[id]);
    types.push_back(static_cast<TokenType>(TinyVocab::piece_types[id]));
  }
  return Tokenizer(Vocab(pieces, scores, types, 6, 1, 2, 0));
}

TEST(CtimeTokenizer, UserDefinedAndUnusedPiecesLikeTheRuntimeTokenizer) {
  const Tokenizer runtime = tiny_runtime_tokenizer();
  // Every string of up to 6 units over an alphabet that exercises each rule.
  const std::vector<std::string> units = {" ", "a", "b", "c", "x", "y", "[X]", "[XY]", "[",
                                          "\xE2\x96\x81", "\xFF", "\xC3\xA9"};
  std::vector<std::string> texts = {""};
  int compared = 0;
  for (std::size_t length = 0; length < 5; ++length) {
    std::vector<std::string> longer;
    for (const std::string& t : texts) {
      ASSERT_EQ((baked_encode<TinyVocab, 32>(t, true, false)), runtime.encode(t, true, false))
          << "text: '" << t << "'";
      ++compared;
      for (const std::string& u : units) longer.push_back(t + u);
    }
    texts = std::move(longer);
  }
  EXPECT_EQ(compared, 1 + 12 + 144 + 1728 + 20736);
  // The unused piece " ab" is merged through, then split back into its halves.
  EXPECT_EQ(baked_encode<TinyVocab>("ab", false, false), (std::vector<int>{8, 6}));
  EXPECT_EQ(baked_encode<TinyVocab>("abc", false, false), (std::vector<int>{12}));
}

// ---- forward pass ----

const Model& model_f32() {
  static const Model m = load_model(shared_path("models/stories260K.bin"));
  return m;
}
const Model& model_q8() {  // what bake --quant q8_group baked
  static const Model m = reloaded_as(model_f32(), {Llama2cVersion::v2, ByteOrder::little, 64});
  return m;
}

// Tokens 0..positions-1 of a fixed sequence through both engines: every logit, bit for bit.
template <class M>
void expect_identical_logits(const Model& model, int positions) {
  Transformer engine(model, positions);
  static ctime::State<M, 64> state;
  for (int pos = 0; pos < positions; ++pos) {
    const int token = (pos * 37 + 1) % M::vocab_size;
    const std::span<float> expected = engine.forward(token, pos);
    ctime::forward(state, token, pos, true);
    for (int i = 0; i < M::vocab_size; ++i) {
      ASSERT_EQ(bits(state.logits[i]), bits(expected[static_cast<std::size_t>(i)]))
          << "position " << pos << " logit " << i;
    }
  }
}

TEST(CtimeForward, RunTimeLogitsAreBitIdenticalF32) { expect_identical_logits<F32>(model_f32(), 64); }
TEST(CtimeForward, RunTimeLogitsAreBitIdenticalQ8) { expect_identical_logits<Q8>(model_q8(), 64); }

// The forward pass in constant evaluation: two positions, one constant each.
template <class M>
constexpr ctime::State<M, 2> advanced(ctime::State<M, 2> s, int token, int pos) {
  ctime::forward(s, token, pos, true);
  return s;
}
constexpr ctime::State<F32, 2> kF32Position0 = advanced(ctime::State<F32, 2>{}, 1, 0);
constexpr ctime::State<F32, 2> kF32Position1 = advanced(kF32Position0, 403, 1);
constexpr ctime::State<Q8, 2> kQ8Position0 = advanced(ctime::State<Q8, 2>{}, 1, 0);

// Constant evaluation differs only in exp (correctly rounded there, libm here), so logits
// agree to a few ulp and pick the same token.
template <class M, int P>
void expect_close_logits(const ctime::State<M, P>& compiled, std::span<const float> expected) {
  long identical = 0;
  for (int i = 0; i < M::vocab_size; ++i) {
    const float e = expected[static_cast<std::size_t>(i)];
    if (bits(compiled.logits[i]) == bits(e)) ++identical;
    EXPECT_NEAR(compiled.logits[i], e, 1e-5f * std::max(1.0f, std::fabs(e))) << i;
  }
  EXPECT_EQ(choose::argmax(compiled.logits, M::vocab_size),
            choose::argmax(expected, expected.size()));
  std::printf("[ info     ] %ld of %d logits bit-identical\n", identical, M::vocab_size);
}

TEST(CtimeForward, ConstantEvaluationGivesTheEngineLogits) {
  Transformer engine(model_f32(), 2);
  expect_close_logits(kF32Position0, engine.forward(1, 0));
  expect_close_logits(kF32Position1, engine.forward(403, 1));
  Transformer q8(model_q8(), 1);
  expect_close_logits(kQ8Position0, q8.forward(1, 0));
}

// ---- generation ----

struct Case {
  const char* prompt;
  float temperature;
  float topp;
  std::uint64_t seed;
  int steps;
};
const Case kCases[] = {
    {"Once upon a time", 0.0f, 0.9f, 1, 96},
    {"Once upon a time", 1.0f, 0.9f, 42, 96},
    {"The dog", 0.8f, 1.0f, 7, 80},
    {"Lily and Ben", 1.5f, 0.95f, 99, 128},
    {"", 1.0f, 0.0f, 2024, 64},
    {"Tom said: \"\xC2\xA1Hola! \xF0\x9F\x99\x82 \xC3\xBCn\xC3\xAF\x63\xC3\xB6\x64\xC3\xA9\"", 0.0f, 0.9f, 1, 64},
    {"Once upon a time there was a very long prompt that does not fit", 1.0f, 0.9f, 5, 6},
    {"a", 0.9f, 0.5f, 18446744073709551615ull, 1},
};

std::string engine_text(const Model& model, const Case& c) {
  const Tokenizer tokenizer(read_tokenizer_bin(FileSource(shared_path("models/tok512.bin"))));
  Transformer transformer(model, c.steps);
  Sampler sampler(model.config().vocab_size, {c.temperature, c.topp, c.seed});
  std::ostringstream out;
  generate(transformer, tokenizer, sampler, c.prompt, c.steps, out);
  return out.str();
}

template <class M>
using BakedRun = ctime::Generation<M, M::seq_len, 1024>;

template <class M>
BakedRun<M>& baked_run(const Case& c) {
  static std::optional<BakedRun<M>> run;
  run.emplace(c.prompt, SamplerSettings{c.temperature, c.topp, c.seed}, c.steps);
  run->run();
  return *run;
}

TEST(CtimeGenerate, RunTimeTextIsTheEngineText) {
  for (const Case& c : kCases) {
    EXPECT_EQ(std::string(baked_run<F32>(c).text()) + "\n", engine_text(model_f32(), c))
        << c.prompt << " -t " << c.temperature << " -s " << c.seed;
    EXPECT_EQ(std::string(baked_run<Q8>(c).text()) + "\n", engine_text(model_q8(), c))
        << c.prompt << " -t " << c.temperature << " -s " << c.seed;
  }
  EXPECT_EQ(baked_run<F32>(kCases[0]).positions(), 96);
}

TEST(CtimeGenerate, RunTimeTextIsLlama2cText) {
  const Case greedy{"Lily and Ben went to the", 0.0f, 0.9f, 1, 120};
  EXPECT_EQ(std::string(baked_run<F32>(greedy).text()) + "\n",
            read_text(shared_path("testdata/llama2c-reference/greedy-lily.txt")));
}

TEST(CtimeGenerate, AllocatesNothing) {
  const Case c{"Once upon a time", 1.0f, 0.9f, 42, 128};
  baked_run<F32>({"", 1.0f, 0.9f, 1, 1});  // first use: the static optional and anything lazy
  const long before = heap_allocations();
  const BakedRun<F32>& run = baked_run<F32>(c);
  const long after = heap_allocations();
  EXPECT_EQ(after - before, 0);
  EXPECT_EQ(run.positions(), 128);
  // The counter counts: a vector allocates once.
  std::vector<int> v(3);
  EXPECT_EQ(heap_allocations() - after, 1);
}

// A seeded, sampled generation in constant evaluation: the sampler's softmax, coin and
// nucleus sort run inside the compiler.
using Sampled = ctime::Generation<F32, 4, 8>;
constexpr Sampled kSampled0{"", {1.0f, 0.9f, 42}};
constexpr Sampled kSampled1 = ctime::stepped(kSampled0);
constexpr Sampled kSampled2 = ctime::stepped(kSampled1);
constexpr Sampled kSampled3 = ctime::stepped(kSampled2);
constexpr Sampled kSampled4 = ctime::stepped(kSampled3);
static_assert(kSampled4.done() && kSampled4.sampled_tokens() == 4);

TEST(CtimeGenerate, SampledInConstantEvaluationLikeTheEngine) {
  EXPECT_EQ(std::string(kSampled4.text()) + "\n", engine_text(model_f32(), {"", 1.0f, 0.9f, 42, 4}));
  EXPECT_FALSE(kSampled4.text().empty());
}

}  // namespace
}  // namespace shoehorn::test
