// Byte-level BPE vocabularies (GGUF tokenizer.ggml.model "gpt2"): llama.cpp's 46 vocabulary
// test cases of each shared vocabulary, exact ids through the library and through
// `shoehorn tokenize`; the byte-level alphabet; special tokens; decoding; corrupt vocabularies;
// a random model that carries a BPE vocabulary.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <sstream>

#include "shoehorn/format/gguf.hpp"
#include "shoehorn/format/gguf_llama.hpp"
#include "shoehorn/format/tokenizer_bin.hpp"
#include "shoehorn/io/error.hpp"
#include "shoehorn/io/sink.hpp"
#include "shoehorn/io/source.hpp"
#include "shoehorn/tokenizer/byte_level.hpp"
#include "shoehorn/tokenizer/regex.hpp"
#include "shoehorn/tokenizer/tokenizer.hpp"
#include "shoehorn/tokenizer/unicode.hpp"
#include "test_util.hpp"

namespace shoehorn::test {
namespace {

struct VocabCase {
  std::string text;
  std::string ids;  // as .out spells them, trimmed
};

// llama.cpp's tests/test-tokenizer-0.cpp reading: the .inp text split at
// "\n__ggml_vocab_test__\n" (the file ends with one, so no case keeps a trailing separator),
// one .out line of ids per case.
std::vector<VocabCase> read_cases(const std::string& name) {
  const std::string inp = read_text(shared_path("testdata/vocab/" + name + ".inp"));
  const std::string out = read_text(shared_path("testdata/vocab/" + name + ".out"));
  const std::string sep = "\n__ggml_vocab_test__\n";
  std::vector<std::string> texts;
  for (std::size_t pos = 0; pos < inp.size();) {
    const std::size_t next = inp.find(sep, pos);
    if (next == std::string::npos) {
      texts.push_back(inp.substr(pos));
      break;
    }
    texts.push_back(inp.substr(pos, next - pos));
    pos = next + sep.size();
  }
  std::vector<std::string> lines;
  std::istringstream lines_in(out);
  for (std::string line; std::getline(lines_in, line);) {
    const std::size_t b = line.find_first_not_of(" \t\r");
    const std::size_t e = line.find_last_not_of(" \t\r");
    lines.push_back(b == std::string::npos ? "" : line.substr(b, e - b + 1));
  }
  EXPECT_EQ(texts.size(), lines.size()) << name;
  std::vector<VocabCase> cases;
  for (std::size_t i = 0; i < texts.size() && i < lines.size(); ++i) cases.push_back({texts[i], lines[i]});
  return cases;
}

Vocab read_vocab(const std::string& path) {
  std::optional<Vocab> v = gguf_vocab(read_gguf(FileSource(path)));
  if (!v) throw Error(path + ": no vocabulary");
  return std::move(*v);
}

const Tokenizer& shared_tokenizer(const std::string& name) {
  static std::map<std::string, Tokenizer> cache;
  auto it = cache.find(name);
  if (it == cache.end()) {
    it = cache.emplace(name, Tokenizer(read_vocab(shared_path("testdata/vocab/" + name)))).first;
  }
  return it->second;
}

void expect_all_cases(const std::string& name) {
  const Tokenizer& tokenizer = shared_tokenizer(name);
  const std::vector<VocabCase> cases = read_cases(name);
  ASSERT_EQ(cases.size(), 46u) << name;
  int passed = 0;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const std::string got = join_ids(tokenizer.encode(cases[i].text, false, false));
    EXPECT_EQ(got, cases[i].ids) << name << " case " << i << ": '" << cases[i].text << "'";
    passed += got == cases[i].ids;
  }
  EXPECT_EQ(passed, 46) << name;
}

TEST(BpeVocabCases, Gpt2) { expect_all_cases("ggml-vocab-gpt-2.gguf"); }
TEST(BpeVocabCases, Starcoder) { expect_all_cases("ggml-vocab-starcoder.gguf"); }
TEST(BpeVocabCases, DeepseekCoder) { expect_all_cases("ggml-vocab-deepseek-coder.gguf"); }
TEST(BpeVocabCases, Phi3SentencePiece) { expect_all_cases("ggml-vocab-phi-3.gguf"); }

// A few cases of each BPE vocabulary through `shoehorn tokenize -z`, ids and --decode.
TEST(BpeCli, TokenizePrintsTheCaseIds) {
  int checked = 0;
  for (const std::string name : {"ggml-vocab-gpt-2.gguf", "ggml-vocab-starcoder.gguf", "ggml-vocab-deepseek-coder.gguf"}) {
    const std::vector<VocabCase> cases = read_cases(name);
    const std::string path = shared_path("testdata/vocab/" + name);
    for (const std::size_t i : {1u, 20u, 45u}) {
      const CliResult r = run_cli({"tokenize", "-z", path, cases[i].text});
      ASSERT_EQ(r.status, 0) << r.err;
      EXPECT_EQ(r.out, cases[i].ids + "\n") << name << " case " << i;
      const CliResult back = run_cli({"tokenize", "-z", path, "--decode", cases[i].text});
      ASSERT_EQ(back.status, 0) << back.err;
      EXPECT_EQ(back.out, cases[i].text) << name << " case " << i;
      ++checked;
    }
  }
  EXPECT_EQ(checked, 9);
  // Standard input, and the flags: GPT-2's BOS and EOS are both <|endoftext|> (50256).
  const std::string gpt2 = shared_path("testdata/vocab/ggml-vocab-gpt-2.gguf");
  const CliResult r = run_cli({"tokenize", "-z", gpt2, "--bos", "--eos"}, "Hello world");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "50256 15496 995 50256\n");
}

