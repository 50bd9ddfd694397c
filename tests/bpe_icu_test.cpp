// ICU as an independent oracle for the BPE pre-tokenizers: ICU's regex engine runs llama.cpp's
// expressions of every pre-tokenizer type (the very strings shoehorn runs) on llama.cpp's 46
// vocabulary test texts and on random mixed-script strings, split chunk by chunk as
// llama.cpp's unicode_regex_split splits; shoehorn's matcher must give the same chunks. And
// shoehorn's generated category and White_Space tables against u_charType / u_isUWhiteSpace.
#include <gtest/gtest.h>
#include <unicode/regex.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>

#include <map>
#include <memory>
#include <random>

#include "shoehorn/tokenizer/pretokenize.hpp"
#include "shoehorn/tokenizer/unicode.hpp"
#include "test_util.hpp"

namespace shoehorn::test {
namespace {

using unicode::Category;

// ICU's UCharCategory values in shoehorn's Category order.
Category from_icu(std::int8_t c) {
  switch (c) {
    case U_UPPERCASE_LETTER: return Category::Lu;
    case U_LOWERCASE_LETTER: return Category::Ll;
    case U_TITLECASE_LETTER: return Category::Lt;
    case U_MODIFIER_LETTER: return Category::Lm;
    case U_OTHER_LETTER: return Category::Lo;
    case U_NON_SPACING_MARK: return Category::Mn;
    case U_COMBINING_SPACING_MARK: return Category::Mc;
    case U_ENCLOSING_MARK: return Category::Me;
    case U_DECIMAL_DIGIT_NUMBER: return Category::Nd;
    case U_LETTER_NUMBER: return Category::Nl;
    case U_OTHER_NUMBER: return Category::No;
    case U_CONNECTOR_PUNCTUATION: return Category::Pc;
    case U_DASH_PUNCTUATION: return Category::Pd;
    case U_START_PUNCTUATION: return Category::Ps;
    case U_END_PUNCTUATION: return Category::Pe;
    case U_INITIAL_PUNCTUATION: return Category::Pi;
    case U_FINAL_PUNCTUATION: return Category::Pf;
    case U_OTHER_PUNCTUATION: return Category::Po;
    case U_MATH_SYMBOL: return Category::Sm;
    case U_CURRENCY_SYMBOL: return Category::Sc;
    case U_MODIFIER_SYMBOL: return Category::Sk;
    case U_OTHER_SYMBOL: return Category::So;
    case U_SPACE_SEPARATOR: return Category::Zs;
    case U_LINE_SEPARATOR: return Category::Zl;
    case U_PARAGRAPH_SEPARATOR: return Category::Zp;
    case U_CONTROL_CHAR: return Category::Cc;
    case U_FORMAT_CHAR: return Category::Cf;
    case U_SURROGATE: return Category::Cs;
    case U_PRIVATE_USE_CHAR: return Category::Co;
    default: return Category::Cn;
  }
}

std::string icu_unicode_version() {
  UVersionInfo v;
  u_getUnicodeVersion(v);
  return std::to_string(v[0]) + "." + std::to_string(v[1]) + "." + std::to_string(v[2]);
}

// Every code point: the generated tables say what ICU says. Debian bookworm's unicode-data and
// ICU 72 are both Unicode 15.0, so no difference is allowed; with two versions the list of
// allowed differences would be the code points assigned or recategorized between them
// (DerivedAge.txt), and it is asserted empty here because there are none.
TEST(BpeIcu, CategoryTablesAreIcus) {
  ASSERT_EQ(std::string(unicode::tables_version()), icu_unicode_version());
  std::vector<char32_t> category_differences, white_space_differences;
  for (char32_t cp = 0; cp <= 0x10FFFF; ++cp) {
    if (unicode::category(cp) != from_icu(u_charType(static_cast<UChar32>(cp)))) category_differences.push_back(cp);
    if (unicode::is_white_space(cp) != static_cast<bool>(u_isUWhiteSpace(static_cast<UChar32>(cp)))) {
      white_space_differences.push_back(cp);
    }
  }
  EXPECT_EQ(category_differences, std::vector<char32_t>{});
  EXPECT_EQ(white_space_differences, std::vector<char32_t>{});
  // The tables are not trivially right: a few known values.
  EXPECT_EQ(unicode::category(U'A'), Category::Lu);
  EXPECT_EQ(unicode::category(0x0660), Category::Nd);  // ARABIC-INDIC DIGIT ZERO
  EXPECT_EQ(unicode::category(0x1F600), Category::So);
  EXPECT_EQ(unicode::category(0x0378), Category::Cn);
  EXPECT_EQ(unicode::category(0x4E00), Category::Lo);  // a <First> .. <Last> range
  EXPECT_TRUE(unicode::is_white_space(0x3000));
  EXPECT_FALSE(unicode::is_white_space(0x200B));
}

// The chunks (lengths in code points) ICU's matcher gives, split as unicode_regex_split splits.
std::vector<std::size_t> icu_split(const std::vector<std::string_view>& expressions,
                                   const std::vector<char32_t>& text) {
  std::vector<std::size_t> chunks;
  if (text.empty()) return chunks;
  chunks.push_back(text.size());
  static std::map<std::string_view, std::unique_ptr<icu::RegexPattern>> compiled;
  for (const std::string_view e : expressions) {
    UErrorCode status = U_ZERO_ERROR;
    std::unique_ptr<icu::RegexPattern>& pattern = compiled[e];
    if (!pattern) {
      pattern.reset(icu::RegexPattern::compile(
          icu::UnicodeString::fromUTF8(icu::StringPiece(e.data(), static_cast<std::int32_t>(e.size()))), 0, status));
    }
    EXPECT_TRUE(U_SUCCESS(status)) << e;
    if (!U_SUCCESS(status)) return {};
    std::vector<std::size_t> next;
    std::size_t start = 0;
    for (const std::size_t length : chunks) {
      icu::UnicodeString chunk;
      for (std::size_t i = start; i < start + length; ++i) chunk.append(static_cast<UChar32>(text[i]));
      std::unique_ptr<icu::RegexMatcher> m(pattern->matcher(chunk, status));
      auto code_points = [&chunk](std::int32_t utf16) {
        return static_cast<std::size_t>(chunk.countChar32(0, utf16));
      };
      std::size_t gap = 0;
      while (m->find(status) && U_SUCCESS(status)) {
        const std::size_t b = code_points(m->start(status));
        const std::size_t end = code_points(m->end(status));
        if (end == b) continue;  // as shoehorn: no listed expression matches empty
        if (b > gap) next.push_back(b - gap);
        next.push_back(end - b);
        gap = end;
      }
      if (gap < length) next.push_back(length - gap);
      start += length;
    }
    chunks = std::move(next);
  }
  return chunks;
}

std::vector<std::vector<char32_t>> oracle_texts() {
  std::vector<std::vector<char32_t>> texts;
  for (const char* name : {"ggml-vocab-gpt-2.gguf.inp", "ggml-vocab-deepseek-coder.gguf.inp"}) {
    const std::string inp = read_text(shared_path(std::string("testdata/vocab/") + name));
    const std::string sep = "\n__ggml_vocab_test__\n";
    for (std::size_t pos = 0; pos < inp.size();) {
      std::size_t next = inp.find(sep, pos);
      if (next == std::string::npos) next = inp.size();
      texts.push_back(unicode::decode_utf8(std::string_view(inp).substr(pos, next - pos)));
      pos = next + sep.size();
    }
  }
  // Random strings from pieces of many scripts: letters, marks, digits of several systems,
  // punctuation, symbols, every White_Space character, contractions, unassigned and private.
  const std::vector<std::pair<char32_t, char32_t>> ranges = {
      {0x20, 0x7E},     {0x20, 0x7E},     {0x09, 0x0D},     {0x80, 0xFF},     {0x100, 0x24F},
      {0x300, 0x36F},   {0x370, 0x3FF},   {0x400, 0x4FF},   {0x590, 0x6FF},   {0x900, 0x97F},
      {0xE00, 0xE7F},   {0x1100, 0x11FF}, {0x1680, 0x1680}, {0x2000, 0x206F}, {0x20A0, 0x20CF},
      {0x2100, 0x218F}, {0x2190, 0x23FF}, {0x3000, 0x30FF}, {0x4E00, 0x4E80}, {0xAC00, 0xAC80},
      {0xFF00, 0xFFEF}, {0xE000, 0xE010}, {0x1F300, 0x1F64F}, {0x10400, 0x1044F},
      {0x1D400, 0x1D4FF}, {0xE0000, 0xE007F}, {0x0378, 0x0379}, {0x1E900, 0x1E95F},
  };
  const std::vector<std::u32string> words = {U"'s", U"'T", U"'re", U"'LL", U"'d", U"  ", U"\r\n",
                                             U"<sentinel:12>", U"IMGIMGABZ", U"    ", U"123456"};
  std::mt19937 rng(20250203);
  for (int n = 0; n < 400; ++n) {
    std::vector<char32_t> text;
    const int length = static_cast<int>(rng() % 40);
    for (int i = 0; i < length; ++i) {
      const std::size_t pick = rng() % (ranges.size() + 4);
      if (pick >= ranges.size()) {
        const std::u32string& w = words[rng() % words.size()];
        text.insert(text.end(), w.begin(), w.end());
        continue;
      }
      const auto [lo, hi] = ranges[pick];
      text.push_back(lo + static_cast<char32_t>(rng() % (hi - lo + 1)));
    }
    texts.push_back(text);
  }
  return texts;
}

TEST(BpeIcu, EveryPretokenizerSplitsAsIcu) {
  const std::vector<std::vector<char32_t>> texts = oracle_texts();
  ASSERT_EQ(texts.size(), 46u * 2 + 400);
  int compared = 0;
  for (const std::string_view name : pretokenizer_names()) {
    const PretokenizerInfo& info = *find_pretokenizer(name);
    const Pretokenizer shoehorn(info.expressions);
    for (std::size_t i = 0; i < texts.size(); ++i) {
      ASSERT_EQ(shoehorn.split(texts[i]), icu_split(info.expressions, texts[i]))
          << "pre-tokenizer '" << name << "', text " << i;
      ++compared;
    }
  }
  EXPECT_EQ(compared, static_cast<int>(pretokenizer_names().size() * texts.size()));
}

}  // namespace
}  // namespace shoehorn::test
