// Weights back to floats, for converters and tests (never the forward pass).
#pragma once

#include <span>
#include <vector>

#include "shoehorn/model/model.hpp"
#include "shoehorn/model/weights.hpp"

namespace shoehorn {

std::vector<float> dequantize(const Matrix& m);
// Into out (rows * cols values).
void dequantize_into(const Matrix& m, std::span<float> out);
// The model with every tensor as F32 in an arena of its own (each type's traits dequantize;
// nothing shared with `model`). Its file is the same: the tensor table still says how each
// tensor is stored there.
Model dequantized(const Model& model);

}  // namespace shoehorn
