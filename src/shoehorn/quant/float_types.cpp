// F16 and BF16 values: exact widening, and ggml's rounding to nearest even.
#include <bit>

#include "shoehorn/quant/f16.hpp"
#include "shoehorn/quant/type_functions.hpp"

namespace shoehorn {

void dequantize_f16(const std::uint16_t* in, float* out, std::size_t values) {
  for (std::size_t i = 0; i < values; ++i) out[i] = f16_to_f32(in[i]);
}

void quantize_f16(const float* in, std::uint16_t* out, std::size_t values) {
  for (std::size_t i = 0; i < values; ++i) out[i] = f32_to_f16(in[i]);
}

void dequantize_bf16(const std::uint16_t* in, float* out, std::size_t values) {
  for (std::size_t i = 0; i < values; ++i) out[i] = bf16_to_f32(in[i]);
}

void quantize_bf16(const float* in, std::uint16_t* out, std::size_t values) {
  for (std::size_t i = 0; i < values; ++i) out[i] = f32_to_bf16(in[i]);
}

}  // namespace shoehorn