TEST(BpeByteLevel, AlphabetIsGpt2s) {
  using byte_level::kByteToCodePoint;
  EXPECT_EQ(kByteToCodePoint[0x00], 0x100u);
  EXPECT_EQ(kByteToCodePoint[' '], 0x120u);
  EXPECT_EQ(kByteToCodePoint['!'], 0x21u);
  EXPECT_EQ(kByteToCodePoint[0x7F], 0x121u);
  EXPECT_EQ(kByteToCodePoint[0xA0], 0x142u);
  EXPECT_EQ(kByteToCodePoint[0xAD], 0x143u);
  EXPECT_EQ(kByteToCodePoint[0xFF], 0xFFu);
  std::set<char32_t> seen;
  for (int b = 0; b < 256; ++b) {
    seen.insert(kByteToCodePoint[static_cast<std::size_t>(b)]);
    EXPECT_EQ(byte_level::byte_of(kByteToCodePoint[static_cast<std::size_t>(b)]), b);
  }
  EXPECT_EQ(seen.size(), 256u);
  EXPECT_EQ(byte_level::byte_of(0x144), -1);
  EXPECT_EQ(byte_level_decode("\xC4\xA0hi\xC4\x8A"), " hi\n");  // "Ġhi" + "Ċ"
  EXPECT_EQ(byte_level_decode("\xC5\x84"), "[UNK_BYTE_0xc584\xC5\x84]");  // U+0144: llama.cpp's marker
}

// Every case decodes back to its text, byte for byte (the vocabularies are lossless).
TEST(BpeDecode, CasesRoundTrip) {
  for (const std::string name : {"ggml-vocab-gpt-2.gguf", "ggml-vocab-starcoder.gguf", "ggml-vocab-deepseek-coder.gguf"}) {
    const Tokenizer& t = shared_tokenizer(name);
    ASSERT_TRUE(t.byte_level());
    int round_trips = 0;
    for (const VocabCase& c : read_cases(name)) {
      std::string text;
      const std::vector<int> ids = t.encode(c.text, false, false);
      for (std::size_t i = 0; i < ids.size(); ++i) text += t.decode(i ? ids[i - 1] : -1, ids[i]);
      EXPECT_EQ(text, c.text) << name;
      round_trips += text == c.text;
    }
    EXPECT_EQ(round_trips, 46) << name;
  }
  // Malformed UTF-8 is U+FFFD (as llama.cpp's unicode_cpts_from_utf8) before byte encoding.
  const Tokenizer& gpt2 = shared_tokenizer("ggml-vocab-gpt-2.gguf");
  EXPECT_EQ(join_ids(gpt2.encode("a\xFF" "b", false, false)), join_ids(gpt2.encode("a\xEF\xBF\xBD" "b", false, false)));
}

