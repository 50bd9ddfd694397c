// What a baked model is: a struct of static constexpr members that `shoehorn bake` writes.
//
//   struct NAME {
//     // vocabulary (also alone, with --vocab-only)
//     static constexpr int vocab_size, bos_id, eos_id, unk_id, max_piece_bytes;
//     static constexpr char piece_bytes[];                 // every piece, one after another
//     static constexpr int piece_offsets[vocab_size + 1];  // piece i: [offsets[i], offsets[i+1])
//     static constexpr float piece_scores[vocab_size];
//     static constexpr std::uint8_t piece_types[vocab_size];  // shoehorn::TokenType values
//     static constexpr int n_lookup, lookup[];          // ids find() may return, by piece bytes
//     static constexpr int byte_ids[256];               // <0xHH> piece of each byte, or -1
//     static constexpr int n_user_defined, user_defined[];  // longest piece first
//     static constexpr bool has_unused_pieces;
//     // shape
//     static constexpr int dim, hidden_dim, n_layers, n_heads, n_kv_heads, seq_len, group_size;
//     static constexpr float norm_eps;
//     // weights: each matrix "R x C" is float[R][C], or Q8Matrix<R, C, group_size> when
//     // group_size > 0; a per-layer one is an array of n_layers of them.
//     static constexpr ... token_embedding;                // vocab_size x dim
//     static constexpr float attn_norm[n_layers][dim], ffn_norm[n_layers][dim], final_norm[dim];
//     static constexpr ... wq[n_layers], wo[n_layers];     // dim x dim
//     static constexpr ... wk[n_layers], wv[n_layers];     // kv_dim x dim
//     static constexpr ... w1[n_layers], w3[n_layers];     // hidden_dim x dim
//     static constexpr ... w2[n_layers];                   // dim x hidden_dim
//     static constexpr const auto& classifier = token_embedding;  // or its own matrix
//     static constexpr float rope_cos[seq_len][head_size / 2], rope_sin[...];  // by position
//   };
//
// Everything is a plain array: GCC evaluates std::array::operator[] as a function call, which
// makes constant evaluation of the forward pass three times slower (docs/COMPILE_TIME.md).
#pragma once

#include <cstddef>
#include <cstdint>

namespace shoehorn::ctime {

// A matrix of llama2.c version 2 (runq.c): int8 values, one float scale per group of a row.
template <int Rows, int Cols, int GroupSize>
struct Q8Matrix {
  std::int8_t q[Rows][Cols];
  float scales[Rows][Cols / GroupSize];
};

// The derived sizes of a baked model M.
template <class M>
struct Shape {
  static constexpr int head_size = M::dim / M::n_heads;
  static constexpr int kv_dim = M::dim / M::n_heads * M::n_kv_heads;
  static constexpr int kv_mul = M::n_heads / M::n_kv_heads;
  static constexpr bool quantized = M::group_size > 0;
  // Group count of a width; 1 for float models, so that scratch arrays are never empty.
  static constexpr int groups(int width) { return quantized ? width / M::group_size : 1; }
};

}  // namespace shoehorn::ctime
