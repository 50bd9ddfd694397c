// Helpers of the weight-type tests: a GGUF's tensors as bytes, and the checks that every kernel
// path gives the scalar path's bits.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "shoehorn/kernels/ops.hpp"
#include "shoehorn/model/model.hpp"

namespace shoehorn::test {

struct TensorBytes {
  std::string name;
  std::uint32_t type = 0;
  std::vector<std::byte> bytes;
};

// Every tensor of a little-endian GGUF with its data as the file holds it.
std::vector<TensorBytes> tensors_of(const std::string& path);

// A file of ../shared/testdata/gguf-types.
std::string gguf_types(const std::string& name);

// Whether this build's tests run under an emulator (the cross builds' qemu: 10 to 30 times
// slower), where the byte-for-byte quantizer checks take a sample (see below).
#ifdef SHOEHORN_EMULATED
inline constexpr bool kEmulated = true;
#else
inline constexpr bool kEmulated = false;
#endif

// Whether a quantizer check quantizes this tensor: every one natively; under an emulator the
// first layer's (every type a file's other layers hold is there too, and each type's
// quantizer and byte order on that host are still checked). Counts of tensors stay whole.
inline bool quantized_in_this_build(const std::string& tensor_name) {
  return !kEmulated || tensor_name.starts_with("blk.0.");
}

// m times in on every supported path, its rows in two calls ([0, 6) and the rest, so that rows
// lie beside the SIMD tiles), bit for bit the scalar path's output.
void expect_every_path_gives_scalar_bits(const Matrix& m, const kernels::MatvecInput& in,
                                         const std::string& label);

// The model's logits for `tokens` (one position each) on every supported path, bit for bit the
// scalar path's.
void expect_same_logits_on_every_path(const Model& model, const std::vector<int>& tokens,
                                      const std::string& label);

}  // namespace shoehorn::test
