// Any bytes as blocks of every weight type a file may hold: the first byte picks the type, the
// next two an input seed, the rest are whole blocks (in host order, as they are once read). Each
// is dequantized, multiplied on every kernel path the CPU runs (the paths must agree bit for
// bit, NaN included), and, where shoehorn writes the type, its dequantized values quantized
// again. Corrupt scales give NaN and infinities: none of it may be undefined behaviour.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <algorithm>
#include <span>
#include <vector>

#include "shoehorn/kernels/kernel_path.hpp"
#include "shoehorn/kernels/ops.hpp"
#include "shoehorn/memory/arena.hpp"
#include "shoehorn/quant/matrix.hpp"
#include "shoehorn/quant/types.hpp"

namespace {

using namespace shoehorn;

std::vector<WeightType> file_types() {
  std::vector<WeightType> types;
  for (std::size_t i = 0; i < kWeightTypeCount; ++i) {
    if (is_file_type(static_cast<WeightType>(i))) types.push_back(static_cast<WeightType>(i));
  }
  return types;
}

// A row of `cols` inputs from a seed: small values of both signs, some zero.
std::vector<float> inputs(int cols, unsigned seed) {
  std::vector<float> x(static_cast<std::size_t>(cols));
  for (float& v : x) {
    seed = seed * 1103515245u + 12345u;
    v = static_cast<float>(static_cast<int>(seed >> 16 & 0xFF) - 128) / 32.0f;
  }
  return x;
}

std::vector<float> product(const Matrix& w, std::span<const float> x) {
  Activations a;
  a.add(w.type);
  ArenaSizer sizer;
  (void)input_scratch(sizer, a, x.size());
  Arena arena(sizer.plan.bytes());
  const InputScratch scratch = input_scratch(arena, a, x.size());
  const MatvecInput in = kernels::prepare_input(std::span(&w, 1), x, 1, scratch);
  std::vector<float> out(static_cast<std::size_t>(w.rows));
  kernels::matvec_rows(out, w, in, 0, w.rows);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::vector<WeightType> types = file_types();
  if (size < 3) return 0;
  const WeightType type = types[data[0] % types.size()];
  const unsigned seed = static_cast<unsigned>(data[1]) << 8 | data[2];
  const TypeTraits& t = traits(type);
  // One row of as many whole 256-value stretches as the bytes hold (every activation type's
  // block divides 256), at most 16.
  const std::size_t per_256 = static_cast<std::size_t>(t.block_bytes) * 256 / t.block_values;
  const std::size_t stretches = std::min<std::size_t>((size - 3) / per_256, 16);
  if (stretches == 0) return 0;
  const int cols = static_cast<int>(stretches * 256);
  const std::size_t blocks = static_cast<std::size_t>(cols / t.block_values);

  // The blocks' bytes in memory aligned for any block struct, their lifetimes started.
  std::vector<std::max_align_t> storage(blocks * t.block_bytes / sizeof(std::max_align_t) + 1);
  std::byte* bytes = reinterpret_cast<std::byte*>(storage.data());
  void* first = t.start_blocks(bytes, blocks);
  std::memcpy(bytes, data + 3, blocks * static_cast<std::size_t>(t.block_bytes));

  std::vector<float> values(static_cast<std::size_t>(cols));
  t.dequantize(first, values.data(), values.size());

  const Matrix w{type, 1, cols, 0, first, nullptr};
  const std::vector<float> x = inputs(cols, seed);
  const kernels::KernelPath chosen = kernels::kernel_path();
  std::vector<float> reference;
  for (const kernels::KernelPath path : kernels::supported_kernel_paths()) {
    kernels::set_kernel_path(path);
    const std::vector<float> out = product(w, x);
    if (reference.empty()) reference = out;
    if (std::memcmp(out.data(), reference.data(), out.size() * sizeof(float)) != 0) {
      std::abort();  // a SIMD path disagrees with the scalar one
    }
  }
  kernels::set_kernel_path(chosen);

  if (t.quantize != nullptr) {
    std::vector<std::max_align_t> again(storage.size());
    void* requantized = t.start_blocks(reinterpret_cast<std::byte*>(again.data()), blocks);
    t.quantize(values.data(), requantized, values.size());
  }
  return 0;
}
