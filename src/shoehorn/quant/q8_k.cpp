// Q8_K, the activations that every 256-value type multiplies with: ggml's
// quantize_row_q8_K_ref, which its CPU backend runs on x86 too (only WebAssembly has its own).
#include <algorithm>
#include <cmath>

#include "shoehorn/quant/round.hpp"
#include "shoehorn/quant/type_functions.hpp"

namespace shoehorn {

namespace {

// The value of largest magnitude, the first of equals (its sign sets the scale's).
float signed_max_of_block(const float* v) {
  float max = 0.0f, amax = 0.0f;
  for (int j = 0; j < kSuperValues; ++j) {
    const float a = std::fabs(v[j]);
    if (a > amax) {
      amax = a;
      max = v[j];
    }
  }
  return max;
}

}  // namespace

void quantize_q8_k(const float* in, BlockQ8_K* out, std::size_t values) {
  for (std::size_t b = 0; b < values / kSuperValues; ++b) {
    const float* v = in + b * kSuperValues;
    BlockQ8_K& q = out[b];
    const float max = signed_max_of_block(v);
    if (max == 0.0f) {
      q = BlockQ8_K{};
      continue;
    }
    // -127 / max, not 127 / |max|: ggml's choice, so the extreme value is always -127.
    const float iscale = -127.0f / max;
    for (int j = 0; j < kSuperValues; ++j) {
      q.qs[j] = static_cast<std::int8_t>(std::clamp(nearest_int(iscale * v[j]), -128, 127));
    }
    for (int g = 0; g < kSuperValues / 16; ++g) {
      int sum = 0;
      for (int j = 0; j < 16; ++j) sum += q.qs[16 * g + j];
      q.bsums[g] = static_cast<std::int16_t>(sum);
    }
    q.d = 1.0f / iscale;
  }
}

}  // namespace shoehorn
