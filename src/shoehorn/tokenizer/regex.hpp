// A small backtracking regular-expression matcher over code points, for exactly the syntax
// llama.cpp's pre-tokenizer expressions use: alternation, groups ((...), (?:...), (?i:...)),
// lookahead ((?=...), (?!...)), $ and ^, character classes with ranges, negation, \p{..}
// general categories (L, Lu, ..., N, P, S, M, Z, C), \s \S \d \w, escapes (\r \n \t \\ ...),
// the quantifiers ? * + {m} {m,} {m,n} (greedy), and '.'. Matching is leftmost-first with
// backtracking, as Perl, ECMAScript and ICU match. \s is White_Space. (?i:...) folds ASCII
// letters only (no listed expression uses it; llama.cpp adapts its (?i:) away).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "shoehorn/tokenizer/unicode.hpp"

namespace shoehorn {

class Regex {
 public:
  // Throws shoehorn::Error naming the expression and the position of unsupported syntax.
  explicit Regex(std::string_view expression);

  // The end of the match that starts exactly at pos in text (lookaround and anchors see only
  // text), or nothing.
  std::optional<std::size_t> match_at(std::span<const char32_t> text, std::size_t pos) const;

  const std::string& expression() const { return expression_; }

 private:
  struct Range {
    char32_t first, last;
  };
  // A set of code points: ranges, categories, White_Space, or their complement.
  struct CharSet {
    std::vector<Range> ranges;
    unicode::CategoryMask categories = 0;
    bool white_space = false;
    bool not_white_space = false;
    bool negated = false;
    bool fold_ascii_case = false;
    bool contains(char32_t cp) const;
  };
  enum class Kind : std::uint8_t { set, any, sequence, alternation, repeat, lookahead, negative_lookahead, begin, end };
  struct Node {
    Kind kind;
    std::vector<int> children;  // sequence, alternation: in order; repeat, lookaround: one
    int set = -1;               // Kind::set: index into sets_
    int min = 0, max = 0;       // Kind::repeat; max -1: unbounded
  };
  class Parser;
  struct Matcher;

  std::string expression_;
  std::vector<Node> nodes_;
  std::vector<CharSet> sets_;
  int root_ = -1;
};

}  // namespace shoehorn