TEST(BpeSpecial, ControlTokensParseOnlyWhenAsked) {
  const Tokenizer& t = shared_tokenizer("ggml-vocab-starcoder.gguf");
  const Vocab& v = t.vocab();
  ASSERT_EQ(v.piece(0), "<|endoftext|>");
  ASSERT_EQ(v.type(0), TokenType::control);
  const std::vector<int> plain = t.encode("a<|endoftext|>b", false, false);
  EXPECT_EQ(std::count(plain.begin(), plain.end(), 0), 0);
  EXPECT_GT(plain.size(), 3u);
  const std::vector<int> special = t.encode_with_specials("a<|endoftext|>b", false, false);
  const std::vector<int> a = t.encode("a", false, false), b = t.encode("b", false, false);
  std::vector<int> expected = a;
  expected.push_back(0);
  expected.insert(expected.end(), b.begin(), b.end());
  EXPECT_EQ(special, expected);
}

// A small hand-made vocabulary: the 256 byte-level characters, two merges, a user-defined and
// a control token.
Vocab tiny_bpe(std::vector<std::string> merges = {"a b", "ab c"}, std::string pre = "gpt-2") {
  std::vector<std::string> pieces;
  for (const char32_t cp : byte_level::kByteToCodePoint) {
    std::string s;
    unicode::append_utf8(s, cp);
    pieces.push_back(s);
  }
  pieces.push_back("ab");          // 256
  pieces.push_back("abc");         // 257
  pieces.push_back("<tool>");      // 258 user-defined
  pieces.push_back("<|end|>");     // 259 control
  pieces.push_back("aa");          // 260
  std::vector<TokenType> types(pieces.size(), TokenType::normal);
  types[258] = TokenType::user_defined;
  types[259] = TokenType::control;
  std::vector<float> scores(pieces.size(), 0.0f);
  Vocab v(std::move(pieces), std::move(scores), std::move(types), 7, 259, 259, -1);
  BpeSettings settings;
  settings.merges = std::move(merges);
  settings.pre = std::move(pre);
  v.set_bpe(std::move(settings));
  return v;
}

TEST(BpeSpecial, UserDefinedTokensAreAlwaysCutOut) {
  const Tokenizer t(tiny_bpe());
  // "abc" merges a+b (rank 0), then ab+c (rank 1); "<tool>" is its own token even as plain
  // text; "<|end|>" is not, unless specials are parsed.
  EXPECT_EQ(join_ids(t.encode("abc<tool>ab", false, false)), "257 258 256");
  EXPECT_EQ(join_ids(t.encode("<|end|>", false, false)), "60 124 101 110 100 124 62");
  EXPECT_EQ(join_ids(t.encode_with_specials("x<|end|>", true, true)), "259 120 259 259");
  EXPECT_EQ(t.decode(-1, 258), "<tool>");
  EXPECT_EQ(t.decode(-1, 259), "");
  EXPECT_EQ(t.decode(-1, 257), "abc");
  EXPECT_EQ(t.decode(-1, 32), " ");  // Ġ
}

TEST(BpeMerges, LowestRankFirstThenLeftmost) {
  // "b c" outranks "a b": "abc" is a + bc, and bc is no token: its single bytes' tokens.
  const Tokenizer t(tiny_bpe({"b c", "a b", "ab c"}));
  EXPECT_EQ(join_ids(t.encode("abc", false, false)), "97 98 99");
  // Of two pairs of the same merge, the leftmost merges first: "aaa" is aa + a.
  const Tokenizer t2(tiny_bpe({"a a"}));
  EXPECT_EQ(join_ids(t2.encode("aaa", false, false)), "260 97");
  EXPECT_EQ(join_ids(t2.encode("aaaa", false, false)), "260 260");
}

