// SIMD block kernels for ARM: NEON on 32-bit ARMv7 (the bare-metal Cortex-A target) and AArch64's
// Advanced SIMD, with the dot-product instructions where an AArch64 CPU has them (found at run
// time). Other targets have the scalar kernels only.
//
// Each block's integer sum is exact (16-bit products added pairwise into 32 bits, or SDOT), four
// blocks' sums are reduced side by side, and the float steps then run in scalar code in the
// scalar path's order: the same bits as the scalar path. (ARMv7's NEON flushes subnormal floats
// to zero, so no float arithmetic is done in its registers.)
#include "shoehorn/kernels/block_rows.hpp"

#if defined(__ARM_NEON) && (defined(__GNUC__) || defined(__clang__))
#include <arm_neon.h>
#if defined(__aarch64__) && defined(__linux__)
#include <asm/hwcap.h>
#include <sys/auxv.h>
#endif

#include <cstdint>

namespace shoehorn::kernels {

namespace {

// Four 32-bit accumulators, each summed across its lanes: {sum(a), sum(b), sum(c), sum(d)}.
inline int32x4_t reduce_four(int32x4_t a, int32x4_t b, int32x4_t c, int32x4_t d) {
#if defined(__aarch64__)
  return vpaddq_s32(vpaddq_s32(a, b), vpaddq_s32(c, d));
#else
  const int32x2_t ab = vpadd_s32(vpadd_s32(vget_low_s32(a), vget_high_s32(a)),
                                 vpadd_s32(vget_low_s32(b), vget_high_s32(b)));
  const int32x2_t cd = vpadd_s32(vpadd_s32(vget_low_s32(c), vget_high_s32(c)),
                                 vpadd_s32(vget_low_s32(d), vget_high_s32(d)));
  return vcombine_s32(ab, cd);
#endif
}

// A block's 32 weights as signed bytes (values 0..15, then 16..31).
struct BlockBytes {
  int8x16_t lo, hi;
};
inline BlockBytes weight_bytes(const BlockQ8_0& w) { return {vld1q_s8(w.qs), vld1q_s8(w.qs + 16)}; }
// Q4_0: value j is the low nibble of byte j, value j + 16 its high nibble, less 8.
inline BlockBytes weight_bytes(const BlockQ4_0& w) {
  const uint8x16_t q = vld1q_u8(w.qs);
  const int8x16_t eight = vdupq_n_s8(8);
  return {vsubq_s8(vreinterpretq_s8_u8(vandq_u8(q, vdupq_n_u8(0x0F))), eight),
          vsubq_s8(vreinterpretq_s8_u8(vshrq_n_u8(q, 4)), eight)};
}

// 32 products of signed bytes into four 32-bit lanes: each product fits 16 bits (|w|, |x| <=
// 128), pairs of them are added in 32.
inline int32x4_t dot_bytes(BlockBytes w, const BlockQ8_0& x) {
  const int8x16_t x_lo = vld1q_s8(x.qs), x_hi = vld1q_s8(x.qs + 16);
  int32x4_t acc = vpaddlq_s16(vmull_s8(vget_low_s8(w.lo), vget_low_s8(x_lo)));
  acc = vpadalq_s16(acc, vmull_s8(vget_high_s8(w.lo), vget_high_s8(x_lo)));
  acc = vpadalq_s16(acc, vmull_s8(vget_low_s8(w.hi), vget_low_s8(x_hi)));
  return vpadalq_s16(acc, vmull_s8(vget_high_s8(w.hi), vget_high_s8(x_hi)));
}

#if defined(__aarch64__)
#define SHOEHORN_DOTPROD __attribute__((target("arch=armv8.2-a+dotprod")))
SHOEHORN_DOTPROD inline int32x4_t dot_bytes_sdot(BlockBytes w, const BlockQ8_0& x) {
  const int32x4_t acc = vdotq_s32(vdupq_n_s32(0), w.lo, vld1q_s8(x.qs));
  return vdotq_s32(acc, w.hi, vld1q_s8(x.qs + 16));
}
#endif

// One row times one input, blocks in order: acc += (float)isum_b * (d_w * d_x), as
// block_row_dot computes it, the integer sums four blocks at a time.
template <class Block, int32x4_t (*Dot)(BlockBytes, const BlockQ8_0&)>
float row_dot(const Block* w, const BlockQ8_0* x, int blocks) {
  float acc = 0.0f;
  int b = 0;
  for (; b + 4 <= blocks; b += 4) {
    const int32x4_t sums = reduce_four(Dot(weight_bytes(w[b]), x[b]), Dot(weight_bytes(w[b + 1]), x[b + 1]),
                                       Dot(weight_bytes(w[b + 2]), x[b + 2]), Dot(weight_bytes(w[b + 3]), x[b + 3]));
    std::int32_t isum[4];
    vst1q_s32(isum, sums);
    for (int k = 0; k < 4; ++k) {
      acc += static_cast<float>(isum[k]) * (f16_to_f32(w[b + k].d) * f16_to_f32(x[b + k].d));
    }
  }
  for (; b < blocks; ++b) acc += block_term(w[b], x[b]);
  return acc;
}

template <int32x4_t (*Dot)(BlockBytes, const BlockQ8_0&)>
BlockKernels make_kernels() {
  BlockKernels k = scalar_kernels();
  k.rows[static_cast<std::size_t>(WeightType::q8_0)] =
      rows_entry<BlockQ8_0, BlockQ8_0, rows_one_by_one<BlockQ8_0, BlockQ8_0, row_dot<BlockQ8_0, Dot>>>;
  k.rows[static_cast<std::size_t>(WeightType::q4_0)] =
      rows_entry<BlockQ4_0, BlockQ8_0, rows_one_by_one<BlockQ4_0, BlockQ8_0, row_dot<BlockQ4_0, Dot>>>;
  return k;
}

#if defined(__aarch64__)
bool has_dotprod() {
#if defined(__linux__) && defined(HWCAP_ASIMDDP)
  return (getauxval(AT_HWCAP) & HWCAP_ASIMDDP) != 0;
#else
  return false;
#endif
}
#endif

}  // namespace

const BlockKernels* arm_block_kernels(KernelPath path) {
  static const BlockKernels neon_kernels = make_kernels<dot_bytes>();
  switch (path) {
    case KernelPath::neon:
      return &neon_kernels;
    case KernelPath::neon_dot: {
#if defined(__aarch64__)
      static const bool supported = has_dotprod();
      static const BlockKernels dot_kernels = make_kernels<dot_bytes_sdot>();
      return supported ? &dot_kernels : nullptr;
#else
      return nullptr;
#endif
    }
    default:
      return nullptr;
  }
}

}  // namespace shoehorn::kernels

#else

namespace shoehorn::kernels {
const BlockKernels* arm_block_kernels(KernelPath) { return nullptr; }
}  // namespace shoehorn::kernels

#endif
