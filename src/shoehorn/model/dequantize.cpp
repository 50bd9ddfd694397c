#include "shoehorn/model/dequantize.hpp"

#include <span>

#include "shoehorn/kernels/ops.hpp"

namespace shoehorn {

std::vector<float> dequantize(const Matrix& m) {
  std::vector<float> out(static_cast<std::size_t>(m.rows) * m.cols);
  dequantize_into(m, out);
  return out;
}

void dequantize_into(const Matrix& m, std::span<float> out) {
  for (int r = 0; r < m.rows; ++r) {
    kernels::embedding_row(out.subspan(static_cast<std::size_t>(r) * m.cols, m.cols), m, r);
  }
}

}  // namespace shoehorn
