// A matrix of any weight type as the kernels see it: rows x cols values in host-order blocks,
// row after row (for the interleaved types: groups of eight rows), in memory owned elsewhere.
#pragma once

#include <cstddef>
#include <cstdint>
#include <new>

#include "shoehorn/quant/types.hpp"

namespace shoehorn {

// y = W x with W stored row-major, rows x cols.
struct Matrix {
  WeightType type = WeightType::f32;
  int rows = 0;
  int cols = 0;
  int group_size = 0;              // q8_group only
  // The blocks (for F32, F16, BF16: the values; for q8_group: the int8 values): objects of the
  // type's block struct, started there (TypeTraits::start_blocks) before their bytes were read.
  const void* data = nullptr;
  const float* scales = nullptr;   // q8_group only: rows * cols / group_size

  template <class Block>
  const Block* blocks() const {
    return std::launder(static_cast<const Block*>(data));
  }
};

// False for a matrix whose rows are not in memory (they stream).
inline bool has_data(const Matrix& m) { return m.data != nullptr; }

}  // namespace shoehorn
