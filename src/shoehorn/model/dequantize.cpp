#include "shoehorn/model/dequantize.hpp"

#include <span>

#include "shoehorn/kernels/ops.hpp"

namespace shoehorn {

std::vector<float> dequantize(const Matrix& m) {
  std::vector<float> out(static_cast<std::size_t>(m.rows) * m.cols);
  for (int r = 0; r < m.rows; ++r) {
    kernels::embedding_row(std::span(out).subspan(static_cast<std::size_t>(r) * m.cols, m.cols), m, r);
  }
  return out;
}

}  // namespace shoehorn
