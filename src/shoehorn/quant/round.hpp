// Float to int8 the way quantizers need it, without undefined behaviour: converting a NaN or an
// out-of-range float to an integer is undefined in C++, and corrupt weights produce both. For
// the finite values a correct scale gives, these equal a plain cast of the rounded value.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

namespace shoehorn {

inline std::int8_t saturate_int8(double rounded) {
  if (!(rounded == rounded)) return 0;  // NaN: the group held no usable number
  if (rounded > 127.0) return 127;
  if (rounded < -128.0) return -128;
  return static_cast<std::int8_t>(rounded);
}

// C's round(): halves away from zero (llama2.c's runq.c activations).
inline std::int8_t round_half_away_int8(float v) {
  return saturate_int8(std::round(static_cast<double>(v)));
}

// torch.round / the default rounding mode: halves to even (llama2.c's export.py weights).
inline std::int8_t round_half_even_int8(float v) {
  return saturate_int8(std::nearbyint(static_cast<double>(v)));
}

// ggml's nearest_int: the float's integer part after adding 1.5 * 2^23, so halves go to even
// (the FPU's rounding). Exact for |v| <= 2^22 - 1, which every scaled value ggml forms is; for
// anything else (NaN from corrupt weights) some integer, without undefined behaviour.
inline int nearest_int(float v) {
  const float shifted = v + 12582912.0f;
  std::int32_t bits;
  std::memcpy(&bits, &shifted, sizeof bits);
  return (bits & 0x007fffff) - 0x00400000;
}

}  // namespace shoehorn
