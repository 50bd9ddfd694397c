// llama2.c's random numbers: xorshift64*, one random_f32 draw per sampled token.
#pragma once

#include <cstdint>

namespace shoehorn {

class Xorshift64Star {
 public:
  explicit constexpr Xorshift64Star(std::uint64_t seed) : state_(seed) {}

  constexpr std::uint32_t next_u32() {
    state_ ^= state_ >> 12;
    state_ ^= state_ << 25;
    state_ ^= state_ >> 27;
    return static_cast<std::uint32_t>((state_ * 0x2545F4914F6CDD1Dull) >> 32);
  }
  // In [0, 1): the top 24 bits of a draw.
  constexpr float next_f32() { return static_cast<float>(next_u32() >> 8) / 16777216.0f; }

  constexpr std::uint64_t state() const { return state_; }

 private:
  std::uint64_t state_;
};

}  // namespace shoehorn
