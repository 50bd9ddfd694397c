// SIMD block kernels for PowerPC's vector unit (AltiVec / VMX, the Xbox 360's VMX128 a superset
// of it), for the big-endian ppc64 build: compiled with -maltivec but no auto-vectorization, so
// that only these integer kernels use the unit and every float step stays scalar (VMX floats
// may flush subnormals, and its only multiply is fused). Chosen at run time where Linux reports
// the unit. The bits are the scalar path's: exact block sums, the scalar order of float steps.
#include "shoehorn/kernels/block_rows.hpp"

#if defined(__ALTIVEC__)
#include <altivec.h>

#include <cstdint>
#include <cstring>

namespace shoehorn::kernels {

namespace {

using Bytes = __vector signed char;
using Ints = __vector signed int;

// AltiVec loads only aligned quadwords: a block's 32 bytes go through an aligned copy.
struct BlockBytes {
  Bytes lo, hi;
};
inline BlockBytes load_bytes(const std::int8_t* p) {
  alignas(16) std::int8_t copy[kBlockValues];
  std::memcpy(copy, p, sizeof copy);
  return {vec_ld(0, copy), vec_ld(16, copy)};
}
inline BlockBytes weight_bytes(const BlockQ8_0& w) { return load_bytes(w.qs); }
// Q4_0: value j is the low nibble of byte j, value j + 16 its high nibble, less 8.
inline BlockBytes weight_bytes(const BlockQ4_0& w) {
  alignas(16) std::uint8_t copy[kBlockValues / 2];
  std::memcpy(copy, w.qs, sizeof copy);
  const __vector unsigned char q = vec_ld(0, copy);
  const Bytes eight = vec_splats(static_cast<signed char>(8));
  const Bytes lo = reinterpret_cast<Bytes>(vec_and(q, vec_splats(static_cast<unsigned char>(0x0F))));
  const Bytes hi = reinterpret_cast<Bytes>(vec_sr(q, vec_splats(static_cast<unsigned char>(4))));
  return {vec_sub(lo, eight), vec_sub(hi, eight)};
}

// 32 products of signed bytes, even and odd elements into 16-bit lanes (|w|, |x| <= 128: each
// fits), then added in 32-bit lanes by a multiply-sum with ones (modular, exact here).
inline Ints add_products(Ints acc, Bytes w, Bytes x) {
  const __vector signed short ones = vec_splats(static_cast<short>(1));
  acc = vec_msum(vec_mule(w, x), ones, acc);
  return vec_msum(vec_mulo(w, x), ones, acc);
}
inline std::int32_t block_isum(BlockBytes w, const BlockQ8_0& x) {
  const BlockBytes xb = load_bytes(x.qs);
  const Ints acc = add_products(add_products(vec_splats(0), w.lo, xb.lo), w.hi, xb.hi);
  alignas(16) std::int32_t lanes[4];
  vec_st(acc, 0, lanes);
  return lanes[0] + lanes[1] + lanes[2] + lanes[3];
}

// One row times one input, blocks in order, as block_row_dot computes it.
template <class Block>
float row_dot(const Block* w, const BlockQ8_0* x, int blocks) {
  float acc = 0.0f;
  for (int b = 0; b < blocks; ++b) {
    const std::int32_t isum = block_isum(weight_bytes(w[b]), x[b]);
    acc += static_cast<float>(isum) * (f16_to_f32(w[b].d) * f16_to_f32(x[b].d));
  }
  return acc;
}

BlockKernels make_kernels() {
  BlockKernels k = scalar_kernels();
  k.rows[static_cast<std::size_t>(WeightType::q8_0)] =
      rows_entry<BlockQ8_0, BlockQ8_0, rows_one_by_one<BlockQ8_0, BlockQ8_0, row_dot<BlockQ8_0>>>;
  k.rows[static_cast<std::size_t>(WeightType::q4_0)] =
      rows_entry<BlockQ4_0, BlockQ8_0, rows_one_by_one<BlockQ4_0, BlockQ8_0, row_dot<BlockQ4_0>>>;
  return k;
}

bool has_vmx() {
#if defined(__linux__)
  __builtin_cpu_init();
  return __builtin_cpu_supports("altivec");
#else
  return true;  // built for a CPU that has it
#endif
}

}  // namespace

const BlockKernels* ppc_block_kernels(KernelPath path) {
  if (path != KernelPath::vmx) return nullptr;
  static const bool supported = has_vmx();
  static const BlockKernels kernels = make_kernels();
  return supported ? &kernels : nullptr;
}

}  // namespace shoehorn::kernels

#else

namespace shoehorn::kernels {
const BlockKernels* ppc_block_kernels(KernelPath) { return nullptr; }
}  // namespace shoehorn::kernels

#endif