std::string write_temp_gguf(const std::string& name, const std::vector<GgufKeyValue>& metadata) {
  const std::string path = scratch_path("bpe-" + name);
  FileSink sink(path);
  GgufWriter(sink, ByteOrder::little, metadata, {}).finish();
  sink.close();
  return path;
}

std::vector<GgufKeyValue> tiny_metadata(std::vector<std::string> merges, std::string pre,
                                        std::size_t types_count = 4) {
  std::vector<GgufKeyValue> m;
  m.push_back(make_entry("general.architecture", std::string("llama")));
  m.push_back(make_entry("tokenizer.ggml.model", std::string("gpt2")));
  m.push_back(make_entry("tokenizer.ggml.pre", std::move(pre)));
  m.push_back(make_entry("tokenizer.ggml.tokens", make_array(std::vector<std::string>{"a", "b", "ab", "c"})));
  m.push_back(make_entry("tokenizer.ggml.token_type", make_array(std::vector<std::int32_t>(types_count, 1))));
  m.push_back(make_entry("tokenizer.ggml.merges", make_array(std::move(merges))));
  return m;
}

std::string vocab_error(const std::string& path) {
  try {
    read_vocab(path);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(BpeCorrupt, OneLineLocatedErrors) {
  const std::string ok = write_temp_gguf("ok.gguf", tiny_metadata({"a b"}, "gpt-2"));
  EXPECT_EQ(vocab_error(ok), "");
  const Vocab v = read_vocab(ok);
  ASSERT_NE(v.bpe(), nullptr);
  EXPECT_EQ(v.bos_id(), -1);  // llama.cpp's default 11 is past the 4 tokens
  EXPECT_FALSE(v.bpe()->add_bos);
  EXPECT_FALSE(Tokenizer(v).adds_bos());
  // The flags from the metadata; llama-bpe's default add_bos is true.
  std::vector<GgufKeyValue> flags = tiny_metadata({"a b"}, "llama-bpe");
  const Vocab llama3 = read_vocab(write_temp_gguf("llama3.gguf", flags));
  EXPECT_TRUE(llama3.bpe()->add_bos);
  EXPECT_FALSE(llama3.bpe()->add_eos);
  flags.push_back(make_entry("tokenizer.ggml.add_bos_token", false));
  flags.push_back(make_entry("tokenizer.ggml.add_eos_token", true));
  flags.push_back(make_entry("tokenizer.ggml.bos_token_id", std::uint32_t{2}));
  const Vocab flagged = read_vocab(write_temp_gguf("flags.gguf", flags));
  EXPECT_FALSE(flagged.bpe()->add_bos);
  EXPECT_TRUE(flagged.bpe()->add_eos);
  EXPECT_EQ(flagged.bos_id(), 2);
  EXPECT_EQ(join_ids(Tokenizer(flagged).encode("abc", true, false)), "2 2 3");
  struct Bad {
    std::string file;
    std::vector<GgufKeyValue> metadata;
    std::string says;
  };
  const std::vector<Bad> bad = {
      {"unknown-part.gguf", tiny_metadata({"a b", "ab d"}, "gpt-2"), "merge 1 'ab d' names 'd', which is no token"},
      {"no-space.gguf", tiny_metadata({"ab"}, "gpt-2"), "merge 0 'ab' has no space"},
      {"lying-count.gguf", tiny_metadata({"a b"}, "gpt-2", 3), "holds 3 values for 4 tokens"},
      {"unknown-pre.gguf", tiny_metadata({"a b"}, "gpt-5"), "pre-tokenizer 'gpt-5' is not one llama.cpp knows"},
  };
  for (const Bad& b : bad) {
    const std::string path = write_temp_gguf(b.file, b.metadata);
    const std::string message = vocab_error(path);
    expect_located(message, path);
    EXPECT_NE(message.find(b.says), std::string::npos) << message;
  }
  std::vector<GgufKeyValue> no_merges = tiny_metadata({}, "gpt-2");
  no_merges.pop_back();
  const std::string path = write_temp_gguf("no-merges.gguf", no_merges);
  const std::string message = vocab_error(path);
  expect_located(message, path);
  EXPECT_NE(message.find("no key 'tokenizer.ggml.merges'"), std::string::npos) << message;
}

TEST(BpeGguf, VocabularyRoundTripsThroughGguf) {
  const Vocab& starcoder = shared_tokenizer("ggml-vocab-starcoder.gguf").vocab();
  VectorSink sink;
  write_vocab_gguf(sink, starcoder);
  const std::vector<std::byte> bytes = std::move(sink.bytes());
  const Vocab back = *gguf_vocab(read_gguf(MemorySource("written.gguf", bytes)));
  ASSERT_NE(back.bpe(), nullptr);
  ASSERT_EQ(back.size(), starcoder.size());
  for (int id = 0; id < back.size(); ++id) {
    ASSERT_EQ(back.piece(id), starcoder.piece(id));
    ASSERT_EQ(back.type(id), starcoder.type(id));
  }
  EXPECT_EQ(back.bpe()->merges, starcoder.bpe()->merges);
  EXPECT_EQ(back.bpe()->merges.size(), 48872u);
  EXPECT_EQ(back.bpe()->pre, "starcoder");
  EXPECT_EQ(back.bpe()->add_bos, starcoder.bpe()->add_bos);
  EXPECT_EQ(back.bpe()->has_scores, starcoder.bpe()->has_scores);
  EXPECT_EQ(back.bos_id(), starcoder.bos_id());
  EXPECT_EQ(back.eos_id(), starcoder.eos_id());
}

// `init -z` writes the whole BPE vocabulary into the random model: a SmolLM2-shaped model
// (cut down to run fast) with the starcoder vocabulary tokenizes and runs.
TEST(BpeGguf, RandomSmolLm2ModelCarriesTheVocabulary) {
  const std::string vocab = shared_path("testdata/vocab/ggml-vocab-starcoder.gguf");
  const std::string model = scratch_path("bpe-smol.gguf");
  CliResult r = run_cli({"init", "--shape", "smollm2-135m", "--dim", "64", "--hidden-dim", "128",
                         "--layers", "2", "--heads", "4", "--kv-heads", "2", "--seq-len", "64",
                         "-o", model, "-z", vocab});
  ASSERT_EQ(r.status, 0) << r.err;
  const Vocab written = read_vocab(model);
  const Vocab& original = shared_tokenizer("ggml-vocab-starcoder.gguf").vocab();
  ASSERT_NE(written.bpe(), nullptr);
  EXPECT_EQ(written.size(), 49152);
  EXPECT_EQ(written.bpe()->merges, original.bpe()->merges);
  EXPECT_EQ(written.bpe()->pre, "starcoder");
  const std::vector<VocabCase> cases = read_cases("ggml-vocab-starcoder.gguf");
  r = run_cli({"tokenize", "-z", model, cases[20].text});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, cases[20].ids + "\n");
  r = run_cli({"run", model, "-n", "8", "-s", "1", "-t", "0", "--threads", "1", "-i", "def main():"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(r.out.starts_with("def main():")) << r.out;
  // The vocabulary's add_bos_token is false: the prompt's three tokens (610 2594 2284) start at
  // position 0, so two steps show all of it (with a BOS first they would show "def main(").
  ASSERT_FALSE(written.bpe()->add_bos);
  r = run_cli({"run", model, "-n", "2", "-t", "0", "--threads", "1", "-i", "def main():"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "def main():\n");
}

std::optional<std::size_t> match(const std::string& expression, const std::u32string& text, std::size_t pos = 0) {
  return Regex(expression).match_at(std::span<const char32_t>(text.data(), text.size()), pos);
}

std::string regex_error(const std::string& expression) {
  try {
    Regex r(expression);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(BpeRegex, TheSyntaxTheExpressionsUse) {
  EXPECT_EQ(match("(?i:'s|'t)", U"'S"), 2u);
  EXPECT_EQ(match("(?:'s|'t)", U"'S"), std::nullopt);
  EXPECT_EQ(match("a{2,3}", U"aaaa"), 3u);
  EXPECT_EQ(match("a{2}", U"a"), std::nullopt);
  EXPECT_EQ(match("\\s+(?!\\S)", U"  x"), 1u);   // backtracks off the space before x
  EXPECT_EQ(match("\\s+(?!\\S)", U"   "), 3u);   // the end of the chunk is no \S
  EXPECT_EQ(match("\\s+$", U"a  ", 1), 3u);
  EXPECT_EQ(match("\\s+$", U"a  b", 1), std::nullopt);
  EXPECT_EQ(match("[^\\r\\n\\p{L}\\p{N}]?\\p{L}+", U"\u00BFQu\u00E9"), 4u);
  EXPECT_EQ(match("\\p{Lu}+", U"AB\u00C9c"), 3u);
  EXPECT_EQ(match("((?=[\\p{L}])([^a-z]))+", U"ABc"), 2u);
  EXPECT_EQ(match("[\\p{P}\\$\\+<=>\\^~\\|`]+", U"$+^|`!a"), 6u);
  EXPECT_EQ(match("[\u4E00-\u9FA5]+", U"\u4E00\u4E8Cx"), 2u);
  // Syntax outside the subset is refused by name, never misread.
  EXPECT_NE(regex_error("a??").find("lazy"), std::string::npos);
  EXPECT_NE(regex_error("[ab").find("expected ']'"), std::string::npos);
  EXPECT_NE(regex_error("\\w").find("unsupported escape"), std::string::npos);
  EXPECT_NE(regex_error("\\p{Greek}").find("unsupported property 'Greek'"), std::string::npos);
  EXPECT_NE(regex_error("(?<x>a)").find("unsupported group"), std::string::npos);
  EXPECT_NE(regex_error("a)").find("unbalanced ')'"), std::string::npos);
  EXPECT_EQ(regex_error("'s|'t| ?\\p{L}+"), "");
}

// A model whose vocabulary is smaller than the BPE vocabulary keeps the merges of the tokens
// it keeps, so that the file reads back.
TEST(BpeGguf, CutVocabularyKeepsItsMerges) {
  const std::string vocab = shared_path("testdata/vocab/ggml-vocab-starcoder.gguf");
  const std::string model = scratch_path("bpe-smol-cut.gguf");
  const CliResult r = run_cli({"init", "--shape", "smollm2-135m", "--dim", "64", "--hidden-dim", "128",
                               "--layers", "1", "--heads", "4", "--kv-heads", "2", "--seq-len", "64",
                               "--vocab", "1000", "-o", model, "-z", vocab});
  ASSERT_EQ(r.status, 0) << r.err;
  const Vocab written = read_vocab(model);
  const Vocab& original = shared_tokenizer("ggml-vocab-starcoder.gguf").vocab();
  ASSERT_EQ(written.size(), 1000);
  std::set<std::string> kept;
  for (int id = 0; id < 1000; ++id) kept.insert(original.piece(id));
  std::vector<std::string> expected;
  for (const std::string& m : original.bpe()->merges) {
    const std::size_t space = m.find(' ', 1);
    if (kept.count(m.substr(0, space)) && kept.count(m.substr(space + 1))) expected.push_back(m);
  }
  EXPECT_EQ(written.bpe()->merges, expected);
  EXPECT_LT(expected.size(), original.bpe()->merges.size());
  EXPECT_GT(expected.size(), 500u);
}

}  // namespace
}  // namespace shoehorn::test
