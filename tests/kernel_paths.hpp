// Helpers of the kernel tests: each kernel path in turn, and floats as their bits.
#pragma once

#include <bit>
#include <cstdint>
#include <span>
#include <vector>

#include "shoehorn/kernels/kernel_path.hpp"

namespace shoehorn::test {

// Runs body under each kernel path this machine supports, restoring the path afterwards.
template <class Body>
void for_each_path(Body body) {
  using kernels::KernelPath;
  const KernelPath before = kernels::kernel_path();
  for (const KernelPath path : kernels::supported_kernel_paths()) {
    kernels::set_kernel_path(path);
    body(path);
  }
  kernels::set_kernel_path(before);
}

inline std::vector<std::uint32_t> bits_of(std::span<const float> values) {
  std::vector<std::uint32_t> bits;
  for (const float v : values) bits.push_back(std::bit_cast<std::uint32_t>(v));
  return bits;
}

}  // namespace shoehorn::test
