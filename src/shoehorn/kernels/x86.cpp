// SIMD block kernels for x86-64, each compiled for its instruction set by a target attribute and
// chosen at run time by what the CPU reports; other targets have the scalar kernels only.
#include "shoehorn/kernels/block_rows.hpp"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#include <immintrin.h>
#if defined(__linux__)
#include <sys/syscall.h>
#include <unistd.h>
#endif

#include <algorithm>
#include <cstdint>
#include <cstring>

namespace shoehorn::kernels {

namespace avx2 {
#define SHOEHORN_TARGET __attribute__((target("avx2,fma,f16c")))
// |w| times x with w's sign: unsigned by signed bytes, then pairs of 16-bit sums (no overflow:
// |w| <= 128 and |x| <= 127, the range Q8_0 quantization gives).
SHOEHORN_TARGET inline __m256i dot_i8(__m256i wabs, __m256i w, __m256i x) {
  const __m256i pairs = _mm256_maddubs_epi16(wabs, _mm256_sign_epi8(x, w));
  return _mm256_madd_epi16(pairs, _mm256_set1_epi16(1));
}
// Interleaved rows (stored as q + 128): back to signed, then dot_i8 lane by lane; each lane's
// four products are one row's.
SHOEHORN_TARGET inline __m256i interleaved_start(std::int32_t) { return _mm256_setzero_si256(); }
SHOEHORN_TARGET inline __m256i interleaved_dot(__m256i acc, __m256i w_biased, __m256i x) {
  const __m256i w = _mm256_xor_si256(w_biased, _mm256_set1_epi8(static_cast<char>(0x80)));
  return _mm256_add_epi32(acc, dot_i8(_mm256_sign_epi8(w, w), w, x));
}
// Nibbles (0..15) are unsigned: products in 16 bits cannot saturate (2 x 15 x 127).
SHOEHORN_TARGET inline __m256i nibble_dot(__m256i acc, __m256i nibbles, __m256i x) {
  const __m256i pairs = _mm256_maddubs_epi16(nibbles, x);
  return _mm256_add_epi32(acc, _mm256_madd_epi16(pairs, _mm256_set1_epi16(1)));
}
// 16 float lanes in two 256-bit registers; tiles of 2 rows x 2 positions (8 accumulators of
// the 16 registers).
struct Lanes {
  __m256 lo, hi;
};
SHOEHORN_TARGET inline Lanes lanes_zero() { return {_mm256_setzero_ps(), _mm256_setzero_ps()}; }
SHOEHORN_TARGET inline Lanes load_lanes(const float* p) {
  return {_mm256_loadu_ps(p), _mm256_loadu_ps(p + 8)};
}
SHOEHORN_TARGET inline __m128i load_halves(const std::uint16_t* p) {
  return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
}
SHOEHORN_TARGET inline Lanes widen_f16(const std::uint16_t* p) {
  return {_mm256_cvtph_ps(load_halves(p)), _mm256_cvtph_ps(load_halves(p + 8))};
}
SHOEHORN_TARGET inline __m256 widen_bf16_8(__m128i h) {
  return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
}
SHOEHORN_TARGET inline Lanes widen_bf16(const std::uint16_t* p) {
  return {widen_bf16_8(load_halves(p)), widen_bf16_8(load_halves(p + 8))};
}
SHOEHORN_TARGET inline Lanes fma_lanes(Lanes a, Lanes b, Lanes c) {
  return {_mm256_fmadd_ps(a.lo, b.lo, c.lo), _mm256_fmadd_ps(a.hi, b.hi, c.hi)};
}
SHOEHORN_TARGET inline void store_lanes(float* p, Lanes v) {
  _mm256_storeu_ps(p, v.lo);
  _mm256_storeu_ps(p + 8, v.hi);
}
// add_lanes: lane i += lane i + 8 (the two registers), then + 4, + 2, + 1, each lane's one add.
SHOEHORN_TARGET inline float add_quarters(__m128 v) {
  v = _mm_add_ps(v, _mm_movehl_ps(v, v));                 // i += i + 2
  return _mm_cvtss_f32(_mm_add_ss(v, _mm_movehdup_ps(v)));  // 0 += 1
}
SHOEHORN_TARGET inline float add_halves(Lanes v) {
  const __m256 eight = _mm256_add_ps(v.lo, v.hi);
  return add_quarters(_mm_add_ps(_mm256_castps256_ps128(eight), _mm256_extractf128_ps(eight, 1)));
}
constexpr int kHalfTileRows = 2, kHalfTilePositions = 2;
#include "shoehorn/kernels/x86_f32_rows.inc"
#include "shoehorn/kernels/x86_half_rows.inc"
#include "shoehorn/kernels/x86_k_min.inc"
#include "shoehorn/kernels/x86_k_symmetric.inc"
#include "shoehorn/kernels/x86_block_rows.inc"
#undef SHOEHORN_TARGET
}  // namespace avx2

// GCC 12's 512-bit conversions start from _mm512_undefined_ps(), which -Wmaybe-uninitialized
// takes for a read of an uninitialized value (a false positive: every lane is written).
#if !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
namespace avx512 {
#define SHOEHORN_TARGET \
  __attribute__((target("avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")))
// VNNI sums four byte products into each int32 lane in one instruction.
SHOEHORN_TARGET inline __m256i dot_i8(__m256i wabs, __m256i w, __m256i x) {
  return _mm256_dpbusd_epi32(_mm256_setzero_si256(), wabs, _mm256_sign_epi8(x, w));
}
// Interleaved rows: the stored q + 128 is unsigned, so VNNI multiplies it with x directly and
// each lane gains sum((q + 128) x) = isum + 128 sum(x); the sum starts at -128 sum(x).
SHOEHORN_TARGET inline __m256i interleaved_start(std::int32_t x_sum) {
  return _mm256_set1_epi32(-128 * x_sum);
}
SHOEHORN_TARGET inline __m256i interleaved_dot(__m256i acc, __m256i w_biased, __m256i x) {
  return _mm256_dpbusd_epi32(acc, w_biased, x);
}
SHOEHORN_TARGET inline __m256i nibble_dot(__m256i acc, __m256i nibbles, __m256i x) {
  return _mm256_dpbusd_epi32(acc, nibbles, x);
}
// 16 float lanes in one 512-bit register; tiles of 6 rows x 4 positions (24 accumulators of
// the 32 registers: measured best of 4x4, 6x4, 8x3, 3x8 on a Sapphire Rapids core).
using Lanes = __m512;
SHOEHORN_TARGET inline Lanes lanes_zero() { return _mm512_setzero_ps(); }
SHOEHORN_TARGET inline Lanes load_lanes(const float* p) { return _mm512_loadu_ps(p); }
SHOEHORN_TARGET inline __m256i load_halves(const std::uint16_t* p) {
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
}
SHOEHORN_TARGET inline Lanes widen_f16(const std::uint16_t* p) { return _mm512_cvtph_ps(load_halves(p)); }
SHOEHORN_TARGET inline Lanes widen_bf16(const std::uint16_t* p) {
  return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(load_halves(p)), 16));
}
SHOEHORN_TARGET inline Lanes fma_lanes(Lanes a, Lanes b, Lanes c) { return _mm512_fmadd_ps(a, b, c); }
SHOEHORN_TARGET inline void store_lanes(float* p, Lanes v) { _mm512_storeu_ps(p, v); }
SHOEHORN_TARGET inline float add_halves(Lanes v) {
  const __m256 eight = _mm256_add_ps(_mm512_castps512_ps256(v),
                                     _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)));
  __m128 four = _mm_add_ps(_mm256_castps256_ps128(eight), _mm256_extractf128_ps(eight, 1));
  four = _mm_add_ps(four, _mm_movehl_ps(four, four));
  return _mm_cvtss_f32(_mm_add_ss(four, _mm_movehdup_ps(four)));
}
constexpr int kHalfTileRows = 6, kHalfTilePositions = 4;
#include "shoehorn/kernels/x86_f32_rows.inc"
#include "shoehorn/kernels/x86_half_rows.inc"
#include "shoehorn/kernels/x86_k_min.inc"
#include "shoehorn/kernels/x86_k_symmetric.inc"
#include "shoehorn/kernels/x86_block_rows.inc"
#undef SHOEHORN_TARGET
}  // namespace avx512
#include "shoehorn/kernels/x86_amx.inc"
#if !defined(__clang__)
#pragma GCC diagnostic pop
#endif

const BlockKernels* x86_block_kernels(KernelPath path) {
  static const BlockKernels avx2_kernels = avx2::kernels();
  static const BlockKernels avx512_kernels = avx512::kernels();
  static const BlockKernels amx_kernels = amx::kernels();
  __builtin_cpu_init();
  const bool has_avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  const bool has_avx512 = has_avx2 && __builtin_cpu_supports("avx512f") &&
                          __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
                          __builtin_cpu_supports("avx512vnni");
  switch (path) {
    case KernelPath::scalar:
    case KernelPath::neon:
    case KernelPath::neon_dot:
    case KernelPath::vmx:
      return nullptr;
    case KernelPath::avx2:
      return has_avx2 ? &avx2_kernels : nullptr;
    case KernelPath::avx512:
      return has_avx512 ? &avx512_kernels : nullptr;
    case KernelPath::amx: {
      static const bool has_amx = has_avx512 && amx::available();
      return has_amx ? &amx_kernels : nullptr;
    }
  }
  return nullptr;
}

}  // namespace shoehorn::kernels

#else

namespace shoehorn::kernels {
const BlockKernels* x86_block_kernels(KernelPath) { return nullptr; }
}  // namespace shoehorn::kernels

#endif
