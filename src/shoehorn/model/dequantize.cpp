#include "shoehorn/model/dequantize.hpp"

#include <span>

#include "shoehorn/kernels/ops.hpp"
#include "shoehorn/io/size.hpp"

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

Model dequantized(const Model& model) {
  ArenaPlan plan;
  for (const TensorInfo& t : model.file.tensors) plan.add<float>(to_size(t.count(), t.name));
  Model out;
  out.storage = Arena(plan.bytes());
  out.weights.layers.resize(model.weights.layers.size());
  for (const TensorInfo& t : model.file.tensors) {
    const std::span<float> values = out.storage.allocate<float>(to_size(t.count(), t.name));
    dequantize_into(tensor_of(model.weights, t.role, t.layer), values);
    place_tensor(out.weights, t.role, t.layer, Matrix{WeightType::f32, t.rows, t.cols, 0, values.data()});
  }
  if (model.file.shared_classifier) out.weights.classifier = out.weights.token_embedding;
  out.file = model.file;
  return out;
}

}  // namespace shoehorn
