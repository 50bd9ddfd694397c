// Weights back to floats, for converters and tests (never the forward pass).
#pragma once

#include <vector>

#include "shoehorn/model/weights.hpp"

namespace shoehorn {

std::vector<float> dequantize(const Matrix& m);

}  // namespace shoehorn
