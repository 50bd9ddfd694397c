// A baked byte n-gram model (`shoehorn bake NGRAM_MODEL`), run by the n-gram reference
// runtime itself: ngram::BasicGenerator over the header's arrays, in constant evaluation or at
// run time, with no heap. What the baked struct holds:
//
//   struct NAME {
//     static constexpr int order;                        // 1..8
//     static constexpr std::uint32_t rom_budget;         // 0: not pruned
//     static constexpr char start[];                     // start bytes (sizeof - 1 of them)
//     static constexpr std::uint16_t qvalue[256];        // code -> probability * 65536
//     static constexpr std::uint32_t level_offset[order], level_count[order];
//     static constexpr std::uint32_t wrap_begin[order + 1];  // level k's wraps:
//     static constexpr std::uint32_t wraps[];            //   [wrap_begin[k - 1], wrap_begin[k])
//     static constexpr std::uint8_t image[];             // the records (ngram/tables.hpp)
//   };
//
// The arrays are the model file's tables byte for byte: what the NES cartridge holds.
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string_view>

#include "shoehorn/ctime/text.hpp"
#include "shoehorn/ngram/generator.hpp"

namespace shoehorn::ctime {

// The tables of a baked n-gram model M, for ngram::BasicGenerator.
template <class M>
constexpr ngram::Tables<std::uint8_t> ngram_tables() {
  ngram::Tables<std::uint8_t> t{M::order, {M::start, sizeof M::start - 1}, M::qvalue, M::image};
  for (int k = 0; k < M::order; ++k) {
    t.levels[static_cast<std::size_t>(k)] = {
        M::level_offset[k], M::level_count[k],
        {M::wraps + M::wrap_begin[k], M::wraps + M::wrap_begin[k + 1]}};
  }
  return t;
}

// What `shoehorn ngram run M --seed seed -n n -i prompt` prints. More than Capacity bytes is
// an error (a compile error in constant evaluation).
template <class M, std::size_t Capacity>
constexpr Text<Capacity> ngram_generate(std::uint32_t seed, std::string_view prompt, int n) {
  if (n < 0 || prompt.size() + static_cast<std::size_t>(n) > Capacity) {
    throw std::length_error("ngram_generate: the prompt and n bytes exceed the text's capacity");
  }
  Text<Capacity> text;
  ngram::generate(ngram_tables<M>(), seed, prompt, n, [&text](char c) { text.bytes[text.size++] = c; });
  return text;
}

}  // namespace shoehorn::ctime
