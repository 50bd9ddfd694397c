#include "shoehorn/ngram/counts.hpp"

#include <algorithm>

#include "shoehorn/io/error.hpp"

namespace shoehorn::ngram {

namespace {

std::uint64_t top_bytes_mask(int k) { return k >= 8 ? ~0ull : ~(~0ull >> (8 * k)); }

// Every position's next 8 bytes as one number (zero past the end of its text), and how many
// bytes each position has before its text ends.
struct Windows {
  std::vector<std::uint64_t> window;
  std::vector<std::uint8_t> room;
};

Windows windows_of(const std::vector<std::string>& texts) {
  Windows w;
  for (const std::string& text : texts) {
    std::uint64_t window = 0;
    const std::size_t n = text.size();
    for (std::size_t i = 0; i < std::min<std::size_t>(8, n); ++i) {
      window |= static_cast<std::uint64_t>(static_cast<std::uint8_t>(text[i])) << (56 - 8 * i);
    }
    for (std::size_t t = 0; t < n; ++t) {
      w.window.push_back(window);
      w.room.push_back(static_cast<std::uint8_t>(std::min<std::size_t>(8, n - t)));
      window <<= 8;
      if (t + 8 < n) window |= static_cast<std::uint8_t>(text[t + 8]);
    }
  }
  return w;
}

CountLevel sorted_level(const Windows& w, int k) {
  const std::uint64_t mask = top_bytes_mask(k);
  std::vector<std::uint64_t> keys;
  keys.reserve(w.window.size());
  for (std::size_t t = 0; t < w.window.size(); ++t) {
    if (w.room[t] >= k) keys.push_back(w.window[t] & mask);
  }
  std::sort(keys.begin(), keys.end());
  CountLevel level;
  for (std::size_t i = 0; i < keys.size();) {
    std::size_t j = i;
    while (j < keys.size() && keys[j] == keys[i]) ++j;
    level.key.push_back(keys[i]);
    level.count.push_back(static_cast<std::uint32_t>(j - i));
    i = j;
  }
  return level;
}

// Level 1 lists the whole alphabet, seen or not: the root must be able to produce every byte.
void add_unseen_bytes(CountLevel& level, const Alphabet& alphabet) {
  CountLevel full;
  std::size_t seen = 0;
  for (int b = 0; b < 256; ++b) {
    if (!alphabet.member[static_cast<std::size_t>(b)]) continue;
    const std::uint64_t key = static_cast<std::uint64_t>(b) << 56;
    full.key.push_back(key);
    const bool present = seen < level.size() && level.key[seen] == key;
    full.count.push_back(present ? level.count[seen++] : 0);
  }
  level = std::move(full);
}

std::uint32_t index_of(const CountLevel& level, std::uint64_t key) {
  return static_cast<std::uint32_t>(std::lower_bound(level.key.begin(), level.key.end(), key) -
                                    level.key.begin());
}

// Parents, suffixes and continuation counts, from the level below.
void link_levels(CountLevel& upper, CountLevel& lower, int k) {
  const std::uint64_t prefix_mask = top_bytes_mask(k);
  upper.first_child.assign(upper.size() + 1, 0);
  lower.parent.resize(lower.size());
  lower.suffix.resize(lower.size());
  upper.distinct_left.assign(upper.size(), 0);
  std::size_t p = 0;
  for (std::size_t j = 0; j < lower.size(); ++j) {
    const std::uint64_t prefix = lower.key[j] & prefix_mask;
    while (upper.key[p] != prefix) upper.first_child[++p] = static_cast<std::uint32_t>(j);
    lower.parent[j] = static_cast<std::uint32_t>(p);
    const std::uint32_t s = index_of(upper, lower.key[j] << 8);
    lower.suffix[j] = s;
    ++upper.distinct_left[s];
  }
  while (p < upper.size()) upper.first_child[++p] = static_cast<std::uint32_t>(lower.size());
}

}  // namespace

int Alphabet::size() const { return static_cast<int>(std::count(member.begin(), member.end(), true)); }

Alphabet parse_alphabet(const std::string& spec, const std::vector<std::string>& corpus) {
  Alphabet a;
  if (spec == "bytes") {
    a.member.fill(true);
  } else if (spec == "ascii") {
    a.member['\n'] = true;
    for (int b = 0x20; b < 0x7F; ++b) a.member[static_cast<std::size_t>(b)] = true;
  } else if (spec == "corpus") {
    for (const std::string& text : corpus) {
      for (const char c : text) a.member[static_cast<std::uint8_t>(c)] = true;
    }
    if (a.size() == 0) throw Error("--alphabet corpus: the corpus is empty");
  } else {
    throw Error("--alphabet: '" + spec + "' is not bytes, ascii or corpus");
  }
  return a;
}

Counts count_ngrams(const std::vector<std::string>& texts, const Alphabet& alphabet, int order) {
  std::vector<std::string> kept;
  for (const std::string& text : texts) {
    std::string filtered;
    for (const char c : text) {
      if (alphabet.member[static_cast<std::uint8_t>(c)]) filtered += c;
    }
    kept.push_back(std::move(filtered));
  }
  const Windows windows = windows_of(kept);
  Counts counts;
  counts.order = order;
  counts.positions = windows.window.size();
  for (int k = 1; k <= order; ++k) counts.levels.push_back(sorted_level(windows, k));
  add_unseen_bytes(counts.level(1), alphabet);
  CountLevel& first = counts.level(1);
  first.parent.assign(first.size(), 0);
  first.suffix.assign(first.size(), 0);
  for (int k = 1; k < order; ++k) link_levels(counts.level(k), counts.level(k + 1), k);
  counts.level(order).distinct_left.assign(counts.level(order).size(), 0);
  return counts;
}

}  // namespace shoehorn::ngram
