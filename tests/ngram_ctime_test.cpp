// The byte n-gram model baked into a header (`shoehorn bake NGRAM_MODEL`): the n-gram
// reference runtime over the baked arrays writes, in constant evaluation and at run time, the
// bytes `shoehorn ngram run` prints, and allocates nothing.
//
// tiny16k.hpp is tests/data/ngram/tiny16k.bin baked at build time by the shoehorn just built;
// tiny16k_reference.hpp is what that shoehorn's `ngram run` printed for it (tests/CMakeLists.txt).
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "heap_counter.hpp"
#include "shoehorn/ctime/bake.hpp"
#include "shoehorn/io/source.hpp"
#include "shoehorn/ngram/model_file.hpp"
#include "shoehorn/ngram/runtime.hpp"
#include "test_util.hpp"
#include "tiny16k.hpp"
#include "tiny16k_reference.hpp"

namespace shoehorn::test {
namespace {

using Tiny = baked::tiny16k;
using ctime::ngram_generate;

std::string tiny_path() { return data_path("ngram/tiny16k.bin"); }

// The compiler runs the generator: 150 bytes after the prompt, in one constant evaluation.
constexpr auto kCompiled = ngram_generate<Tiny, 166>(3, "once upon a time", 150);
static_assert(kCompiled.view() == kTiny16kReference, "compile-time n-gram text differs from shoehorn ngram run");
static_assert(kCompiled.size == 166);

TEST(NgramCtime, ConstantEvaluationWritesWhatNgramRunPrinted) {
  // The static_assert above already holds; this says the same at run time, for the record.
  EXPECT_EQ(kCompiled.view(), kTiny16kReference);
  EXPECT_EQ(std::string(kTiny16kReference.substr(0, 16)), "once upon a time");
}

TEST(NgramCtime, BakedTablesAreTheModelFileTables) {
  const ngram::Model model = ngram::read_model(FileSource(tiny_path()));
  constexpr ngram::Tables<std::uint8_t> baked = ctime::ngram_tables<Tiny>();
  const ngram::Tables<std::byte> loaded = model.tables();
  EXPECT_EQ(baked.order, 4);
  EXPECT_EQ(Tiny::rom_budget, 16384u);
  EXPECT_EQ(baked.start, "\n");
  EXPECT_TRUE(std::equal(baked.qvalue.begin(), baked.qvalue.end(), loaded.qvalue.begin(), loaded.qvalue.end()));
  ASSERT_EQ(baked.image.size(), loaded.image.size());
  for (std::size_t i = 0; i < baked.image.size(); ++i) {
    ASSERT_EQ(baked.image[i], std::to_integer<std::uint8_t>(loaded.image[i])) << "image byte " << i;
  }
  for (int k = 1; k <= 4; ++k) {
    EXPECT_EQ(baked.level(k).offset, loaded.level(k).offset) << k;
    EXPECT_EQ(baked.level(k).count, loaded.level(k).count) << k;
    EXPECT_TRUE(std::ranges::equal(baked.level(k).wraps, loaded.level(k).wraps)) << k;
  }
}

// `shoehorn ngram run` in-process, against the baked runtime at run time.
TEST(NgramCtime, RunTimeTextIsNgramRunText) {
  const std::vector<std::string> prompts = {"", "once upon a time", "lily ", "\xc3\xa9t\xc3\xa9 {~}\t"};
  int cases = 0;
  for (const std::uint32_t seed : {0u, 1u, 2u, 42u, 4294967295u}) {
    for (const std::string& prompt : prompts) {
      const int n = 100 + 37 * cases % 200;
      const CliResult r = run_cli({"ngram", "run", tiny_path(), "-s", std::to_string(seed), "-n",
                                   std::to_string(n), "-i", prompt});
      ASSERT_EQ(r.status, 0) << r.err;
      const auto text = ngram_generate<Tiny, 512>(seed, prompt, n);
      EXPECT_EQ(text.view(), r.out) << "seed " << seed << ", prompt '" << prompt << "'";
      EXPECT_EQ(text.size, prompt.size() + static_cast<std::size_t>(n));
      ++cases;
    }
  }
  EXPECT_EQ(cases, 20);
}

// A long run, byte by byte, beside the run-time generator over the loaded model.
TEST(NgramCtime, LongRunIsTheLoadedModelsRun) {
  const ngram::Model model = ngram::read_model(FileSource(tiny_path()));
  ngram::Generator loaded(model, 9);
  ngram::BasicGenerator<std::uint8_t> baked(ctime::ngram_tables<Tiny>(), 9);
  for (int i = 0; i < 20000; ++i) {
    ASSERT_EQ(baked.next(), loaded.next()) << "byte " << i;
    ASSERT_EQ(baked.depth(), loaded.depth()) << "byte " << i;
  }
}

TEST(NgramCtime, AllocatesNothing) {
  const long before = heap_allocations();
  const auto text = ngram_generate<Tiny, 4096>(5, "the dog", 4000);
  ngram::BasicGenerator<std::uint8_t> generator(ctime::ngram_tables<Tiny>(), 5);
  for (int i = 0; i < 4000; ++i) generator.next();
  EXPECT_EQ(heap_allocations() - before, 0);
  EXPECT_EQ(text.size, 4007u);
}

TEST(NgramCtime, TextLongerThanTheBufferIsRefused) {
  EXPECT_THROW((ngram_generate<Tiny, 16>(1, "once upon a time", 1)), std::length_error);
  EXPECT_THROW((ngram_generate<Tiny, 16>(1, "", -1)), std::length_error);
  EXPECT_EQ((ngram_generate<Tiny, 16>(1, "once upon a time", 0).view()), "once upon a time");
}

// Wraps (first_child past 65535) need a level of 65536 nodes, too big to bake in a test: the
// baker's arrays and ngram_tables' slicing of them, on a struct written by hand.
struct HandBaked {
  static constexpr int order = 3;
  static constexpr char start[] = "a\0b";
  static constexpr std::uint16_t qvalue[256] = {};
  static constexpr std::uint32_t level_offset[3] = {0, 8, 16};
  static constexpr std::uint32_t level_count[3] = {1, 1, 1};
  static constexpr std::uint32_t wrap_begin[4] = {0, 2, 3, 3};
  static constexpr std::uint32_t wraps[3] = {5, 9, 7};
  static constexpr std::uint8_t image[18] = {};
};

TEST(NgramCtime, WrapsOfEachLevel) {
  constexpr ngram::Tables<std::uint8_t> t = ctime::ngram_tables<HandBaked>();
  EXPECT_EQ(t.start, std::string_view("a\0b", 3));
  EXPECT_EQ(std::vector<std::uint32_t>(t.level(1).wraps.begin(), t.level(1).wraps.end()),
            (std::vector<std::uint32_t>{5, 9}));
  EXPECT_EQ(std::vector<std::uint32_t>(t.level(2).wraps.begin(), t.level(2).wraps.end()),
            (std::vector<std::uint32_t>{7}));
  EXPECT_TRUE(t.level(3).wraps.empty());

  ngram::Model m;
  m.order = 3;
  m.start = std::string("a\0b", 3);
  m.levels = {{0, 1, {5, 9}}, {8, 1, {7}}, {16, 1, {}}};
  m.image.assign(18, std::byte{0x80});
  const std::string header = bake_ngram_header(m, {"hand", "hand.bin", ""});
  for (const char* line : {"static constexpr char start[] = \"a\\000b\";",
                           "static constexpr std::uint32_t level_offset[3] = {0, 8, 16};",
                           "static constexpr std::uint32_t wrap_begin[4] = {0, 2, 3, 3};",
                           "static constexpr std::uint32_t wraps[3] = {5, 9, 7};",
                           "static constexpr std::uint8_t image[18] = {128, 128,",
                           "#include \"shoehorn/ctime/ngram.hpp\"", "struct hand {"}) {
    EXPECT_NE(header.find(line), std::string::npos) << line << "\n" << header;
  }
}

TEST(NgramCtime, BakeCli) {
  const std::string out = scratch_path("tiny_cli.hpp");
  CliResult r = run_cli({"bake", tiny_path(), "-o", out, "--name", "tiny"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(read_text(out).find("struct tiny {\n  // A byte n-gram model: order 4, 256 symbols, 12288 bytes of tables.\n"),
            std::string::npos);
  // The model is read and checked as `ngram run` reads it: a corrupt one names the offset.
  std::vector<std::byte> bytes = read_bytes(tiny_path());
  bytes[600] ^= std::byte{1};
  write_bytes(scratch_path("corrupt.ngram"), bytes);
  r = run_cli({"bake", scratch_path("corrupt.ngram"), "-o", out});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("crc32"), std::string::npos) << r.err;
  // Flags of a Llama bake do not apply.
  for (const char* flag : {"-z", "--quant", "--group-size"}) {
    const std::string value = flag == std::string("--quant") ? "q8_group" : flag == std::string("-z") ? tiny_path() : "32";
    r = run_cli({"bake", tiny_path(), "-o", out, flag, value});
    EXPECT_EQ(r.status, 2) << flag;
    EXPECT_NE(r.err.find(std::string(flag) + " does not apply to an n-gram model"), std::string::npos) << r.err;
  }
}

}  // namespace
}  // namespace shoehorn::test
