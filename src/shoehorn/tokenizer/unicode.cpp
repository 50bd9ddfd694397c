#include "shoehorn/tokenizer/unicode.hpp"

#include <algorithm>
#include <array>

namespace shoehorn::unicode {

namespace {
constexpr std::array<std::string_view, kCategoryCount> kNames = {
    "Lu", "Ll", "Lt", "Lm", "Lo", "Mn", "Mc", "Me", "Nd", "Nl", "No", "Pc", "Pd", "Ps", "Pe",
    "Pi", "Pf", "Po", "Sm", "Sc", "Sk", "So", "Zs", "Zl", "Zp", "Cc", "Cf", "Cs", "Co", "Cn",
};
}  // namespace

CategoryMask category_mask(std::string_view name) {
  if (name.size() != 1 && name.size() != 2) return 0;
  CategoryMask mask = 0;
  for (int i = 0; i < kCategoryCount; ++i) {
    const std::string_view n = kNames[static_cast<std::size_t>(i)];
    if (n.substr(0, name.size()) == name) mask |= mask_of(static_cast<Category>(i));
  }
  return mask;
}

Category category(char32_t cp) {
  const detail::CategoryRange* begin = detail::kCategoryRanges;
  const detail::CategoryRange* end = begin + detail::kCategoryRangeCount;
  if (cp > 0x10FFFF) return Category::Cn;
  // The last range whose first is <= cp (the first range starts at 0).
  const auto* it = std::upper_bound(begin, end, static_cast<std::uint32_t>(cp),
                                    [](std::uint32_t v, const detail::CategoryRange& r) { return v < r.first; });
  return static_cast<Category>((it - 1)->category);
}

std::string_view tables_version() { return detail::kUnicodeVersion; }

bool is_white_space(char32_t cp) {
  for (std::size_t i = 0; i < detail::kWhiteSpaceRangeCount; ++i) {
    const detail::WhiteSpaceRange& r = detail::kWhiteSpaceRanges[i];
    if (cp >= r.first && cp <= r.last) return true;
  }
  return false;
}

std::vector<char32_t> decode_utf8(std::string_view text) {
  std::vector<char32_t> out;
  out.reserve(text.size());
  std::size_t pos = 0;
  while (pos < text.size()) {
    const auto b0 = static_cast<unsigned char>(text[pos]);
    std::size_t len = 0;
    char32_t value = 0;
    if (b0 < 0x80) {
      len = 1, value = b0;
    } else if ((b0 & 0xE0) == 0xC0) {
      len = 2, value = b0 & 0x1F;
    } else if ((b0 & 0xF0) == 0xE0) {
      len = 3, value = b0 & 0x0F;
    } else if ((b0 & 0xF8) == 0xF0) {
      len = 4, value = b0 & 0x07;
    }
    bool ok = len > 0 && pos + len <= text.size();
    for (std::size_t i = 1; ok && i < len; ++i) {
      const auto b = static_cast<unsigned char>(text[pos + i]);
      ok = (b & 0xC0) == 0x80;
      value = (value << 6) | (b & 0x3F);
    }
    if (!ok || value > 0x10FFFF) {
      out.push_back(0xFFFD);
      ++pos;
      continue;
    }
    out.push_back(value);
    pos += len;
  }
  return out;
}

void append_utf8(std::string& out, char32_t cp) {
  const auto put = [&out](std::uint32_t byte) { out += static_cast<char>(static_cast<unsigned char>(byte)); };
  if (cp < 0x80) {
    put(cp);
  } else if (cp < 0x800) {
    put(0xC0 | (cp >> 6));
    put(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    put(0xE0 | (cp >> 12));
    put(0x80 | ((cp >> 6) & 0x3F));
    put(0x80 | (cp & 0x3F));
  } else {
    put(0xF0 | (cp >> 18));
    put(0x80 | ((cp >> 12) & 0x3F));
    put(0x80 | ((cp >> 6) & 0x3F));
    put(0x80 | (cp & 0x3F));
  }
}

}  // namespace shoehorn::unicode
