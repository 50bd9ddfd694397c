// Weights back to floats, for converters and tests (never the forward pass).
#pragma once

#include <span>
#include <vector>

#include "shoehorn/model/weights.hpp"

namespace shoehorn {

std::vector<float> dequantize(const Matrix& m);
// Into out (rows * cols values).
void dequantize_into(const Matrix& m, std::span<float> out);

}  // namespace shoehorn
