#include "shoehorn/tokenizer/regex.hpp"

#include "shoehorn/io/error.hpp"

namespace shoehorn {

namespace {

constexpr char32_t kMaxCodePoint = 0x10FFFF;

char32_t ascii_lower(char32_t c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }
char32_t ascii_upper(char32_t c) { return c >= 'a' && c <= 'z' ? c - 32 : c; }

// A continuation: what the rest of the expression does from a position. A pointer to a
// callable and a function that calls it, so that the matcher allocates nothing.
struct Continuation {
  const void* callable;
  bool (*call)(const void*, std::size_t);
  bool operator()(std::size_t pos) const { return call(callable, pos); }
};

template <class F>
Continuation continuation(const F& f) {
  return {&f, [](const void* c, std::size_t pos) { return (*static_cast<const F*>(c))(pos); }};
}

// Deep enough for any word of text under the listed expressions (their repeats of single
// characters do not recurse), shallow enough for the smallest stacks shoehorn runs on.
constexpr int kMaxDepth = 20000;

}  // namespace

bool Regex::CharSet::contains(char32_t cp) const {
  auto in = [this](char32_t c) {
    for (const Range& r : ranges) {
      if (c >= r.first && c <= r.last) return true;
    }
    if (categories != 0 && (categories & unicode::mask_of(unicode::category(c))) != 0) return true;
    if (white_space && unicode::is_white_space(c)) return true;
    if (not_white_space && !unicode::is_white_space(c)) return true;
    return false;
  };
  bool found = in(cp);
  if (!found && fold_ascii_case && ascii_lower(cp) != ascii_upper(cp)) {
    found = in(ascii_lower(cp)) || in(ascii_upper(cp));
  }
  return found != negated;
}

class Regex::Parser {
 public:
  Parser(Regex& re, std::string_view expression)
      : re_(re), text_(unicode::decode_utf8(expression)) {}

  int parse() {
    const int root = alternation();
    if (pos_ < text_.size()) fail("unbalanced ')'");
    return root;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw Error("pre-tokenizer expression '" + re_.expression_ + "': " + what + " at character " +
                std::to_string(pos_));
  }
  bool at_end() const { return pos_ >= text_.size(); }
  char32_t peek(std::size_t ahead = 0) const {
    return pos_ + ahead < text_.size() ? text_[pos_ + ahead] : char32_t{0xFFFFFFFF};
  }
  bool eat(char32_t c) {
    if (peek() != c) return false;
    ++pos_;
    return true;
  }

  int add(Node node) {
    re_.nodes_.push_back(std::move(node));
    return static_cast<int>(re_.nodes_.size()) - 1;
  }
  int add_set(CharSet set) {
    set.fold_ascii_case = fold_case_;
    re_.sets_.push_back(std::move(set));
    Node n{Kind::set, {}, static_cast<int>(re_.sets_.size()) - 1};
    return add(std::move(n));
  }

  int alternation() {
    Node alt{Kind::alternation, {}};
    alt.children.push_back(sequence());
    while (eat('|')) alt.children.push_back(sequence());
    if (alt.children.size() == 1) return alt.children[0];
    return add(std::move(alt));
  }

  int sequence() {
    Node seq{Kind::sequence, {}};
    while (!at_end() && peek() != '|' && peek() != ')') seq.children.push_back(quantified(atom()));
    return add(std::move(seq));
  }

  int number() {
    if (!(peek() >= '0' && peek() <= '9')) fail("expected a number");
    int v = 0;
    while (peek() >= '0' && peek() <= '9') {
      v = v * 10 + static_cast<int>(text_[pos_++] - '0');
      if (v > 1000) fail("repeat count too large");
    }
    return v;
  }

  int quantified(int atom) {
    int min = 1, max = 1;
    if (eat('?')) {
      min = 0, max = 1;
    } else if (eat('*')) {
      min = 0, max = -1;
    } else if (eat('+')) {
      min = 1, max = -1;
    } else if (peek() == '{' && peek(1) >= '0' && peek(1) <= '9') {
      ++pos_;
      min = max = number();
      if (eat(',')) max = peek() == '}' ? -1 : number();
      if (!eat('}')) fail("expected '}'");
      if (max >= 0 && max < min) fail("{m,n} with n < m");
    } else {
      return atom;
    }
    if (peek() == '?' || peek() == '+') fail("lazy and possessive quantifiers are not supported");
    if (peek() == '*' || peek() == '{') fail("a quantifier after a quantifier");
    Node rep{Kind::repeat, {atom}};
    rep.min = min;
    rep.max = max;
    return add(std::move(rep));
  }

