// SentencePiece BPE encoding and llama2.c decoding over a baked vocabulary, in fixed-size
// buffers: usable in constant evaluation and at run time without the heap.
//
// The ids are those of tokenizer/tokenizer.cpp. That encoder keeps a priority queue of
// candidate pairs (highest score, then leftmost) and skips stale entries; this one keeps the
// candidate of every adjacent pair in an array and takes the best by a scan, which picks the
// same pair at every step because every live pair is a queue entry there and stale ones never
// win. Pairs are considered in the same order, so "unused" pieces split back the same way.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "shoehorn/tokenizer/pieces.hpp"
#include "shoehorn/tokenizer/utf8.hpp"

namespace shoehorn::ctime {

// SentencePiece token types as the baker writes them (shoehorn::TokenType).
inline constexpr std::uint8_t kTokenTypeUserDefined = 4;
inline constexpr std::uint8_t kTokenTypeUnused = 5;

template <class M>
constexpr std::string_view piece(int id) {
  const int begin = M::piece_offsets[id];
  return {M::piece_bytes + begin, static_cast<std::size_t>(M::piece_offsets[id + 1] - begin)};
}

// Id of a normal, user-defined or unused piece spelled exactly text, or -1: binary search of
// the baker's table, sorted by piece bytes (unsigned, as std::string_view compares them).
template <class M>
constexpr int find(std::string_view text) {
  int lo = 0, hi = M::n_lookup;
  while (lo < hi) {
    const int mid = lo + (hi - lo) / 2;
    const int c = piece<M>(M::lookup[mid]).compare(text);
    if (c == 0) return M::lookup[mid];
    if (c < 0) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return -1;
}

// The text token adds after prev_token, as llama2.c prints it.
template <class M>
constexpr std::string_view decode(int prev_token, int token) {
  return printable(decode_piece(piece<M>(token), prev_token == M::bos_id));
}

// Token ids of a text of at most MaxBytes bytes.
template <int MaxBytes>
struct TokenIds {
  // Normalizing turns each byte into at most 3 (U+FFFD) and adds one space; every token but
  // BOS and EOS covers at least one normalized byte.
  static constexpr int kNormalizedCapacity = 3 * MaxBytes + 1;
  static constexpr int kCapacity = kNormalizedCapacity + 2;
  int ids[kCapacity]{};
  int size = 0;
};

// Reached only when a text is longer than the buffers: in constant evaluation, the call of a
// function that is not constexpr is the error message.
inline void text_longer_than_the_encoder_buffer() {}

template <class M, int MaxBytes>
class Encoder {
 public:
  using Ids = TokenIds<MaxBytes>;

  constexpr Ids encode(std::string_view text, bool bos, bool eos) {
    Ids out;
    if (text.size() > static_cast<std::size_t>(MaxBytes)) {
      text_longer_than_the_encoder_buffer();
      return out;
    }
    normalize(text);
    split_into_characters();
    for (int i = 0; i + 1 < count_; ++i) consider(i);
    for (int best = best_pair(); best >= 0; best = best_pair()) merge(best);
    if (bos) out.ids[out.size++] = M::bos_id;
    for (int i = 0; i < count_; ++i) emit(text_of(begin_[i], size_[i]), out);
    if (eos) out.ids[out.size++] = M::eos_id;
    return out;
  }

 private:
  static constexpr int kMax = Ids::kNormalizedCapacity;
  // SentencePiece's rev_merge table: how an unused piece splits back (only vocabularies with
  // unused pieces need room for it).
  static constexpr int kSplitCapacity = M::has_unused_pieces ? 3 * kMax : 1;
  struct Split {
    int begin = 0;
    int size = 0;
    int left_size = 0;
  };

  constexpr std::string_view text_of(int begin, int size) const {
    return {norm_ + begin, static_cast<std::size_t>(size)};
  }

  constexpr void append(std::string_view bytes) {
    for (const char c : bytes) norm_[norm_size_++] = c;
  }

  // A word boundary first, U+2581 as a space, malformed bytes as U+FFFD.
  constexpr void normalize(std::string_view text) {
    if (text.empty()) return;
    append(" ");
    while (!text.empty()) {
      const std::size_t len = utf8::valid_prefix_length(text);
      if (len == 0) {
        append(utf8::kReplacementCharacter);
        text.remove_prefix(1);
        continue;
      }
      const std::string_view ch = text.substr(0, len);
      append(ch == utf8::kWordBoundary ? std::string_view(" ") : ch);
      text.remove_prefix(len);
    }
  }

  // One symbol per character, or per user-defined piece (longest first), which never merges.
  constexpr void split_into_characters() {
    const std::string_view norm = text_of(0, norm_size_);
    for (int pos = 0; pos < norm_size_;) {
      int size = 0;
      bool frozen = false;
      for (int u = 0; u < M::n_user_defined; ++u) {
        const std::string_view p = piece<M>(M::user_defined[u]);
        if (norm.substr(static_cast<std::size_t>(pos), p.size()) == p) {
          size = static_cast<int>(p.size());
          frozen = true;
          break;
        }
      }
      if (size == 0) {
        size = static_cast<int>(utf8::valid_prefix_length(norm.substr(static_cast<std::size_t>(pos))));
      }
      begin_[count_] = pos;
      size_[count_] = size;
      frozen_[count_] = frozen;
      ++count_;
      pos += size;
    }
  }

  // Looks up the pair (left, left + 1) and remembers how an unused piece splits.
  constexpr void consider(int left) {
    pair_id_[left] = -1;
    if (frozen_[left] || frozen_[left + 1]) return;
    const int size = size_[left] + size_[left + 1];
    const int id = find<M>(text_of(begin_[left], size));
    pair_id_[left] = id;
    if (id >= 0 && M::piece_types[id] == kTokenTypeUnused) {
      remember_split(begin_[left], size, size_[left]);
    }
  }

  constexpr void remember_split(int begin, int size, int left_size) {
    const std::string_view text = text_of(begin, size);
    for (int i = 0; i < n_splits_; ++i) {
      if (text_of(splits_[i].begin, splits_[i].size) == text) {
        splits_[i].left_size = left_size;
        return;
      }
    }
    splits_[n_splits_++] = {begin, size, left_size};
  }

  constexpr int split_of(std::string_view text) const {
    for (int i = 0; i < n_splits_; ++i) {
      if (text_of(splits_[i].begin, splits_[i].size) == text) return splits_[i].left_size;
    }
    return -1;
  }

  // The pair with the highest score, the leftmost among equals, or -1.
  constexpr int best_pair() const {
    int best = -1;
    for (int i = 0; i + 1 < count_; ++i) {
      if (pair_id_[i] < 0) continue;
      if (best < 0 || M::piece_scores[pair_id_[i]] > M::piece_scores[pair_id_[best]]) best = i;
    }
    return best;
  }

  constexpr void merge(int left) {
    size_[left] += size_[left + 1];
    for (int i = left + 1; i + 1 < count_; ++i) {
      begin_[i] = begin_[i + 1];
      size_[i] = size_[i + 1];
      frozen_[i] = frozen_[i + 1];
      pair_id_[i] = pair_id_[i + 1];
    }
    --count_;
    if (left > 0) consider(left - 1);
    if (left + 1 < count_) consider(left);
  }

  // A piece's id, an unused piece split back into its halves, or one <0xHH> per byte (<unk>
  // when the vocabulary lacks a byte).
  constexpr void emit(std::string_view text, Ids& out) const {
    const int id = find<M>(text);
    if (id >= 0 && M::piece_types[id] == kTokenTypeUnused) {
      const int left_size = split_of(text);
      if (left_size >= 0) {
        emit(text.substr(0, static_cast<std::size_t>(left_size)), out);
        emit(text.substr(static_cast<std::size_t>(left_size)), out);
        return;
      }
    }
    if (id >= 0) {
      out.ids[out.size++] = id;
      return;
    }
    bool all_bytes = true;
    for (const char c : text) all_bytes = all_bytes && M::byte_ids[static_cast<std::uint8_t>(c)] >= 0;
    if (!all_bytes) {
      out.ids[out.size++] = M::unk_id;
      return;
    }
    for (const char c : text) out.ids[out.size++] = M::byte_ids[static_cast<std::uint8_t>(c)];
  }

  char norm_[kMax]{};
  int norm_size_ = 0;
  // The symbols, left to right: where each starts in norm_, its size, whether it may merge.
  int begin_[kMax]{};
  int size_[kMax]{};
  bool frozen_[kMax]{};
  int count_ = 0;
  int pair_id_[kMax]{};  // the piece symbols i and i + 1 make together, or -1
  Split splits_[kSplitCapacity]{};
  int n_splits_ = 0;
};

template <class M, int MaxBytes>
constexpr TokenIds<MaxBytes> encode(std::string_view text, bool bos, bool eos) {
  Encoder<M, MaxBytes> encoder;
  return encoder.encode(text, bos, eos);
}

}  // namespace shoehorn::ctime
