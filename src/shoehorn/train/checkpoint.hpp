// A training checkpoint: everything needed to continue a run bit for bit.
//
// The file, every integer and float little-endian:
//   offset  0  magic "SHCK"
//           4  u32 version (1)
//           8  u64 steps done
//          16  u64 the batch sampler's RNG state
//          24  u32 settings length, then the config's canonical settings text
//              u32 array count, then per array:
//                u32 name length, name, u32 rank (1..4), u64 per dimension, f32 values
// Arrays hold the weights (GGUF tensor names), the AdamW moments ("adam_m." / "adam_v." + the
// weight's name) and the loss log. Standard library only, so it is tested on every target.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "shoehorn/io/source.hpp"

namespace shoehorn {

struct NamedArray {
  std::string name;
  std::vector<std::int64_t> shape;
  std::vector<float> values;  // row-major, the product of shape long
};

struct TrainCheckpoint {
  std::string settings_text;
  std::uint64_t step = 0;
  std::uint64_t rng_state = 0;
  std::vector<NamedArray> arrays;

  // The array called name, or nullptr.
  const NamedArray* find(std::string_view name) const;
};

std::vector<std::byte> write_checkpoint(const TrainCheckpoint& checkpoint);
// Validates every length against the bytes left before allocating. Throws Error.
TrainCheckpoint read_checkpoint(const ByteSource& source);

}  // namespace shoehorn