  int group() {
    const bool saved_fold = fold_case_;
    Kind kind = Kind::sequence;
    if (eat('?')) {
      if (eat(':')) {
      } else if (eat('i')) {
        if (!eat(':')) fail("only (?i:...) of the inline flags is supported");
        fold_case_ = true;
      } else if (eat('=')) {
        kind = Kind::lookahead;
      } else if (eat('!')) {
        kind = Kind::negative_lookahead;
      } else {
        fail("unsupported group");
      }
    }
    const int inner = alternation();
    if (!eat(')')) fail("expected ')'");
    fold_case_ = saved_fold;
    if (kind == Kind::sequence) return inner;
    return add(Node{kind, {inner}});
  }

  // \p{..} or \P{..} after the backslash and the letter.
  unicode::CategoryMask property() {
    if (!eat('{')) fail("expected '{' after \\p");
    std::string name;
    while (!at_end() && peek() != '}') name += static_cast<char>(text_[pos_++] & 0x7F);
    if (!eat('}')) fail("expected '}'");
    const unicode::CategoryMask mask = unicode::category_mask(name);
    if (mask == 0) fail("unsupported property '" + name + "'");
    return mask;
  }

  // The code point of a literal escape (\n, \\, \[ ...), after the backslash; -1 if c is not one.
  static long literal_escape(char32_t c) {
    switch (c) {
      case 'n': return '\n';
      case 'r': return '\r';
      case 't': return '\t';
      case 'f': return '\f';
      case 'v': return '\v';
      case '0': return 0;
      default: break;
    }
    const bool ascii_punctuation = c < 0x80 && !(c >= '0' && c <= '9') &&
                                   !(c >= 'A' && c <= 'Z') && !(c >= 'a' && c <= 'z') && c > ' ';
    return ascii_punctuation ? static_cast<long>(c) : -1;
  }

  // A class escape (\p, \P, \s, \S, \d, \D) after the backslash, added to set; false if c is
  // none of them.
  bool class_escape(char32_t c, CharSet& set) {
    switch (c) {
      case 'p': ++pos_; set.categories |= property(); return true;
      case 's': ++pos_; set.white_space = true; return true;
      case 'S': ++pos_; set.not_white_space = true; return true;
      case 'd': ++pos_; set.categories |= unicode::mask_of(unicode::Category::Nd); return true;
      default: return false;
    }
  }

  int escape() {
    const char32_t c = peek();
    CharSet set;
    if (c == 'P' || c == 'D') {
      ++pos_;
      set.categories = c == 'P' ? property() : unicode::mask_of(unicode::Category::Nd);
      set.negated = true;
      return add_set(std::move(set));
    }
    if (class_escape(c, set)) return add_set(std::move(set));
    const long lit = literal_escape(c);
    if (lit < 0) fail("unsupported escape");
    ++pos_;
    set.ranges.push_back({static_cast<char32_t>(lit), static_cast<char32_t>(lit)});
    return add_set(std::move(set));
  }

  // One member of a class that can bound a range: a literal or an escaped literal.
  long class_literal() {
    if (peek() == '\\') {
      const long lit = literal_escape(peek(1));
      if (lit < 0) return -1;
      pos_ += 2;
      return lit;
    }
    return static_cast<long>(text_[pos_++]);
  }

  int char_class() {
    CharSet set;
    set.negated = eat('^');
    bool first = true;
    while (!at_end() && (peek() != ']' || first)) {
      first = false;
      if (peek() == '[') fail("nested classes are not supported");
      if (peek() == '\\') {
        ++pos_;
        if (class_escape(peek(), set)) continue;
        --pos_;
      }
      const long lo = class_literal();
      if (lo < 0) fail("unsupported escape in a class");
      long hi = lo;
      if (peek() == '-' && peek(1) != ']' && pos_ + 1 < text_.size()) {
        ++pos_;
        hi = class_literal();
        if (hi < 0) fail("unsupported range end");
        if (hi < lo) fail("a range that runs backwards");
      }
      set.ranges.push_back({static_cast<char32_t>(lo), static_cast<char32_t>(hi)});
    }
    if (!eat(']')) fail("expected ']'");
    return add_set(std::move(set));
  }

