// Unicode properties the pre-tokenizers ask about: general categories and White_Space.
//
// The tables (unicode_tables.cpp) are generated at build time from the Unicode Character
// Database (Debian's unicode-data) by cmake/unicode_tables.awk; nothing here is written by hand.
// Also UTF-8 to code points as llama.cpp's unicode.cpp reads them, and back.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace shoehorn::unicode {

// The general categories, in UnicodeData.txt's spelling; the generator writes these indices.
enum class Category : std::uint8_t {
  Lu, Ll, Lt, Lm, Lo, Mn, Mc, Me, Nd, Nl, No, Pc, Pd, Ps, Pe, Pi, Pf, Po,
  Sm, Sc, Sk, So, Zs, Zl, Zp, Cc, Cf, Cs, Co, Cn,
};
inline constexpr int kCategoryCount = 30;

// A set of categories, one bit per Category.
using CategoryMask = std::uint32_t;
constexpr CategoryMask mask_of(Category c) { return CategoryMask{1} << static_cast<unsigned>(c); }

// The mask of a category name: one letter (L, M, N, P, S, Z, C: every category it starts) or
// two (Lu ...); 0 for any other name.
CategoryMask category_mask(std::string_view name);

Category category(char32_t cp);  // Cn above U+10FFFF
bool is_white_space(char32_t cp);
// The Unicode version the tables were generated from ("15.0.0").
std::string_view tables_version();

// The code points of text as llama.cpp's unicode_cpts_from_utf8 decodes them: a lead byte says
// the length, continuation bytes are checked, the value is not (overlong forms and surrogates
// pass); a byte that starts no such sequence is U+FFFD. Unlike llama.cpp (which throws later),
// a 4-byte form above U+10FFFF is U+FFFD too.
std::vector<char32_t> decode_utf8(std::string_view text);
void append_utf8(std::string& out, char32_t cp);

namespace detail {
struct CategoryRange {
  std::uint32_t first;  // the range runs to the next entry's first
  std::uint8_t category;
};
struct WhiteSpaceRange {
  std::uint32_t first, last;
};
extern const CategoryRange kCategoryRanges[];
extern const std::size_t kCategoryRangeCount;
extern const WhiteSpaceRange kWhiteSpaceRanges[];
extern const std::size_t kWhiteSpaceRangeCount;
extern const char kUnicodeVersion[];  // of the tables, from PropList.txt's first line
}  // namespace detail

}  // namespace shoehorn::unicode
