// Each type's own functions, which the table in types.cpp points to (internal to quant/, and to
// the kernels that must give their bits). `values` counts floats and is a whole number of
// blocks; quantizers are ggml's reference ones (quantize_row_*_ref, or the _impl that
// llama-quantize calls with no importance matrix), so the blocks are llama.cpp's bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "shoehorn/quant/blocks.hpp"

namespace shoehorn {

// F32, F16, BF16 (float_types.cpp).
void dequantize_f16(const std::uint16_t* in, float* out, std::size_t values);
void quantize_f16(const float* in, std::uint16_t* out, std::size_t values);
void dequantize_bf16(const std::uint16_t* in, float* out, std::size_t values);
void quantize_bf16(const float* in, std::uint16_t* out, std::size_t values);

// 32-value blocks (legacy_quants.cpp).
void quantize_q8_0(const float* in, BlockQ8_0* out, std::size_t values);
void dequantize_q8_0(const BlockQ8_0* in, float* out, std::size_t values);
void quantize_q4_0(const float* in, BlockQ4_0* out, std::size_t values);
void dequantize_q4_0(const BlockQ4_0* in, float* out, std::size_t values);

// Q4_1, Q5_0, Q5_1, IQ4_NL (legacy_quants.cpp), and Q8_1, the activations Q4_1 and Q5_1
// multiply with: ggml's x86 quantize_row_q8_1, the one llama.cpp's CPU backend runs there.
void quantize_q4_1(const float* in, BlockQ4_1* out, std::size_t values);
void dequantize_q4_1(const BlockQ4_1* in, float* out, std::size_t values);
void quantize_q5_0(const float* in, BlockQ5_0* out, std::size_t values);
void dequantize_q5_0(const BlockQ5_0* in, float* out, std::size_t values);
void quantize_q5_1(const float* in, BlockQ5_1* out, std::size_t values);
void dequantize_q5_1(const BlockQ5_1* in, float* out, std::size_t values);
void quantize_iq4_nl(const float* in, BlockIQ4_NL* out, std::size_t values);
void dequantize_iq4_nl(const BlockIQ4_NL* in, float* out, std::size_t values);
void quantize_q8_1(const float* in, BlockQ8_1* out, std::size_t values);

// Q8_K, the activations of the 256-value types (q8_k.cpp).
void quantize_q8_k(const float* in, BlockQ8_K* out, std::size_t values);

// The K-quants with a minimum (k_quants_min.cpp): value = d sc level - dmin m per sub-block.
void quantize_q2_k(const float* in, BlockQ2_K* out, std::size_t values);
void dequantize_q2_k(const BlockQ2_K* in, float* out, std::size_t values);
void quantize_q4_k(const float* in, BlockQ4_K* out, std::size_t values);
void dequantize_q4_k(const BlockQ4_K* in, float* out, std::size_t values);
void quantize_q5_k(const float* in, BlockQ5_K* out, std::size_t values);
void dequantize_q5_k(const BlockQ5_K* in, float* out, std::size_t values);

// The same over spans (out.size() blocks of in's values).
inline void quantize_q8_0(std::span<const float> in, std::span<BlockQ8_0> out) {
  quantize_q8_0(in.data(), out.data(), out.size() * kBlockValues);
}
inline void quantize_q4_0(std::span<const float> in, std::span<BlockQ4_0> out) {
  quantize_q4_0(in.data(), out.data(), out.size() * kBlockValues);
}

// Interleaved rows (interleave.cpp): eight rows of `blocks` blocks each, row after row, as
// `blocks` interleaved blocks; and row `row` (< 8) of interleaved blocks back to floats.
void interleave_rows(std::span<const BlockQ8_0> rows, int blocks, std::span<BlockQ8_0x8> out);
void interleave_rows(std::span<const BlockQ4_0> rows, int blocks, std::span<BlockQ4_0x8> out);
void dequantize_row(std::span<const BlockQ8_0x8> blocks, int row, std::span<float> out);
void dequantize_row(std::span<const BlockQ4_0x8> blocks, int row, std::span<float> out);

}  // namespace shoehorn