  int atom() {
    const char32_t c = text_[pos_++];
    switch (c) {
      case '(': return group();
      case '[': return char_class();
      case '\\':
        if (at_end()) fail("a trailing backslash");
        return escape();
      case '.': return add(Node{Kind::any, {}});
      case '^': return add(Node{Kind::begin, {}});
      case '$': return add(Node{Kind::end, {}});
      case '?': case '*': case '+': --pos_; fail("a quantifier with nothing to repeat");
      case ')': --pos_; fail("unbalanced ')'");
      default: {
        if (c > kMaxCodePoint) fail("not a code point");
        CharSet set;
        set.ranges.push_back({c, c});
        return add_set(std::move(set));
      }
    }
  }

  Regex& re_;
  std::vector<char32_t> text_;
  std::size_t pos_ = 0;
  bool fold_case_ = false;
};

Regex::Regex(std::string_view expression) : expression_(expression) {
  if (expression.empty()) throw Error("pre-tokenizer expression is empty");
  Parser parser(*this, expression);
  root_ = parser.parse();
}

struct Regex::Matcher {
  const Regex& re;
  std::span<const char32_t> text;
  int depth = 0;

  bool one(const Node& n, std::size_t pos) const {
    if (pos >= text.size()) return false;
    if (n.kind == Kind::any) return text[pos] != '\n';
    return re.sets_[static_cast<std::size_t>(n.set)].contains(text[pos]);
  }

  bool match(int index, std::size_t pos, Continuation k) {
    if (++depth > kMaxDepth) throw Error("pre-tokenizer expression '" + re.expression_ + "' recursed too deep on this text");
    const bool found = match_node(re.nodes_[static_cast<std::size_t>(index)], pos, k);
    --depth;
    return found;
  }

  bool match_node(const Node& n, std::size_t pos, Continuation k) {
    switch (n.kind) {
      case Kind::set:
      case Kind::any: return one(n, pos) && k(pos + 1);
      case Kind::begin: return pos == 0 && k(pos);
      case Kind::end: return pos == text.size() && k(pos);
      case Kind::sequence: return sequence(n, 0, pos, k);
      case Kind::alternation:
        for (const int child : n.children) {
          if (match(child, pos, k)) return true;
        }
        return false;
      case Kind::lookahead:
      case Kind::negative_lookahead: {
        const auto accept = [](std::size_t) { return true; };
        const bool inner = match(n.children[0], pos, continuation(accept));
        return inner == (n.kind == Kind::lookahead) && k(pos);
      }
      case Kind::repeat: return repeat(n, 0, pos, k);
    }
    return false;
  }

  bool sequence(const Node& n, std::size_t i, std::size_t pos, Continuation k) {
    if (i == n.children.size()) return k(pos);
    const auto rest = [&](std::size_t p) { return sequence(n, i + 1, p, k); };
    return match(n.children[i], pos, continuation(rest));
  }

  bool repeat(const Node& n, int count, std::size_t pos, Continuation k) {
    const Node& child = re.nodes_[static_cast<std::size_t>(n.children[0])];
    if (child.kind == Kind::set || child.kind == Kind::any) {
      // One character a time: take the longest run, then give back one by one.
      std::size_t run = 0;
      while ((n.max < 0 || run < static_cast<std::size_t>(n.max)) && one(child, pos + run)) ++run;
      for (std::size_t j = run + 1; j-- > static_cast<std::size_t>(n.min);) {
        if (k(pos + j)) return true;
      }
      return false;
    }
    if (n.max < 0 || count < n.max) {
      const auto again = [&](std::size_t p) {
        if (p == pos && count >= n.min) return false;  // an empty pass ends the repeat
        return repeat(n, count + 1, p, k);
      };
      if (match(n.children[0], pos, continuation(again))) return true;
    }
    return count >= n.min && k(pos);
  }
};

std::optional<std::size_t> Regex::match_at(std::span<const char32_t> text, std::size_t pos) const {
  Matcher m{*this, text};
  std::size_t end = 0;
  const auto accept = [&end](std::size_t p) {
    end = p;
    return true;
  };
  if (m.match(root_, pos, continuation(accept))) return end;
  return std::nullopt;
}

}  // namespace shoehorn
